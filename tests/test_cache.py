"""The shared cache: Redis when configured, and a Redis outage costs no request."""

import time

import pytest
import redis as redis_lib

from config.cache import ResilientRedisCache
from tests.processes import free_port, start_redis


def make_cache(url: str) -> ResilientRedisCache:
    return ResilientRedisCache(
        url,
        {
            "KEY_PREFIX": "kuusikko",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    )


@pytest.fixture
def redis_server():
    server = start_redis()
    yield server
    server.kill()


def test_the_cache_works_against_redis(redis_server):
    cache = make_cache(redis_server.url)

    assert cache.add("counter", 0, timeout=60) is True
    assert cache.add("counter", 0, timeout=60) is False
    assert cache.incr("counter") == 1
    cache.set("name", {"a": 1})
    assert cache.get("name") == {"a": 1}
    assert cache.get_many(["name", "missing"]) == {"name": {"a": 1}}
    # The rate limiter's counter: this window's count after one more, and the previous one's.
    assert cache.count_in_window("window-2", "window-1", 60) == (1, 0)
    assert cache.count_in_window("window-3", "window-2", 60) == (1, 1)
    assert cache.count_in_window("window-3", "window-2", 60) == (2, 1)


def test_clear_deletes_only_our_keys_never_the_celery_queue_beside_them(redis_server):
    cache = make_cache(redis_server.url)
    raw = redis_lib.Redis.from_url(redis_server.url)
    raw.lpush("celery", "a queued task")
    cache.set("ours", 1)

    assert cache.clear() is True

    assert cache.get("ours") is None
    assert raw.lrange("celery", 0, -1) == [b"a queued task"]


def test_with_redis_down_the_cache_misses_quickly_instead_of_failing():
    cache = make_cache(f"redis://127.0.0.1:{free_port()}/0")

    started = time.monotonic()
    assert cache.get("anything", "default") == "default"
    cache.set("anything", 1)
    assert cache.add("counter", 0) is True
    assert cache.incr("counter") == 1
    assert cache.count_in_window("window-2", "window-1", 60) == (0, 0)
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("a") is False
    cache.delete("a")
    assert cache.clear() is False

    assert time.monotonic() - started < 2


def test_the_cache_comes_back_when_redis_does(redis_server):
    cache = make_cache(redis_server.url)
    cache.set("before", 1)
    port = redis_server.port
    redis_server.kill()
    assert cache.get("before") is None  # down: a miss

    restarted = start_redis(port)
    try:
        cache._cache._unavailable_until = 0  # skip the back-off pause
        cache.set("after", 2)
        assert cache.get("after") == 2
    finally:
        restarted.kill()
