"""GET /health/: is the database reachable, is the broker reachable, have workers been seen? JSON, no auth.

200 when database and broker answer, 503 when either does not. `matching` says whether claim matching uses
claim vectors ("vectors": pgvector, across languages) or not ("lexical only", with a line in `warnings`);
it never makes the answer 503. Workers are reported, not judged: a
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


# The vector column migration claims 0010 adds where the server has pgvector (claims/vectors.py); read from
# the catalogue so that this module imports no app.
_VECTORS_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('claims_claim') AND attname = 'match_vector' AND NOT attisdropped)
"""
LEXICAL_ONLY = (
    "claim matching is lexical only: the database has no pgvector (claim vectors), so claims in other "
    "languages are not matched (manage.py check explains, claims.W001)"
)


def check_matching() -> str:
    """ "vectors", "lexical only", or "unknown" when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(_VECTORS_SQL)
            return "vectors" if cursor.fetchone()[0] else "lexical only"
    except Exception:
        return "unknown"


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
    matching = check_matching() if checks["database"] == "ok" else "unknown"
    warnings = [LEXICAL_ONLY] if matching == "lexical only" else []
    body = {"status": "ok" if healthy else "unavailable", "checks": checks, "workers": workers}
    return JsonResponse(
        {**body, "matching": matching, "warnings": warnings},
        status=200 if healthy else 503,
    )
