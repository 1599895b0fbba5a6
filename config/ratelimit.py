"""A fixed-window rate limit on the shared cache, and its use on sign-in.

django-axes locks one username from one address after a few failures; this limit caps how many
sign-in attempts one address may make in a window across all usernames, which is what stops a
password spray. The API's own throttles (DRF) cover the API's other endpoints.

Not yet covered, because the features do not exist yet: exports and search. When they land, the
API's export and search views take DRF's ScopedRateThrottle (scopes "export" and "search" in
DEFAULT_THROTTLE_RATES) and the web UI's export and search views call `hit()` with the user's
id and answer `too_many_requests()` (config/security.py); exports also log
`security_event("export", request, ...)`.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from config.security import client_ip, too_many_requests

_UNITS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    @functools.lru_cache(maxsize=32)
    def parse(cls, text: str) -> Rate:
        """ "30/10m" = 30 in ten minutes; "5/minute", "100/h", "1000/d" also work."""
        match = _RATE.match(text)
        if not match or int(match[1]) < 1:
            raise ValueError(f"not a rate: {text!r} (expected e.g. '30/10m')")
        return cls(int(match[1]), int(match[2] or 1) * _UNITS[match[3]])


def hit(scope: str, ident: str, rate: Rate) -> int | None:
    """Count one request of `ident` in `scope`; None if allowed, else seconds until the window ends.

    Fixed windows aligned to the clock: cheap (two cache calls) and good enough for abuse
    limits. With the cache unavailable every request is allowed (config/cache.py).
    """
    now = time.time()
    window = int(now // rate.seconds)
    key = f"ratelimit:{scope}:{ident}:{window}"
    # add() creates the counter with its expiry; incr() then counts atomically in Redis.
    if cache.add(key, 0, timeout=rate.seconds + 1):
        count = cache.incr(key)
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=rate.seconds + 1)
            count = 1
    if count <= rate.count:
        return None
    return max(1, int((window + 1) * rate.seconds - now + 0.999))


class SignInThrottleMiddleware:
    """429 with Retry-After for sign-in POSTs beyond SIGNIN_RATE_LIMIT from one IP address.

    Sign-in views are recognised by URL name (SIGNIN_VIEW_NAMES): Django's login view, the
    admin's, and the API's token view once it registers its name there.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        Rate.parse(settings.SIGNIN_RATE_LIMIT)  # a typo in the setting fails at start-up

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.method != "POST":
            return None
        match = request.resolver_match
        if match is None or match.view_name not in settings.SIGNIN_VIEW_NAMES:
            return None
        rate = Rate.parse(settings.SIGNIN_RATE_LIMIT)
        retry_after = hit("signin", client_ip(request) or "unknown", rate)
        if retry_after is None:
            return None
        return too_many_requests(request, retry_after=retry_after, reason="rate_limited")
