"""P5 — the verdict feed: /api/v1/verdicts/ against a raw keyset-SQL + orjson view in the same server.

Workload: 10^5 (and with --sizes 1000000, 10^6) verdicts bulk-inserted with generate_series into a
database of their own; pages of 50 and 500; the first page and a deep cursor (the middle of the feed).
Both endpoints are served by one gunicorn process (1 sync worker) from this module's WSGI app, which is
the project's URLconf plus one extra route, /bench/raw-feed/, that only exists here:

- ours:  GET /api/v1/verdicts/?page_size=N[&cursor=…] with a token (auth, throttling, filters, keyset
         page, ETag, orjson) — the real endpoint;
- raw:   the same keyset SQL (same joins, same row-value seek, LIMIT N+1) with a cursor of its own,
         rows to dicts, orjson — no framework, no auth.

Each pair times a block of requests against ours, then the same against raw (new connection per request,
as gunicorn's sync worker closes them); the table shows medians per request and the median per-pair ratio.
Target (BENCHMARKS.md): ≤ 1.5× (50), ≤ 2× (500); a deep cursor as fast as the first page; no COUNT, no OFFSET.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/13 \
     .venv/bin/python -m bench.p5_feed [--sizes 100000,1000000] [--pairs 10] [--requests 20]
(the benchmark creates and drops the database `factcheck_p5`). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
BENCH_DB = "factcheck_p5"

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

    RAW_SQL = """
        SELECT v.id, v.claim_id, c.article_id, c.language, v.label, v.rationale, v.cited_sources,
               u.username, v.decided_at, v.claim_version, v.state, v.supersedes_id, s.id
          FROM reviewers_verdict v
          JOIN claims_claim c ON c.id = v.claim_id
          JOIN auth_user u ON u.id = v.reviewer_id
          LEFT JOIN reviewers_verdict s ON s.supersedes_id = v.id
         WHERE (v.decided_at, v.id) > (%s, %s)
         ORDER BY v.decided_at, v.id
         LIMIT %s
    """

    def raw_feed(request):
        size = int(request.GET.get("page_size", 50))
        after_t = request.GET.get("t", "-infinity")
        after_id = int(request.GET.get("i", 0))
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, (after_t, after_id, size + 1))
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
                "sources": json.loads(r[6]) if isinstance(r[6], str) else r[6],
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
    cur.execute(
        "TRUNCATE reviewers_verdict, claims_source, claims_claim, claims_article, "
        "authtoken_token, auth_user_groups, auth_user CASCADE"
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
        "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, now())", (token, user_id)
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

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    admin_dsn = re.sub(r"/[^/]*$", "/postgres", base)
    bench_dsn = re.sub(r"/[^/]*$", f"/{BENCH_DB}", base)
    import psycopg2

    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    admin.cursor().execute(f"CREATE DATABASE {BENCH_DB}")
    env = {
        **os.environ,
        "DATABASE_URL": bench_dsn,
        "DEBUG": "0",
        "FACTCHECK_THROTTLE_USER": "100000000/min",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)

    port = 18555
    rows, summary = [], {}
    print(f"{'verdicts':>9} {'page':>5} {'cursor':>6} {'ours ms':>8} {'raw ms':>7} {'ratio':>6}")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            populate(bench_dsn, n)
            server = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "bench.p5_feed:application",
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
                        block(port, ours, auth, 3)
                        block(port, raw, {}, 3)
                        ours_t, raw_t, ratios = [], [], []
                        for _ in range(args.pairs):
                            a = block(port, ours, auth, args.requests)
                            b = block(port, raw, {}, args.requests)
                            ours_t.append(a)
                            raw_t.append(b)
                            ratios.append(a / b)
                        ratio = statistics.median(ratios)
                        key = f"n{n}_p{size}_{where}"
                        summary[key] = {
                            "ours_ms": round(statistics.median(ours_t) * 1000, 3),
                            "raw_ms": round(statistics.median(raw_t) * 1000, 3),
                            "ratio": round(ratio, 3),
                        }
                        rows.append(key)
                        s = summary[key]
                        print(
                            f"{n:>9} {size:>5} {where:>6} {s['ours_ms']:>8.2f} {s['raw_ms']:>7.2f} {ratio:>6.2f}"
                        )
            finally:
                server.terminate()
                server.wait(timeout=20)
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.close()
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
