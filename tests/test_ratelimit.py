"""The rate limiter (config.ratelimit.hit): a sliding-window counter, on Redis and in-process."""

from __future__ import annotations

import datetime

import pytest
import redis as redis_lib

from config.ratelimit import Rate, hit
from tests.processes import start_redis

THREE_A_MINUTE = Rate(3, 60)
# The start of a one-minute window (windows are aligned to the clock).
WINDOW = datetime.datetime(2026, 3, 10, 7, 30, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def redis_server():
    server = start_redis()
    yield server
    server.kill()


@pytest.fixture(params=["redis", "in-process"])
def limiter_cache(request, settings):
    """The limiter on a private Redis (one round trip per hit) and on the in-process cache of
    the API tests (add, incr and get): both must count alike."""
    if request.param == "redis":
        use_redis(settings, request.getfixturevalue("redis_server").url)
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"ratelimit-test-{request.node.name}",
            }
        }


def use_redis(settings, url: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "ratelimit-test",
        }
    }
    redis_lib.Redis.from_url(url).flushdb()  # our own server: nothing else is in it


@pytest.fixture
def at(time_machine):
    """at(seconds) moves the frozen clock to that many seconds after WINDOW starts."""

    def move(seconds: float) -> None:
        time_machine.move_to(WINDOW + datetime.timedelta(seconds=seconds), tick=False)

    return move


def hits(count: int, ident: str = "client") -> list[int | None]:
    return [hit("test", ident, THREE_A_MINUTE) for _ in range(count)]


def test_a_client_gets_the_rate_and_no_more(limiter_cache, at):
    at(10)
    answers = hits(4)

    assert answers[:3] == [None, None, None]
    assert answers[3] is not None
    assert hits(3, ident="another-client") == [None, None, None]


def test_there_is_no_burst_of_twice_the_rate_where_two_windows_meet(limiter_cache, at):
    at(59.5)
    assert hits(3) == [None, None, None]

    at(60.5)  # a fixed window would start counting again here

    assert hits(1) != [None]


def test_the_previous_window_weighs_less_as_the_window_slides_on(limiter_cache, at):
    at(30)
    assert hits(3) == [None, None, None]

    at(100)  # 40 s into the next window: a third of the previous one is still inside the minute

    answers = hits(3)
    assert answers[:2] == [None, None]  # 3 * 1/3 + 2 = 3
    assert answers[2] is not None  # 3 * 1/3 + 3 = 4


@pytest.mark.parametrize(
    ("history", "refused_at", "retry_after"),
    [
        # Refused in its own window: the refused request counts too, so the next one is
        # allowed 30 s into the next window (4 * 1/2 + 1 = 3).
        ([(10, 4)], 10, 80),
        # Refused because of the previous window: 30 s later its share is a third.
        ([(30, 3), (70, 1)], 70, 30),
    ],
)
def test_retry_after_is_when_the_next_request_is_allowed(
    limiter_cache, at, history, refused_at, retry_after
):
    answers = {}
    for ident in ("patient", "impatient"):
        for second, count in history:
            at(second)
            answers[ident] = hits(count, ident)[-1]
    assert answers == {"patient": retry_after, "impatient": retry_after}

    at(refused_at + retry_after - 1)
    assert hits(1, "impatient") != [None]
    at(refused_at + retry_after)
    assert hits(1, "patient") == [None]


def test_on_redis_a_window_is_one_counter_that_expires(settings, redis_server, at):
    use_redis(settings, redis_server.url)
    at(10)
    hits(5)

    raw = redis_lib.Redis.from_url(redis_server.url)
    (key,) = raw.keys("*ratelimit:test:client:*")
    assert int(raw.get(key)) == 5
    assert 0 < raw.ttl(key) <= 2 * 60 + 1
