"""Health checks for load balancers and docker-compose.

/healthz  the process is alive and answers (touches nothing else): 200.
/readyz   the process can serve: the database answers `SELECT 1` and, when REDIS_URL is set,
          Redis answers PING. 200 when both do, else 503; the JSON body says which failed.

Answered by a middleware placed first, so that a probe from inside the container (plain HTTP,
Host: localhost) is neither redirected to HTTPS nor refused by ALLOWED_HOSTS, and never opens a
session. The bodies name the failing dependency and the exception's class, no connection details.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


def check_database() -> str | None:
    """None when the default database answers, else the exception's class name."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("readyz: database unavailable: %s", exc.__class__.__name__)
        # A broken connection must not be reused by the next request of this process.
        connections["default"].close_if_unusable_or_obsolete()
        return exc.__class__.__name__
    return None


def check_redis() -> str | None:
    """None when Redis answers PING (or is not configured), else the exception's class name."""
    if not settings.REDIS_URL:
        return None
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except Exception as exc:
        logger.warning("readyz: Redis unavailable: %s", exc.__class__.__name__)
        return exc.__class__.__name__
    finally:
        client.close()
    return None


def readiness() -> tuple[bool, dict[str, str]]:
    checks = {"database": check_database(), "redis": check_redis()}
    detail = {
        name: "ok" if error is None else f"unavailable ({error})" for name, error in checks.items()
    }
    if not settings.REDIS_URL:
        detail["redis"] = "not configured"
    return all(error is None for error in checks.values()), detail


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == HEALTH_PATH:
            return _no_store(JsonResponse({"status": "ok"}))
        if path == READY_PATH:
            ready, detail = readiness()
            return _no_store(
                JsonResponse(
                    {"status": "ok" if ready else "unavailable", "checks": detail},
                    status=200 if ready else 503,
                )
            )
        return self.get_response(request)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response
