"""Rate limits on the shared cache: one counter per client and window, for the web and the API.

`hit()` is the one way requests are counted: sign-in attempts per address
(SignInThrottleMiddleware below), the web UI's exports per user (advocacy.trace_views) and the
REST API's throttles (config.api_auth: per user, per anonymous address, searches, exports and
token requests). django-axes locks one username from one address after a few failures; the
sign-in limit caps how many attempts one address may make across all usernames, which is what
stops a password spray.
"""

from __future__ import annotations

import functools
import math
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
    """Count one request of `ident` in `scope`; None if allowed, else seconds to wait.

    A sliding-window counter: one counter per window of `rate.seconds` aligned to the clock, and
    the request allowed while this window's count plus the previous window's, weighted by the
    share of it still inside the last `rate.seconds`, stays within `rate.count`. One round trip
    to Redis and one small integer per client and window, whatever the rate (DRF's own
    throttles keep a list of every request's time, read and written whole on each request); no
    burst of twice the rate where two windows meet. Refused requests count too: a client that
    keeps trying stays refused. With the cache unavailable every request is allowed
    (config/cache.py).
    """
    now = time.time()
    window, elapsed = divmod(now, rate.seconds)
    prefix = f"ratelimit:{scope}:{ident}:"
    # Kept for two windows: the next window weighs this one's count.
    count, previous = _count(
        f"{prefix}{int(window)}", f"{prefix}{int(window) - 1}", timeout=2 * rate.seconds + 1
    )
    # previous * (the share of the previous window still inside) + count <= rate.count, with
    # the share's division multiplied out (no rounding at the exact limit).
    if previous * (rate.seconds - elapsed) + count * rate.seconds <= rate.count * rate.seconds:
        return None
    return _retry_after(rate, elapsed, previous, count)


def _count(key: str, previous_key: str, *, timeout: int) -> tuple[int, int]:
    """This window's count with one more, and the previous window's count."""
    count_in_window = getattr(cache, "count_in_window", None)
    if count_in_window is not None:  # Redis (config/cache.py): one round trip
        return count_in_window(key, previous_key, timeout)
    # Other caches (the tests' in-process one): add() creates the counter with its expiry,
    # incr() then counts.
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        count = 1
    return count, cache.get(previous_key, 0)


def _retry_after(rate: Rate, elapsed: float, previous: int, count: int) -> int:
    """Whole seconds until one more request would be allowed, if nobody asks meanwhile."""
    room = rate.count - count - 1  # what the previous window's weighted count may still be
    if room >= 0 and previous:
        # Later in this window, once the previous window's share has shrunk enough.
        wait = rate.seconds * (previous - room) / previous - elapsed
    else:
        # In the next window, once this window's share has shrunk enough.
        wait = rate.seconds - elapsed + rate.seconds * (count - rate.count + 1) / count
    return max(1, math.ceil(wait - 1e-9))  # 1e-9: not a second more for a float's last digit


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
