"""Who is calling: a shop's API key, a staff member's personal key, or a staff session.
Scopes on a key limit what it may do; a shop key sees only its own shop's data. A shop is
no user: ``request.user`` stays anonymous and ``request.auth`` is its key, so endpoints for
staff (``IsAuthenticated``) refuse shop keys."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from tickets.models import ApiKey, Shop
from tickets.services.integrations import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>``."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as “Authorization: Bearer <key>”, with no spaces in the key.")
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        if key.shop_id is not None:  # a shop is no user: it is known by its key alone
            return AnonymousUser(), key
        return key.staff.user, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="csmanage"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "店铺或个人 API 密钥，放在 `Authorization: Bearer <key>` 中；"
                "密钥只在创建时显示一次。"
                " / A shop's or a person's API key, sent as `Authorization: Bearer <key>`; "
                "it is shown once, when it is created. Scopes: "
                + ", ".join(f"`{scope}`" for scope in ApiKey.Scope.values)
            ),
        }


def shop_of(request) -> Shop | None:
    """The calling shop, or None for staff."""
    key = request.auth
    return key.shop if isinstance(key, ApiKey) and key.shop_id is not None else None


class HasScope(permissions.BasePermission):
    """A key needs the scope the view names for the request (``view.required_scope``); a
    staff session has no scopes to check; some operations are for shop keys only
    (``view.is_shop_only``)."""

    message = _("This key lacks the scope this request needs.")

    def has_permission(self, request, view) -> bool:
        if not (isinstance(request.auth, ApiKey) or request.user.is_authenticated):
            return False
        if getattr(view, "action", None) in (None, "metadata"):
            # No operation of the view answers this method (a 405 follows, with ``Allow``),
            # or it is OPTIONS: nothing to scope.
            return True
        if view.is_shop_only(request) and shop_of(request) is None:
            self.message = _("This operation is for shop keys.")
            return False
        scope = view.required_scope(request)
        if isinstance(request.auth, ApiKey) and scope not in request.auth.scopes:
            self.message = _("This key lacks the “%(scope)s” scope.") % {"scope": scope}
            return False
        return True


class PerKeyThrottle(SimpleRateThrottle):
    """Requests per key (or per staff member, or per address when anonymous)."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_RATE

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key{request.auth.hashed[:16]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"throttle_{self.scope}_{ident}"
