"""P6 — recording a verdict: POST /api/v1/claims/{id}/verdict/ vs a raw view doing the same INSERT + UPDATE.

Both go through the same in-process Django client and middleware stack, one claim per POST (so history
lookups stay the size they are in real use):
- ours: the DRF action — token auth, permission, throttles, serializer validation, record_verdict() in
        ORM code (the conditional UPDATE with F() that locks the claim, the claim with its holder, history
        and the user's roles in one statement after the lock, the four-eyes checks, INSERT of the
        verdict, release of the claim's assignment if someone held it, the verdict_recorded signal with
        the outbox: the subscriptions, then one bulk_create), response serializer;
- raw:  a plain Django view: json.loads, one transaction with the same conditional UPDATE … RETURNING and
        the INSERT of the verdict row, orjson response. No auth (the floor).
Blocks of --posts / --pairs POSTs alternate (raw, ours, raw, ours, …); reported: median per-block ratio of
the per-POST times, absolute medians, the CPU time of this process per POST (time.process_time: what
the Python costs, less sensitive to the machine's load than the wall clock; the database's own work is
not in it), and ours' SQL statements per POST. Target: ≤ 3× (issue 15.4).

Needs a private, migrated database (see bench/p3_ingest.py for the setup):
    .venv/bin/python -m bench.p6_verdicts [--posts 10000] [--pairs 20]
Ends with one JSON line. Not a test; never gates CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import types

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_THROTTLE_USER", "100000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from bench.p3_ingest import api_client, count_statements, refuse_test_databases  # noqa: E402
from claims.models import Article, ArticleStatus, Claim, ClaimStatus  # noqa: E402

BODY = {
    "label": "verified",
    "rationale": "The cited statistics office figures match the claim.",
    "sources": [],
}
REVIEWER_ID = 0  # set in main()

UPDATE = (
    "UPDATE claims_claim SET version = version + 1, verdict_label = %s, decided_at = %s, updated_at = %s "
    "WHERE id = %s AND (%s IS NULL OR version = %s) RETURNING version"
)
INSERT = (
    "INSERT INTO reviewers_verdict (claim_id, label, rationale, cited_sources, reviewer_id, decided_at, "
    "claim_version, state, override) VALUES (%s, %s, %s, '[]'::jsonb, %s, %s, %s, 'final', false) RETURNING id"
)


@csrf_exempt
def raw_verdict(request, pk: int):
    data = json.loads(request.body)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        version = data.get("version")  # optimistic concurrency as in ours, when the client sends one
        cursor.execute(UPDATE, [data["label"], now, now, pk, version, version])
        row = cursor.fetchone()
        if row is None:
            return HttpResponse(b'{"code":"stale"}', status=412, content_type="application/json")
        cursor.execute(INSERT, [pk, data["label"], data["rationale"], REVIEWER_ID, now, row[0]])
        verdict_id = cursor.fetchone()[0]
    body = {"id": verdict_id, "claim": pk, "label": data["label"], "decided_at": now, "claim_version": row[0]}
    return HttpResponse(orjson.dumps(body), status=201, content_type="application/json")


def install_raw_view() -> None:
    from factcheck import urls

    module = types.ModuleType("p6_urls")
    module.urlpatterns = [path("raw/claims/<int:pk>/verdict/", raw_verdict), *urls.urlpatterns]
    sys.modules["p6_urls"] = module
    settings.ROOT_URLCONF = "p6_urls"
    clear_url_caches()


def make_claims(n: int) -> list[int]:
    article = Article.objects.create(
        url=f"https://bench.example/p6-{time.time_ns()}",
        canonical_url=f"https://bench.example/p6-{time.time_ns()}",
        status=ArticleStatus.READY,
        language="en",
    )
    Claim.objects.bulk_create(
        [
            Claim(article=article, text=f"Claim {i} says 12 million euros.", start=i * 40, end=i * 40 + 30,
                  spans=[[i * 40, i * 40 + 30]],
                  language="en", score=0.9, signals={}, fingerprint=f"p6-{article.pk}-{i}",
                  status=ClaimStatus.SOURCED)
            for i in range(n)
        ],
        batch_size=2000,
    )  # fmt: skip
    return list(Claim.objects.filter(article=article).order_by("id").values_list("id", flat=True))


def main(argv: list[str] | None = None) -> int:
    global REVIEWER_ID
    parser = argparse.ArgumentParser(description="P6 verdict recording benchmark")
    parser.add_argument("--posts", type=int, default=10000, help="POSTs per side")
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args(argv)
    refuse_test_databases()
    install_raw_view()
    client = api_client()
    REVIEWER_ID = User.objects.get(username="bench-reviewer").pk
    block = args.posts // args.pairs
    claims = iter(make_claims(2 * block * args.pairs + 2))

    def timed_block(prefix: str) -> tuple[float, float]:
        """Wall-clock and CPU seconds per POST over `block` verdicts posted to `prefix` (ours: /api/v1, raw: /raw)."""
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(block):
            response = client.post(f"{prefix}/claims/{next(claims)}/verdict/", BODY, format="json")
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.content[:300]!r}")
        return (time.perf_counter() - started) / block, (time.process_time() - cpu) / block

    ours_queries, _ = count_statements(
        client.post, f"/api/v1/claims/{next(claims)}/verdict/", BODY, format="json"
    )
    raw_queries, _ = count_statements(
        client.post, f"/raw/claims/{next(claims)}/verdict/", BODY, format="json"
    )
    blocks = [(timed_block("/raw"), timed_block("/api/v1")) for _ in range(args.pairs)]
    rows = [(raw[0], ours[0]) for raw, ours in blocks]
    cpu = [(raw[1], ours[1]) for raw, ours in blocks]
    ratios = [b / a for a, b in rows]
    print(f"{'pair':>4} {'raw ms':>8} {'ours ms':>8} {'ratio':>6} {'raw cpu':>8} {'ours cpu':>8}")
    for i, ((a, b), r, (ca, cb)) in enumerate(zip(rows, ratios, cpu, strict=True)):
        print(f"{i:>4} {a * 1000:>8.2f} {b * 1000:>8.2f} {r:>6.2f} {ca * 1000:>8.2f} {cb * 1000:>8.2f}")
    print(f"SQL statements per POST: ours {ours_queries}, raw {raw_queries}")
    print(
        json.dumps(
            {
                "benchmark": "P6",
                "posts_per_side": block * args.pairs,
                "pairs": args.pairs,
                "raw_median_ms": round(statistics.median(a for a, _ in rows) * 1000, 3),
                "ours_median_ms": round(statistics.median(b for _, b in rows) * 1000, 3),
                "median_ratio": round(statistics.median(ratios), 3),
                "raw_cpu_median_ms": round(statistics.median(a for a, _ in cpu) * 1000, 3),
                "ours_cpu_median_ms": round(statistics.median(b for _, b in cpu) * 1000, 3),
                "target_ratio": 3,
                "sql_per_post": {"ours": ours_queries, "raw": raw_queries},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
