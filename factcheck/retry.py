"""The one backoff for everything that retries (fetch tasks, webhook deliveries)."""

from __future__ import annotations

import random


def backoff(retries: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number `retries + 1`: exponential (base · 2^retries, at most `cap`)
    with equal jitter — half the delay fixed, half random — so that retries spread out yet each wait is
    longer than the one before; at least Retry-After (also capped) when the server sent one."""
    delay = min(cap, base * 2**retries)
    wait = delay / 2 + random.uniform(0, delay / 2)
    if retry_after is not None:
        wait = max(wait, min(retry_after, cap))
    return wait
