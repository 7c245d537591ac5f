"""``manage.py shop_webhook_secret <shop-code> [--rotate]`` — the secret the shop signs its
events with and verifies ours with (HMAC-SHA256), alone on the last line."""

from django.core.management.base import BaseCommand, CommandError

from tickets.models import Shop
from tickets.services.integrations import shop_webhook_secret_rotate


class Command(BaseCommand):
    help = "Print a shop's webhook secret (--rotate makes a new one first)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("shop_code")
        parser.add_argument("--rotate", action="store_true", help="Replace it with a new one.")

    def handle(self, *args, shop_code: str, rotate: bool, **options):
        shop = Shop.objects.filter(code=shop_code).first()
        if shop is None:
            raise CommandError(f"No shop with code {shop_code!r}.")
        if rotate:
            shop_webhook_secret_rotate(shop=shop)
        self.stdout.write(shop.webhook_secret)
