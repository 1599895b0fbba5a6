"""Authentication and permission classes of the REST API (named in settings.REST_FRAMEWORK).

A module of its own with light imports: DRF imports these classes while its own views module
is being imported.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling
from rest_framework.permissions import BasePermission

from config.db.compiled import CompiledLookup
from config.ratelimit import Rate, hit

# The user a token belongs to, by the token's key (the SQL compiled once per process). A key
# is 40 hexadecimal digits; the marker is none.
_TOKEN_USER = CompiledLookup(
    lambda key: get_user_model().objects.filter(auth_token__key=key).order_by(), marker="-"
)


class TokenAuthentication(authentication.TokenAuthentication):
    """Personal API tokens ("Authorization: Token <key>"), speaking the user's own language.

    Session users get their language from crm.middleware; a token is authenticated only inside
    the view, so the language is switched here, before permissions, validation and errors are
    put into words. Anonymous requests keep the language of Accept-Language (LocaleMiddleware).

    The token's user is read with SQL compiled once per process (config.db.compiled): DRF's
    `select_related("user").get(key=key)`, built and compiled on every request, cost more CPU
    than the DRF hello view's whole response besides (in-process 0.75-1.0 → 0.2 ms).
    """

    def authenticate_credentials(self, key):
        # DRF's checks and messages, in its order: an unknown key, then an inactive user.
        users = _TOKEN_USER(key)
        if not users:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = users[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # request.auth: the stored token, as DRF's lookup gives it, but for its creation time
        # (not read here; nothing reads request.auth beyond the key and the user).
        token = self.get_model()(key=key, user=user)
        token._state.adding = False
        return (user, token)

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = result[0]
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        return result


class ActionRules(BasePermission):
    """Ask the view's rules (functions of `crm.rules` / `advocacy.rules`), by action.

    `view.action_rules = {"create": rule(user)}` guards actions before any object is read;
    `view.object_rules = {"update": rule(user, obj)}` guards actions on one object (fetched
    from the user's scoped queryset, so an object the user may not see is a 404 first).
    Actions without a rule are open to every signed-in user.
    """

    def has_permission(self, request, view) -> bool:
        rule = getattr(view, "action_rules", {}).get(getattr(view, "action", None))
        return rule is None or bool(rule(request.user))

    def has_object_permission(self, request, view, obj) -> bool:
        rule = getattr(view, "object_rules", {}).get(getattr(view, "action", None))
        return rule is None or bool(rule(request.user, obj))


class CountingRateThrottle(throttling.SimpleRateThrottle):
    """DRF's throttles, counted by config.ratelimit.hit: a counter per client and window.

    DRF's own keep a list of every request's time per client in the cache, unpickled, trimmed
    and written back whole on every request: at the user rate of 1,200 a minute, up to 1,200
    floats twice per request (in-process, the bench's DRF hello view against Redis: 1.53-1.59
    → 1.41 ms CPU a request). The rates, scopes and cache keys are DRF's
    (`DEFAULT_THROTTLE_RATES`).
    """

    def allow_request(self, request, view) -> bool:
        self.retry_after = None
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.retry_after = hit(self.scope, key, Rate(self.num_requests, self.duration))
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after


class AnonRateThrottle(throttling.AnonRateThrottle, CountingRateThrottle):
    """Anonymous requests per client address (scope "anon")."""


class UserRateThrottle(throttling.UserRateThrottle, CountingRateThrottle):
    """Signed-in requests per user (scope "user")."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, CountingRateThrottle):
    """Per user, at the rate of the view's `throttle_scope` (exports, token requests)."""


class SearchRateThrottle(UserRateThrottle):
    """Searches (`?search=` on any list) have a rate of their own ("search"), below the general
    one: each is a scan of names and notes, and a burst of them is how a directory is scraped.
    Requests without a search are not counted."""

    scope = "search"

    def allow_request(self, request, view) -> bool:
        if not request.query_params.get("search"):
            return True
        return super().allow_request(request, view)
