"""Token-bucket rate limits per principal key: in the process, or shared through Redis.

One process (the embedded default) keeps its buckets in memory. With several workers or
machines, ``HETAO_REDIS_URL`` puts the buckets in Redis, so a principal's limit holds whichever
worker serves it: one atomic script per request takes a token, timed by Redis' own clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from redis.exceptions import RedisError

log = logging.getLogger("hetao.auth.ratelimit")


class Limiter(Protocol):
    """What a request's rate check needs: ``check`` takes one token for ``key``."""

    def check(self, key: str) -> float | None:
        """None when allowed, else the seconds to wait."""

    def close(self) -> None:
        """Release what the limiter holds (connections) when the application stops."""


class RateLimiter:
    """Allow ``rate_per_second`` requests per key on average, with bursts up to ``burst``."""

    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate_per_second must be positive and burst at least 1")
        self.rate = rate_per_second
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        #: key -> (tokens left, clock reading when they were counted)
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str) -> float | None:
        """Take one token for ``key``: None when allowed, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > self._max_keys:
                    self._forget_full(now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def close(self) -> None:
        """Nothing to release: the buckets are the process's memory."""

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket: drop those to bound memory.
        full = [
            key
            for key, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]


#: Take one token from the bucket KEYS[1] (rate ARGV[1] per second, at most ARGV[2]); answers
#: the seconds to wait as text ("0": allowed). Redis' TIME is the one clock of every worker.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""
#: Bucket keys in Redis are ``hetao:rate:<zone>:<principal>``: a Redis shared with other
#: programs, or with another zone's platform, keeps them apart.
KEY_PREFIX = "hetao:rate:"
#: After Redis fails, buckets are kept in the process this long before Redis is tried again:
#: a Redis that is down must not add a connect timeout to every request.
FALLBACK_SECONDS = 5.0


class SharedRateLimiter:
    """The same buckets as RateLimiter, kept in Redis for every worker and machine.

    When Redis does not answer, the limit is kept per process (as without Redis) until it
    answers again: requests go on being limited, and are never refused for want of Redis.
    """

    def __init__(
        self,
        url: str,
        rate_per_second: float,
        burst: int,
        *,
        zone: str = "",
        timeout_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.local = RateLimiter(rate_per_second, burst, clock=clock)
        self._clock = clock
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._take = self._client.register_script(BUCKET_SCRIPT)
        self._local_until = 0.0
        self._prefix = f"{KEY_PREFIX}{zone}:"

    def check(self, key: str) -> float | None:
        if self._clock() < self._local_until:
            return self.local.check(key)
        try:
            wait = float(self._take(keys=[self._prefix + key], args=[self.rate, self.burst]))
        except RedisError as error:
            log.warning("rate limits kept in this process for %.0f s: %s", FALLBACK_SECONDS, error)
            self._local_until = self._clock() + FALLBACK_SECONDS
            return self.local.check(key)
        return wait if wait > 0 else None

    def close(self) -> None:
        """Close the connections to Redis."""
        self._client.close()
