"""Drill: Redis goes away. Pages, API reads and signing in keep working (the cache fails open,
sessions live in the database); /readyz says Redis is down (503) while /healthz stays 200."""

import json
import re
from urllib.parse import urlencode

import pytest

from tests.processes import start_redis

# django_db: the stack copies the test database (see conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def sign_in(stack) -> int:
    """The admin sign-in form, submitted as a browser would: its status (302 = signed in)."""
    form = stack.get("/admin/login/", signed_in=False)
    csrf_cookie = re.search(r"csrftoken=([^;]+)", form.headers["set-cookie"])[1]
    csrf_field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)[1]
    fields = {"csrfmiddlewaretoken": csrf_field, "username": "drill", "password": "x" * 20}
    reply = stack.request(
        "POST",
        "/admin/login/?next=/admin/",
        signed_in=False,
        body=urlencode(fields),
        Cookie=f"csrftoken={csrf_cookie}",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    return reply.status


def test_pages_and_api_reads_keep_working_with_redis_down(stack):
    assert stack.get("/readyz", signed_in=False).status == 200

    stack.redis.kill()
    try:
        pages = [stack.get(path) for path in ["/admin/", "/admin/auth/group/"] * 2]
        api = [stack.get("/test/api/read/", Accept="application/json") for _ in range(3)]
        signed_in = sign_in(stack)  # the sign-in rate limit counts in the (missing) cache
        ready = stack.get("/readyz", signed_in=False)
        alive = stack.get("/healthz", signed_in=False)
    finally:
        # Bring a Redis back on the same port for whatever runs next.
        stack.redis = start_redis(stack.redis.port)

    assert [response.status for response in pages + api] == [200] * 7
    assert all('"username":"drill"' in response.body for response in api)
    assert signed_in == 302
    assert ready.status == 503
    assert json.loads(ready.body)["checks"] == {
        "database": "ok",
        "redis": "unavailable (ConnectionError)",
    }
    assert alive.status == 200
    assert stack.get("/readyz", signed_in=False).status == 200
