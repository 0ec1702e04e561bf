"""P5 — the verdict feed: /api/v1/verdicts/ against a raw keyset-SQL + orjson view in the same server.

Workload: 10^5 (and with --sizes 100000,1000000, also 10^6) verdicts bulk-inserted with INSERT ... SELECT
generate_series into a private bench database; pages of 50 and 500; the first page and a deep cursor (the
middle of the feed). Both endpoints are served by one gunicorn process (1 sync worker, no access log) from
this module's WSGI app, which is the project's URLconf plus one extra route, /bench/raw-feed/, that only
exists here:

- ours:  GET /api/v1/verdicts/?page_size=N[&cursor=...] with a token: the real endpoint (token auth, the
         wrong-token lock and the per-user throttle in Redis, filters, cursor decoding, keyset page,
         links, ETag, orjson);
- raw:   the feed's own SQL statement written out (same joins, same commit-safe horizon, same row-value
         seek, LIMIT N+1) with a cursor of its own, rows to dicts, orjson. It skips authentication,
         throttling, filter validation, the opaque cursor, the links and the ETag, and DRF itself; both
         go through the same Django middleware.

Each pair times a block of requests against ours, then the same against raw (new connection per request,
as gunicorn's sync worker closes them); the table shows medians per request and the median per-pair ratio.
For comparison with figures measured before the raw view ran the horizon, each pair also times raw without
it (columns raw-h, ratio-h; the horizon's backend-status lookup costs a millisecond or more under load).
Target (docs/benchmarks.md): <= 1.5x (50), <= 2x (500); a deep cursor as fast as the first page; no COUNT, no
OFFSET.

Run (the benchmark truncates and fills the database's tables; use a database of its own):
    createdb -h 127.0.0.1 -U postgres bench_feed
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_feed REDIS_URL=redis://127.0.0.1:6379/11 \
        .venv/bin/python -m bench.p5_feed [--sizes 100000,1000000] [--pairs 10] [--requests 20]
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- the server side

if os.environ.get("P5_SERVER") == "1":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    django.setup()
    import orjson
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.http import HttpResponse
    from django.urls import include, path

    settings.ROOT_URLCONF = __name__

    from api.feed import HORIZON_SQL

    # The statement the feed runs (api/feed.py), written out: the same joins, the same commit-safe
    # horizon (verdicts of still-open transactions held back), the same row-value seek, LIMIT N+1.
    # With ?horizon=0 it leaves the horizon out (the baseline of the figures before 2026-11-28), shown
    # beside the real baseline for comparison.
    RAW_SQL = """
        SELECT v.id, v.claim_id, c.article_id, c.language, v.label, v.rationale, v.cited_sources,
               u.username, v.decided_at, v.claim_version, v.state, v.supersedes_id, s.id
          FROM reviewers_verdict v
          JOIN claims_claim c ON c.id = v.claim_id
          JOIN auth_user u ON u.id = v.reviewer_id
          LEFT JOIN reviewers_verdict s ON s.supersedes_id = v.id
         WHERE {horizon} (v.decided_at, v.id) > (%s, %s)
         ORDER BY v.decided_at, v.id
         LIMIT %s
    """
    RAW_SQL_HORIZON = RAW_SQL.format(horizon=HORIZON_SQL.replace('"reviewers_verdict"', "v") + " AND ")
    RAW_SQL_NO_HORIZON = RAW_SQL.format(horizon="")

    def raw_feed(request):
        size = int(request.GET.get("page_size", 50))
        after_t = request.GET.get("t", "-infinity")
        after_id = int(request.GET.get("i", 0))
        with connection.cursor() as cursor:
            if request.GET.get("horizon") == "0":
                cursor.execute(RAW_SQL_NO_HORIZON, (after_t, after_id, size + 1))
            else:
                horizon = (
                    settings.FACTCHECK_FEED_SETTLE_SECONDS,
                    settings.FACTCHECK_FEED_MAX_TRANSACTION_AGE,
                )
                cursor.execute(RAW_SQL_HORIZON, (*horizon, after_t, after_id, size + 1))
            rows = cursor.fetchall()
        more = len(rows) > size
        rows = rows[:size]
        results = [
            {
                "id": r[0],
                "claim": r[1],
                "article": r[2],
                "language": r[3],
                "label": r[4],
                "rationale": r[5],
                "sources": orjson.loads(r[6]) if isinstance(r[6], str) else r[6],
                "reviewer": r[7],
                "decided_at": r[8],
                "claim_version": r[9],
                "state": r[10],
                "final": r[10] == "final",
                "supersedes": r[11],
                "superseded_by": r[12],
            }
            for r in rows
        ]
        next_url = f"?{urlencode({'t': rows[-1][8].isoformat(), 'i': rows[-1][0]})}" if more else None
        body = orjson.dumps({"next": next_url, "previous": None, "results": results})
        return HttpResponse(body, content_type="application/json")

    urlpatterns = [path("bench/raw-feed/", raw_feed), path("", include("factcheck.urls"))]
    application = get_wsgi_application()


# --------------------------------------------------------------------------- the driver side

POPULATE = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                       date_joined)
VALUES ('!', false, 'bench-reviewer', '', '', '', true, true, now()) RETURNING id;
"""


