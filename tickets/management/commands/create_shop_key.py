"""``manage.py create_shop_key <shop-code> --scopes tickets:read,tickets:write`` — a new API
key for the shop (created if it is new); the key alone on the last line, shown only now."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tickets.models import ApiKey
from tickets.services.integrations import api_key_create, shop_ensure


class Command(BaseCommand):
    help = "Create an API key for a shop (and the shop, if new); prints the key last."

    def add_arguments(self, parser) -> None:
        parser.add_argument("shop_code")
        parser.add_argument(
            "--scopes",
            default=",".join(ApiKey.Scope.values),
            help=f"Comma-separated, from: {', '.join(ApiKey.Scope.values)} (default: all).",
        )
        parser.add_argument("--name", default="", help="What the key is for.")
        parser.add_argument("--shop-name", default="", help="The shop's name, if it is new.")

    def handle(self, *args, shop_code: str, scopes: str, name: str, shop_name: str, **options):
        try:
            shop = shop_ensure(code=shop_code, name=shop_name)
            key, raw = api_key_create(
                shop=shop,
                name=name or f"{shop.code} key",
                scopes=[scope.strip() for scope in scopes.split(",") if scope.strip()],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(
            f"Shop {shop.code} ({shop.name}): key {key.prefix}… with scopes "
            f"{', '.join(key.scopes)}. It is shown only now:"
        )
        self.stdout.write(raw)
