"""GET /health/: is the database reachable, is the broker reachable, have workers been seen? JSON, no auth.

200 when database and broker answer, 503 when either does not. Workers are reported, not judged: a
deployment scaling its workers to zero, or starting the web before them, is still serving the API, and a
load balancer must not take the web out of rotation for it. Alert on `workers.alive == 0` instead.
"""

from __future__ import annotations

import redis
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from factcheck.observability import redis_client, workers_seen


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means "down"; the message helps the operator
        return f"error: {type(exc).__name__}"


def check_broker() -> tuple[str, dict | None]:
    """The broker's state and, when it answers, the workers that sent a heartbeat recently."""
    try:
        client = redis_client()
        client.ping()
    except Exception as exc:
        return f"error: {type(exc).__name__}", None
    try:
        return "ok", workers_seen(client)
    except redis.RedisError:
        return "ok", None


@never_cache
@require_GET
def health(request):
    broker, workers = check_broker()
    checks = {"database": check_database(), "broker": broker}
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks, "workers": workers},
        status=200 if healthy else 503,
    )
