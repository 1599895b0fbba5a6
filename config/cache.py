"""A Redis cache that a Redis outage cannot turn into failed requests.

The cache holds rate-limit counters, nothing that a page needs to be right. When Redis does not
answer, every cache call behaves as a miss (get returns the default, writes are dropped, counters
start again) and the request goes on: rate limits fail open for the length of the outage. After a
failure the process leaves Redis alone for a few seconds instead of waiting for it on every call.

`count_in_window()` is the rate limiter's counter in one round trip (config/ratelimit.py).
`clear()` deletes only keys under our KEY_PREFIX: the same Redis database may hold Celery's
queues, which Django's own `clear()` (FLUSHDB) would destroy.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
# Seconds to leave Redis alone after it failed to answer.
BACKOFF_SECONDS = 5.0


def _fail_open(fallback):
    """Run the Redis call; on an outage, note it and return `fallback(*args)` instead."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args):
            if time.monotonic() < self._unavailable_until:
                return fallback(*args)
            try:
                return method(self, *args)
            except OUTAGE_ERRORS as exc:
                self._unavailable_until = time.monotonic() + BACKOFF_SECONDS
                logger.warning(
                    "cache: Redis unavailable (%s); carrying on without it for %ss",
                    exc.__class__.__name__,
                    BACKOFF_SECONDS,
                )
                return fallback(*args)

        return wrapper

    return decorate


class ResilientRedisCacheClient(RedisCacheClient):
    _unavailable_until = 0.0
    key_prefix = ""

    add = _fail_open(lambda key, value, timeout: True)(RedisCacheClient.add)
    get = _fail_open(lambda key, default: default)(RedisCacheClient.get)
    set = _fail_open(lambda key, value, timeout: None)(RedisCacheClient.set)
    touch = _fail_open(lambda key, timeout: False)(RedisCacheClient.touch)
    delete = _fail_open(lambda key: False)(RedisCacheClient.delete)
    get_many = _fail_open(lambda keys: {})(RedisCacheClient.get_many)
    has_key = _fail_open(lambda key: False)(RedisCacheClient.has_key)
    incr = _fail_open(lambda key, delta: delta)(RedisCacheClient.incr)
    set_many = _fail_open(lambda data, timeout: None)(RedisCacheClient.set_many)
    delete_many = _fail_open(lambda keys: None)(RedisCacheClient.delete_many)

    @_fail_open(lambda key, previous_key, timeout: (0, 0))
    def count_in_window(self, key, previous_key, timeout: int) -> tuple[int, int]:
        """One round trip: count one more under `key` (kept `timeout` seconds from now) and
        read the count under `previous_key`. On an outage, (0, 0): nothing counted."""
        with self.get_client(key, write=True).pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, timeout)
            pipe.get(previous_key)
            count, _, previous = pipe.execute()
        return count, int(previous or 0)

    @_fail_open(lambda: False)
    def clear(self) -> bool:
        client = self.get_client(None, write=True)
        deleted = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            batch.append(key)
            if len(batch) == 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
        return bool(deleted)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        if not self.key_prefix:
            raise ImproperlyConfigured("ResilientRedisCache needs a KEY_PREFIX (see clear()).")
        self._class = ResilientRedisCacheClient

    def count_in_window(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        """The rate limiter's counter (config.ratelimit.hit) in one round trip."""
        return self._cache.count_in_window(
            self.make_and_validate_key(key), self.make_and_validate_key(previous_key), timeout
        )

    @cached_property
    def _cache(self):
        client = self._class(self._servers, **self._options)
        client.key_prefix = self.key_prefix
        return client