ZERO = {
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "boolean": "false",
    "double precision": "0",
    "jsonb": "'{}'",
    "text": "''",
    "character varying": "''",
    "timestamp with time zone": "now()",
    "ARRAY": "'{}'",
}


def insert_select(cur, table: str, values: dict[str, str], tail: str, params: tuple) -> None:
    """INSERT INTO table (...) SELECT ... with `values` (column -> SQL expression); NOT NULL columns other
    apps added since (no database defaults in Django) get a zero of their type."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        (table,),
    )
    for column, data_type in cur.fetchall():
        values.setdefault(column, ZERO.get(data_type, "''"))
    columns = ", ".join(f'"{c}"' for c in values)
    cur.execute(f"INSERT INTO {table} ({columns}) SELECT {', '.join(values.values())} {tail}", params)


def populate(dsn: str, n: int) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET factcheck.allow_verdict_truncate = on")  # a scratch database (reviewers 0007)
    cur.execute(
        "TRUNCATE reviewers_verdict, claims_source, claims_claim, claims_article, "
        "reviewers_apitoken, auth_user_groups, auth_user CASCADE"
    )
    cur.execute(POPULATE)
    user_id = cur.fetchone()[0]
    articles = max(1, n // 10)
    insert_select(
        cur,
        "claims_article",
        {
            "url": "'https://news.example/' || g",
            "canonical_url": "'https://news.example/' || g",
            "title": "'Story ' || g",
            "language": "CASE WHEN g %% 3 = 0 THEN 'de' ELSE 'en' END",
            "status": "'ready'",
            "status_changed_at": "now()",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "FROM generate_series(1, %s) g",
        (articles,),
    )
    cur.execute("SELECT min(id) FROM claims_article")
    first_article = cur.fetchone()[0]
    insert_select(
        cur,
        "claims_claim",
        {
            "article_id": "%s + (g %% %s)",
            "text": "'The council approved a budget of ' || g || ' million euros.'",
            "start": "g * 100",
            "end": "g * 100 + 50",
            "spans": "'[]'",
            "context": "'{}'",
            "language": "'en'",
            "score": "0.9",
            "signals": "'{}'",
            "fingerprint": "md5(g::text)",
            "status": "'sourced'",
            "provider_reports": "'[]'",
            "verdict_label": "'verified'",
            "decided_at": "now()",
            "version": "1",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "FROM generate_series(1, %s) g",
        (first_article, articles, n),
    )
    cur.execute("SELECT min(id) FROM claims_claim")
    first_claim = cur.fetchone()[0]
    insert_select(
        cur,
        "reviewers_verdict",
        {
            "claim_id": "%s + g - 1",
            "label": "(ARRAY['verified','disputed','unsupported'])[1 + g %% 3]",
            "rationale": "'The minutes of the meeting say so; see the cited sources.'",
            "cited_sources": '\'[{"id": 1, "url": "https://en.wikipedia.org/wiki/Budget", "title": "Budget", '
            '"provider": "wikipedia"}]\'',
            "reviewer_id": "%s",
            "decided_at": "timestamp '2025-01-01' + g * interval '1 second'",
            "claim_version": "1",
            "state": "'final'",
            "override": "false",
        },
        "FROM generate_series(1, %s) g",
        (first_claim, user_id, n),
    )
    for table in ("reviewers_verdict", "claims_claim", "claims_article", "auth_user"):
        cur.execute(f"VACUUM ANALYZE {table}")
    token = "b" * 40
    cur.execute(
        "INSERT INTO reviewers_apitoken (digest, prefix, user_id, created) VALUES (%s, %s, %s, now())",
        (hashlib.sha256(token.encode()).hexdigest(), token[:8], user_id),
    )
    conn.close()


def feed_cursor(at, pk: int) -> str:
    """A forward cursor of the feed (api.pagination.Position's format) after the row (at, pk)."""
    raw = json.dumps({"d": "n", "t": at.isoformat(), "i": pk})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def timed_get(port: int, target: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", target, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    assert response.status == 200, (target, response.status, body[:300])
    return elapsed


def block(port: int, target: str, headers: dict[str, str], requests: int) -> float:
    return statistics.median(timed_get(port, target, headers) for _ in range(requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    bench_dsn = os.environ.get("DATABASE_URL", "")
    name = bench_dsn.rsplit("/", 1)[-1].split("?", 1)[0]
    if not name or name.startswith("test") or name in {"postgres", "template0", "template1"}:
        sys.exit(f"Refusing to run against {name!r}: set DATABASE_URL to a private bench database.")
    if "REDIS_URL" not in os.environ:
        sys.exit("Set REDIS_URL to a private Redis database for the benchmark.")
    env = {
        **os.environ,
        "DEBUG": "0",
        "FACTCHECK_THROTTLE_USER": "100000000/min",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)

    port = 18555
    quiet_config = Path(tempfile.mkdtemp(prefix="p5-")) / "gunicorn.conf.py"
    quiet_config.write_text("# gunicorn's defaults\n")
    rows, summary = [], {}
    print(
        f"{'verdicts':>9} {'page':>5} {'cursor':>6} {'ours ms':>8} {'raw ms':>7} {'ratio':>6}"
        f" {'raw-h ms':>9} {'ratio-h':>9}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        populate(bench_dsn, n)
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "bench.p5_feed:application",
                "-c",
                str(quiet_config),  # not gunicorn.conf.py: no access log, no worker recycling mid-run
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env={**env, "P5_SERVER": "1"},
            start_new_session=True,
        )
        try:
            for _ in range(100):
                try:
                    timed_get(port, "/bench/raw-feed/?page_size=1", {})
                    break
                except (OSError, AssertionError):
                    time.sleep(0.2)
            auth = {"Authorization": "Token " + "b" * 40}
            for size in (50, 500):
                # The deep cursor: the middle of the feed, taken from each endpoint's own links.
                import psycopg2 as pg

                with pg.connect(bench_dsn) as c, c.cursor() as cur:
                    cur.execute(
                        "SELECT decided_at, id FROM reviewers_verdict ORDER BY decided_at, id "
                        "OFFSET %s LIMIT 1",
                        (n // 2,),
                    )
                    mid_t, mid_id = cur.fetchone()

                deep_cursor = feed_cursor(mid_t, mid_id)
                for where in ("first", "deep"):
                    ours = f"/api/v1/verdicts/?page_size={size}"
                    raw = f"/bench/raw-feed/?page_size={size}"
                    if where == "deep":
                        ours += f"&cursor={deep_cursor}"
                        raw += "&" + urlencode({"t": mid_t.isoformat(), "i": mid_id})
                    bare = raw + "&horizon=0"
                    block(port, ours, auth, 3)
                    block(port, raw, {}, 3)
                    block(port, bare, {}, 3)
                    ours_t, raw_t, bare_t, ratios, bare_ratios = [], [], [], [], []
                    for _ in range(args.pairs):
                        a = block(port, ours, auth, args.requests)
                        b = block(port, raw, {}, args.requests)
                        c = block(port, bare, {}, args.requests)
                        ours_t.append(a)
                        raw_t.append(b)
                        bare_t.append(c)
                        ratios.append(a / b)
                        bare_ratios.append(a / c)
                    ratio = statistics.median(ratios)
                    key = f"n{n}_p{size}_{where}"
                    summary[key] = {
                        "ours_ms": round(statistics.median(ours_t) * 1000, 3),
                        "raw_ms": round(statistics.median(raw_t) * 1000, 3),
                        "ratio": round(ratio, 3),
                        "raw_without_horizon_ms": round(statistics.median(bare_t) * 1000, 3),
                        "ratio_to_raw_without_horizon": round(statistics.median(bare_ratios), 3),
                    }
                    rows.append(key)
                    s = summary[key]
                    print(
                        f"{n:>9} {size:>5} {where:>6} {s['ours_ms']:>8.2f} {s['raw_ms']:>7.2f} {ratio:>6.2f}"
                        f" {s['raw_without_horizon_ms']:>9.2f} {s['ratio_to_raw_without_horizon']:>9.2f}"
                    )
        finally:
            server.terminate()
            server.wait(timeout=20)
    ok = all(v["ratio"] <= (1.5 if "_p50_" in k else 2.0) for k, v in summary.items())
    print(
        json.dumps(
            {
                "benchmark": "P5",
                "pairs": args.pairs,
                "requests_per_block": args.requests,
                "results": summary,
                "meets_target": ok,
            }
        )
    )


if __name__ == "__main__":
    main()
