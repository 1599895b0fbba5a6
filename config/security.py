"""The security log and the edges of sign-in protection.

Security events are JSON lines on the logger "kuusikko.security": UTC time, the event's name,
who (user id and username, or a fingerprint of an unknown username), where from (client IP,
method, path without its query string) and a few event-specific fields. A line never holds a
password, a token, a session or CSRF value, a query string (search terms may be people's names)
or a contact's data.

Other code reports an event with `security_event(name, request, **fields)`: the API's token
views ("token_created", "token_revoked", with `token_fingerprint=fingerprint(token.key)`) and
exports ("export", with what was exported and how many rows). Sign-in success and failure,
lockouts and permission denials are recorded here, from Django's and django-axes' signals and
from the responses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Max
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger("kuusikko.security")

# Field names that must never reach a log line, whatever a caller passes.
FORBIDDEN_FIELDS = frozenset(
    {"password", "token", "key", "secret", "authorization", "cookie", "sessionid", "csrftoken"}
)


def fingerprint(value: str) -> str:
    """A short keyed hash of a value that must not be logged (a token, an unknown username).

    Equal values give equal fingerprints, so repeated attempts can be correlated, but the value
    cannot be read back from the log without the SECRET_KEY.
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, seen through TRUSTED_PROXY_COUNT reverse proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the
    client is the entry that many places from the right; entries further left were written by
    the client itself and prove nothing. Without trusted proxies the header is ignored.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def _who(request: HttpRequest | None) -> dict[str, Any]:
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return {"user_id": user.pk, "username": user.get_username()}
    return {"user_id": None}


def security_event(
    name: str, request: HttpRequest | None = None, *, level: int = logging.INFO, **fields: Any
) -> None:
    """Write one security event. `fields` are small, non-personal facts (ids, counts, kinds).

    A field named like a secret (password, token, key, ...) is refused loudly rather than
    logged: pass `fingerprint(value)` under another name instead.
    """
    refused = FORBIDDEN_FIELDS.intersection(field.lower() for field in fields)
    if refused:
        raise ValueError(f"security_event: refusing secret-like fields {sorted(refused)}")
    payload: dict[str, Any] = _who(request)
    if request is not None:
        payload.update(ip=client_ip(request), method=request.method, path=request.path)
    payload.update(fields)
    logger.log(level, name, extra={"security": payload})


# --- Sign-in ----------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="security_log_signin_succeeded")
def _log_signin_succeeded(sender, request, user, **kwargs) -> None:
    security_event(
        "signin_succeeded",
        request,
        user_id=user.pk,
        username=user.get_username(),
    )


@receiver(user_logged_out, dispatch_uid="security_log_signed_out")
def _log_signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event("signed_out", request, user_id=user.pk, username=user.get_username())


def _attempted_user(credentials: dict[str, Any]) -> dict[str, Any]:
    """Who a failed attempt was for: a known user by id and name, anything else by fingerprint.

    An unknown "username" is often a password typed into the wrong field, so it is not logged.
    """
    user_model = get_user_model()
    attempted = credentials.get(user_model.USERNAME_FIELD) or credentials.get("username")
    if not attempted:
        return {"user_id": None}
    user = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: attempted})
        .only("pk")
        .first()
    )
    if user is None:
        return {"user_id": None, "username_fingerprint": fingerprint(str(attempted))}
    return {"user_id": user.pk, "username": attempted}


@receiver(user_login_failed, dispatch_uid="security_log_signin_failed")
def _log_signin_failed(sender, credentials, request=None, **kwargs) -> None:
    locked = bool(getattr(request, "axes_locked_out", False))
    security_event(
        "signin_failed",
        request,
        level=logging.WARNING,
        **_attempted_user(credentials),
        locked_out=locked,
    )


def connect_axes_signals() -> None:
    """Called from OpsConfig.ready(): django-axes' models must be loaded first."""
    from axes.signals import user_locked_out

    # weak=False: this function is local, nothing else keeps it alive.
    @receiver(user_locked_out, dispatch_uid="security_log_locked_out", weak=False)
    def _log_locked_out(sender, request, username, ip_address, **kwargs) -> None:
        # DRF wraps the Django request: flag the inner one too, so that AxesMiddleware answers
        # a locked-out API sign-in (the token view) with the lockout response as well.
        inner = getattr(request, "_request", None)
        if inner is not None:
            inner.axes_locked_out = True
            inner.axes_credentials = getattr(request, "axes_credentials", None)
        security_event(
            "signin_locked_out",
            request,
            level=logging.WARNING,
            **_attempted_user({"username": username}),
            failure_limit=settings.AXES_FAILURE_LIMIT,
            cooloff_seconds=int(settings.AXES_COOLOFF_TIME.total_seconds()),
        )


def lockout_retry_after(request: HttpRequest, credentials: dict | None) -> int:
    """Seconds until the cool-off of this username + IP ends (AXES_LOCKOUT_PARAMETERS)."""
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    cooloff = settings.AXES_COOLOFF_TIME
    last = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None) or client_ip(request),
    ).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return int(cooloff.total_seconds())
    remaining = (last + cooloff - timezone.now()).total_seconds()
    return max(1, int(remaining + 0.999))


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or request.content_type == "application/json"
        or ("application/json" in accept and "text/html" not in accept)
    )


def too_many_requests(request: HttpRequest, *, retry_after: int, reason: str) -> HttpResponse:
    """429 with Retry-After: JSON for the API and scripts, a short page for people."""
    minutes = max(1, (retry_after + 59) // 60)
    if reason == "locked_out":
        message = _(
            "Too many failed sign-in attempts for this username. Try again in %(minutes)s "
            "minutes, or ask an administrator to unlock the account."
        ) % {"minutes": minutes}
    else:
        message = _("Too many requests. Try again in %(minutes)s minutes.") % {"minutes": minutes}
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": message, "reason": reason, "retry_after": retry_after}, status=429
        )
    else:
        response = HttpResponse(
            render_to_string(
                "security/too_many_requests.html", {"message": message}, request=request
            ),
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a sign-in attempt while locked out."""
    return too_many_requests(
        request, retry_after=lockout_retry_after(request, credentials), reason="locked_out"
    )


# --- Permission denials -----------------------------------------------------------------------


class SecurityLogMiddleware:
    """Logs every 403 answer (Django's PermissionDenied, DRF's permission checks, CSRF failures)
    and every 429 that is not a sign-in lockout (those are logged when they happen)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            security_event("permission_denied", request, level=logging.WARNING)
        elif response.status_code == 429 and not getattr(request, "axes_locked_out", False):
            security_event("rate_limited", request, level=logging.WARNING)
        return response
