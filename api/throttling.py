"""Throttles kept in Redis as sliding windows, one round trip per check, plus a per-address budget of failed
token logins (RELIABILITY A5).

DRF's own throttles keep each window as a pickled list of timestamps in the cache: a GET and a SET per
request, each carrying the whole list (up to the rate: 6000 floats for 6000/min), through a Redis client
Django builds anew for every call. Here each window is a sorted set of request times that one Lua script
trims, counts and extends atomically, on one long-lived connection pool: the same semantics (at most N
requests in any window of the rate's duration; Retry-After until the oldest one leaves it), a constant
cost per request, and no lost updates between concurrent requests.

Rates are read when a request comes in, not when DRF was imported, so settings overrides take effect.
"""

from __future__ import annotations

import math
import time
import uuid

import redis
from django.conf import settings
from rest_framework import throttling
from rest_framework.settings import api_settings

KEY_PREFIX = "factcheck:throttle:"

# KEYS[1]: the window. ARGV: now (s), duration (s), limit, member to add (empty: only look), record (1/0).
# Returns {allowed (1/0), seconds to wait as a string (Lua numbers come back as integers otherwise)}.
# Allowed means fewer than `limit` times in the window; `record` then adds `now` to it. The wait is until
# enough times leave the window for one more to fit.
WINDOW_LUA = """
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    redis.call('EXPIRE', KEYS[1], math.ceil(duration))
  end
  return {1, '0'}
end
local leaving = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tostring(tonumber(leaving[2]) + duration - now)}
"""

_clients: dict[str, tuple[redis.Redis, object]] = {}


def _window_script():
    """The script bound to a client of the cache's Redis (settings.REDIS_URL), made once per URL."""
    url = settings.REDIS_URL
    entry = _clients.get(url)
    if entry is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        entry = _clients[url] = (client, client.register_script(WINDOW_LUA))
    return entry[1]


def window(key: str, *, limit: int, duration: float, record: bool) -> tuple[bool, float]:
    """Check (and with `record`, count) one event in a sliding window. Atomic; one round trip."""
    now = time.time()
    allowed, wait = _window_script()(
        keys=[KEY_PREFIX + key],
        args=[repr(now), duration, limit, f"{now!r}:{uuid.uuid4().hex[:8]}", "1" if record else "0"],
    )
    return bool(allowed), max(0.0, float(wait))


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rate parsing and cache keys, with the window kept by `window()`."""

    def __init__(self):
        self.wait_seconds = None

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        if rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        limit, duration = self.parse_rate(rate)
        allowed, self.wait_seconds = window(key, limit=limit, duration=duration, record=True)
        return allowed

    def wait(self):
        return math.ceil(self.wait_seconds) if self.wait_seconds else None


class AnonRateThrottle(WindowRateThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowRateThrottle, throttling.UserRateThrottle):
    pass


class AuthFailureThrottle(WindowRateThrottle):
    """Counts wrong credentials per client address; once over budget, every token attempt gets 429."""

    scope = "auth_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _check(self, request, *, record: bool) -> bool:
        rate = self.get_rate()
        if rate is None:
            return True
        limit, duration = self.parse_rate(rate)
        allowed, self.wait_seconds = window(
            self.get_cache_key(request), limit=limit, duration=duration, record=record
        )
        return allowed

    def locked(self, request) -> bool:
        return not self._check(request, record=False)

    def record_failure(self, request) -> None:
        self._check(request, record=True)
