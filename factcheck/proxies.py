"""Is the proxy count right? A proxy header seen while FACTCHECK_NUM_PROXIES is 0 means the API reads the
proxy's address as every client's (one budget of failed tokens and anonymous requests for everyone).

The request middleware notes the first X-Forwarded-For a process sees in that configuration, in Redis so
that `manage.py check --deploy` (another process) can say so: warning factcheck.W001. Nothing is noted
when FACTCHECK_NUM_PROXIES is set; the note expires after a week (a fixed deployment stops warning).
"""

from __future__ import annotations

from typing import cast

import redis
from django.conf import settings
from django.core import checks

SEEN_KEY = "factcheck:proxy-header-seen"
SEEN_SECONDS = 7 * 86400
_noted = False  # once per process


def num_proxies() -> int:
    return int(cast(int | None, settings.REST_FRAMEWORK.get("NUM_PROXIES")) or 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def note_forwarded(request) -> None:
    """Called by the middleware for every request; costs a Redis write once per process at most."""
    global _noted
    if _noted or "HTTP_X_FORWARDED_FOR" not in request.META or num_proxies():
        return
    _noted = True
    try:
        _redis().set(SEEN_KEY, request.META.get("REMOTE_ADDR", ""), ex=SEEN_SECONDS)
    except redis.RedisError:
        _noted = False  # try again with a later request


def forget() -> None:
    """Clear the note and this process's flag (after fixing the setting; tests)."""
    global _noted
    _noted = False
    _redis().delete(SEEN_KEY)


@checks.register(checks.Tags.security, deploy=True)
def check_num_proxies(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if num_proxies():
        return []
    try:
        proxy = _redis().get(SEEN_KEY)
    except redis.RedisError:
        return []
    if proxy is None:
        return []
    return [
        checks.Warning(
            f"Requests arrived with X-Forwarded-For (from {_text(proxy) or 'a proxy'}) while "
            "FACTCHECK_NUM_PROXIES is 0: every client is throttled as the proxy's address.",
            hint="Set FACTCHECK_NUM_PROXIES to the number of trusted proxies in front (docs/deployment.md).",
            id="factcheck.W001",
        )
    ]
