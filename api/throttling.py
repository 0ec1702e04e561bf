"""Throttles kept in Redis as sliding windows, one round trip per request, plus a per-address budget of
failed token logins (RELIABILITY A5).

DRF's own throttles keep each window as a pickled list of timestamps in the cache: a GET and a SET per
request, each carrying the whole list (up to the rate: 6000 floats for 6000/min), through a Redis client
Django builds anew for every call. Here each window is a sorted set of request times that one Lua script
trims, counts and extends atomically, on one long-lived connection pool: the same semantics (at most N
requests in any window of the rate's duration; Retry-After until enough of them leave it), a constant
cost per request, and no lost updates between concurrent requests. The script takes several windows at
once, so a request with a remembered token checks its address's failure budget and counts itself
against its account's budget in one round trip (api.authentication).

Rates are read when a request comes in, not when DRF was imported, so settings overrides take effect.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings
from rest_framework import throttling
from rest_framework.settings import api_settings

KEY_PREFIX = "factcheck:throttle:"

# KEYS: the windows (sorted sets of times). ARGV[1]: now (s); ARGV[2]: a member unique to this request;
# then per window: limit, duration (s), record (1/0). A window refuses when it already holds `limit` times
# within `duration`. If none refuses, `now` is added to those with record=1. Returns {the 1-based index
# of the first refusing window or 0, seconds until it would allow one more, as a string (Lua numbers
# come back as integers otherwise)}.
WINDOWS_LUA = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit, duration = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
  local n = redis.call('ZCARD', key)
  if n >= limit then
    local leaving = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    return {i, tostring(tonumber(leaving[2]) + duration - now)}
  end
end
for i, key in ipairs(KEYS) do
  if ARGV[3 * i + 2] == '1' then
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[3 * i + 1])))
  end
end
return {0, '0'}
"""

_scripts: dict[str, object] = {}


def _windows_script():
    """The script bound to a client of the cache's Redis (settings.REDIS_URL), made once per URL."""
    url = settings.REDIS_URL
    script = _scripts.get(url)
    if script is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        script = _scripts[url] = client.register_script(WINDOWS_LUA)
    return script


@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    duration: float
    record: bool  # count this request in it (else only check it)


def check(*windows: Window) -> tuple[Window | None, float]:
    """Check the windows and, if none refuses, count the request in those that record it. Atomic; one
    round trip. Returns the first refusing window and the seconds until it allows one more, or (None, 0)."""
    now = time.time()
    args: list = [repr(now), f"{now!r}:{uuid.uuid4().hex[:12]}"]
    for window in windows:
        args += [window.limit, window.duration, "1" if window.record else "0"]
    index, wait = _windows_script()(keys=[KEY_PREFIX + w.key for w in windows], args=args)
    if not index:
        return None, 0.0
    return windows[int(index) - 1], max(0.0, float(wait))


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rate parsing and cache keys, with the window kept by `check()`."""

    def __init__(self):
        self.wait_seconds = 0.0

    def get_rate(self):
        if self.scope is None:
            return None
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def window(self, key: str | None, *, record: bool = True) -> Window | None:
        """This throttle's window for `key` (None when there is no rate or no key)."""
        rate = self.get_rate()
        if rate is None or key is None:
            return None
        limit, duration = self.parse_rate(rate)
        if limit is None or duration is None:  # parse_rate says None only for no rate, excluded above
            return None
        return Window(key, limit, duration, record)

    def allow_request(self, request, view) -> bool:
        window = self.window(self.get_cache_key(request, view))
        if window is None:
            return True
        refused, self.wait_seconds = check(window)
        return refused is None

    def wait(self):
        return math.ceil(self.wait_seconds) if self.wait_seconds else None


class AnonRateThrottle(WindowRateThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowRateThrottle, throttling.UserRateThrottle):
    """Per account. A request the token authentication already counted (see `counted_by_auth`) is not
    counted again: its outcome is used."""

    def window_for(self, user) -> Window | None:
        return self.window(self.cache_format % {"scope": self.scope, "ident": user.pk})

    def allow_request(self, request, view) -> bool:
        counted = getattr(request, "user_window_checked", None)
        if counted is None:
            return super().allow_request(request, view)
        allowed, self.wait_seconds = counted
        return allowed


def _token_mark(key: str) -> str:
    """The Redis key saying a token was valid lately: an HMAC of it, never the token itself."""
    digest = hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{KEY_PREFIX}known:{digest}"


def remember_valid_token(key: str) -> None:
    """Note that `key` authenticated (for FACTCHECK_KNOWN_TOKEN_SECONDS): a locked address still lets it in."""
    try:
        _windows_script().registered_client.set(
            _token_mark(key), 1, ex=max(1, int(settings.FACTCHECK_KNOWN_TOKEN_SECONDS))
        )
    except redis.RedisError:
        pass  # it only means a locked address would refuse this token too, as before


def known_valid_token(key: str) -> bool:
    return bool(_windows_script().registered_client.exists(_token_mark(key)))


class AuthFailureThrottle(WindowRateThrottle):
    """Counts wrong credentials per client address; once over budget, tokens this service has not seen
    valid lately get 429 without being looked up (so guessing stops). Tokens that did authenticate
    lately (remember_valid_token) still get in: a stranger's wrong tokens from the same address (a NAT,
    the proxy) cannot lock out the valid clients behind it."""

    scope = "auth_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def lock_window(self, request, *, record: bool) -> Window | None:
        return self.window(self.get_cache_key(request), record=record)

    def locked(self, request) -> bool:
        """Whether the address is over its budget (then `wait()` says for how long)."""
        window = self.lock_window(request, record=False)
        if window is None:
            return False
        refused, self.wait_seconds = check(window)
        return refused is not None

    def record_failure(self, request) -> bool:
        """Count a failed attempt; False if the address was already over its budget (nothing counted)."""
        window = self.lock_window(request, record=True)
        if window is None:
            return True
        refused, self.wait_seconds = check(window)
        return refused is None
