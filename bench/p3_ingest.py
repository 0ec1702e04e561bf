"""P3 — article ingest end to end: through the API and a real Celery worker vs a straight-line script.

Workload: 50 pages of FACTCHECK_EVAL_DATA_DIR/pages served by a loopback origin (tests/support/host.py) with
100 ms latency.
- ours:     POST /api/v1/articles/ (in-process API client, real middleware, DRF, service, on-commit publish)
            → Redis → a real `celery worker -Q ingest -c 1` (fetch_article_task → extract_article_task) until
            the article has left `extracting` (claims stored); polled every 20 ms, and by the database clock;
- baseline: the same fetcher + decoding + main-text extraction + claim finding in this process, then one
            transaction: INSERT the article + one bulk INSERT of its claims.
Pairs alternate per page (baseline, ours, baseline, ours, …) over --rounds rounds of the 50 pages; reported:
p50 and p95 of each side and their ratios (target p50 ≤ 1.2×, p95 ≤ 1.5×), the median per-pair ratio.

Separately, SQL statements per article: the API submission, fetch_article and extract_article stages run
in-process for every page, statements counted with an execute_wrapper; the count must not depend on the claim count.

Needs a private, migrated database and Redis database (never the test ones):
    createdb -h 127.0.0.1 -U postgres bench_factcheck
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_factcheck REDIS_URL=redis://127.0.0.1:6379/12
    .venv/bin/python manage.py migrate
    .venv/bin/python -m bench.p3_ingest [--rounds 2] [--pages 50]
Ends with one JSON line. Not a test; never gates CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

from tests.support.host import ALLOW_NETWORK

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_FETCH_ALLOW_NETWORKS", ALLOW_NETWORK)
os.environ.setdefault("FACTCHECK_THROTTLE_USER", "1000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every query in memory and renders HTML error pages

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.guard import refuse_test_databases  # noqa: E402
from checkworthiness.claimfinder import find_claims  # noqa: E402
from claims import stages  # noqa: E402
from claims.models import Article, ArticleStatus, Claim  # noqa: E402
from claims.search import search_vector  # noqa: E402
from encoder import get_encoder, to_bytes  # noqa: E402
from extraction.decoding import IngestError, to_document  # noqa: E402
from extraction.main_text import extract_article, extract_plain_text  # noqa: E402
from outbound.fetcher import fetch  # noqa: E402
from outbound.policy import fetch_policy  # noqa: E402
from reviewers.roles import REVIEWERS  # noqa: E402
from reviewers.tokens import ApiToken  # noqa: E402
from tests.support.pages import PageServer, manifest  # noqa: E402
from textkit.similarity import fingerprint  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
IN_FLIGHT = {ArticleStatus.QUEUED, ArticleStatus.FETCHING, ArticleStatus.EXTRACTING}


def purge_ingest() -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
        "ingest", "sources", "webhooks", "unacked", "unacked_index"
    )


def api_client() -> APIClient:
    user, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    token = ApiToken.issue(user, replace=True)
    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- processes ---------------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB, from /proc (psutil is not installed)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


class Worker:
    """`celery worker -Q ingest -c 1`: one pool process does all the work, so its memory is the worker's."""

    def __init__(self, log_path: Path, extra_env: dict[str, str]) -> None:
        self.log_path = log_path
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "plain",
            **extra_env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "factcheck", "worker", "-Q", "ingest", "-c", "1", "-l", "info",
             "-n", f"bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=self.env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while b" ready." not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log_path.read_text()[-3000:])
            time.sleep(0.2)
        return self

    def pool_pid(self) -> int:
        return children(self.process.pid)[0]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, 15)  # warm shutdown: the running task finishes first
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


# --- the two sides -----------------------------------------------------------------------------------
def straight_line(url: str) -> int:
    """Fetch, decode, extract, find claims and their vectors, one INSERT + one bulk INSERT. Returns the claim
    count."""
    response = fetch(url, policy=fetch_policy())
    try:
        document = to_document(response.content, response.content_type, response.charset or None)
        if document.kind == "html":
            extracted = extract_article(document.html or "", url=response.final_url)
        else:
            extracted = extract_plain_text(document.text or "")
    except IngestError:
        return 0
    candidates = find_claims(
        extracted.text, language=extracted.language, title=extracted.title,
        threshold=settings.FACTCHECK_CHECKWORTHINESS_THRESHOLD,
    ) if extracted.text.strip() else []  # fmt: skip
    encoder = get_encoder()  # loaded once per process, as in the worker
    # The finder encoded every sentence it scored; the extract stage stores those vectors (claims/stages.py)
    # and so does this floor, instead of encoding the claims a second time.
    vectors = [
        c.vector if c.vector is not None else encoder.encode([c.text], kind="query")[0] for c in candidates
    ]
    with transaction.atomic():
        article = Article.objects.create(
            url=url, canonical_url=url, final_url=response.final_url, http_status=response.status,
            content_type=response.content_type, content_hash=hashlib.sha256(response.content).hexdigest(),
            content_length=len(response.content), fetched_at=response.fetched_at, title=extracted.title,
            author=extracted.author, sitename=extracted.sitename, published_at=extracted.published_at,
            language=extracted.language, language_note=extracted.language_note, text=extracted.text,
            search_vector=search_vector(extracted.title, extracted.text, extracted.language),
            status=ArticleStatus.SOURCING if candidates else ArticleStatus.READY,
        )  # fmt: skip
        Claim.objects.bulk_create(
            [
                Claim(article=article, text=c.text, start=c.start, end=c.end, spans=[list(s) for s in c.spans],
                      context=c.context, language=c.language, score=c.score, signals=c.signals,
                      fingerprint=fingerprint(c.text), embedding=to_bytes(vector), embedding_model=encoder.name)
                for c, vector in zip(candidates, vectors, strict=True)
            ]
        )  # fmt: skip
    zlib.compress(response.content, 6)  # ours keeps a compressed snapshot; the cost belongs on both sides
    return len(candidates)


# Polling costs CPU the worker needs on a 2-core machine; 20 ms keeps it light. The polled end time is
# late by up to one interval (against ours); the database's own timestamp of the extraction's write is
# reported beside it (early by the time of that last write).
POLL_INTERVAL = 0.02


def through_api(client: APIClient, url: str, timeout: float = 120.0) -> tuple[int, float]:
    """Submit and wait until extraction has stored the claims. Returns (claims, seconds by the database's
    clock from submission to the extraction's write)."""
    started = timezone.now()
    response = client.post("/api/v1/articles/", {"url": url}, format="json")
    if response.status_code != 202:
        raise RuntimeError(f"{response.status_code} {response.content[:300]!r}")
    article_id = response.json()["id"]
    deadline = time.monotonic() + timeout
    status = ArticleStatus.QUEUED
    while status in IN_FLIGHT:
        if time.monotonic() > deadline:
            raise RuntimeError(f"article {article_id} stuck in {status}")
        time.sleep(POLL_INTERVAL)
        status = Article.objects.filter(pk=article_id).values_list("status", flat=True).first()
    written = Article.objects.filter(pk=article_id).values_list("status_changed_at", flat=True).first()
    return Claim.objects.filter(article_id=article_id).count(), (written - started).total_seconds()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def count_statements(fn, *args, **kwargs) -> tuple[int, object]:
    """SQL statements fn(*args, **kwargs) sends, and its result. (CaptureQueriesContext miscounts around
    the test client: request_started resets the query log.)"""
    count = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        result = fn(*args, **kwargs)
    return count, result


def statements_per_article(client: APIClient, urls: list[str]) -> list[dict]:
    """SQL statements of the API submission, the fetch stage and the extract stage, per article (in-process)."""
    rows = []
    for url in urls:
        api, response = count_statements(client.post, "/api/v1/articles/", {"url": url}, format="json")
        article_id = response.json()["id"]
        fetched, _ = count_statements(stages.fetch_article, article_id=article_id)
        extracted, claim_ids = count_statements(stages.extract_article, article_id=article_id)
        rows.append({"claims": len(claim_ids), "api": api, "fetch": fetched, "extract": extracted})
    purge_ingest()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="P3 article ingest benchmark")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args(argv)
    refuse_test_databases()
    purge_ingest()
    run = time.strftime("%Y%m%d%H%M%S")
    files = [entry["file"] for entry in sorted(manifest(), key=lambda e: e["file"])][: args.pages]
    server = PageServer(delay=args.latency).start()
    settings.FACTCHECK_FETCH_ALLOW_PORTS = [server.port]
    client = api_client()
    worker = Worker(REPO / "test-artifacts" / "bench-p3-worker.log",
                    {"FACTCHECK_FETCH_ALLOW_PORTS": str(server.port)}).start()  # fmt: skip
    try:
        # warm-up: both sides load lingua's models and trafilatura once, outside the timing
        straight_line(server.url(files[0]) + f"?run={run}&warm=a")
        through_api(client, server.url(files[0]) + f"?run={run}&warm=b")
        pairs = []
        for r in range(args.rounds):
            for name in files:
                started = time.perf_counter()
                claims_a = straight_line(server.url(name) + f"?run={run}&r={r}&side=a")
                a = time.perf_counter() - started
                started = time.perf_counter()
                claims_b, db_b = through_api(client, server.url(name) + f"?run={run}&r={r}&side=b")
                b = time.perf_counter() - started
                pairs.append(
                    {
                        "page": name,
                        "baseline_s": a,
                        "ours_s": b,
                        "ours_db_s": db_b,
                        "claims": (claims_a, claims_b),
                    }
                )
        worker_memory = memory_kb(worker.pool_pid())
    finally:
        worker.stop()
    statements = statements_per_article(client, [server.url(name) + f"?run={run}&sql=1" for name in files])
    server.stop()

    base = [p["baseline_s"] for p in pairs]
    ours = [p["ours_s"] for p in pairs]
    ours_db = [p["ours_db_s"] for p in pairs]
    ratios = [p["ours_s"] / p["baseline_s"] for p in pairs]
    mismatched = sum(1 for p in pairs if p["claims"][0] != p["claims"][1])
    total = [s["api"] + s["fetch"] + s["extract"] for s in statements]
    by_claims = sorted(statements, key=lambda s: s["claims"])
    print(f"{'':>10} {'p50 s':>8} {'p95 s':>8}")
    print(f"{'baseline':>10} {percentile(base, 0.5):>8.3f} {percentile(base, 0.95):>8.3f}")
    print(f"{'ours':>10} {percentile(ours, 0.5):>8.3f} {percentile(ours, 0.95):>8.3f}")
    print(f"{'ratio':>10} {percentile(ours, .5) / percentile(base, .5):>8.2f} {percentile(ours, .95) / percentile(base, .95):>8.2f}")  # fmt: skip
    print(f"median per-pair ratio {statistics.median(ratios):.2f} over {len(pairs)} pairs; claim counts differ on {mismatched}")  # fmt: skip
    print("SQL statements per article (api + fetch + extract) by claim count:")
    for s in by_claims[:: max(1, len(by_claims) // 8)] + [by_claims[-1]]:
        print(f"  claims={s['claims']:>3}  api={s['api']}  fetch={s['fetch']}  extract={s['extract']}")
    print(
        json.dumps(
            {
                "benchmark": "P3",
                "pages": len(files),
                "rounds": args.rounds,
                "pairs": len(pairs),
                "latency_s": args.latency,
                "baseline_p50_s": round(percentile(base, 0.5), 3),
                "baseline_p95_s": round(percentile(base, 0.95), 3),
                "ours_p50_s": round(percentile(ours, 0.5), 3),
                "ours_p95_s": round(percentile(ours, 0.95), 3),
                "ours_db_clock_p50_s": round(percentile(ours_db, 0.5), 3),
                "ours_db_clock_p95_s": round(percentile(ours_db, 0.95), 3),
                "p50_ratio": round(percentile(ours, 0.5) / percentile(base, 0.5), 3),
                "p95_ratio": round(percentile(ours, 0.95) / percentile(base, 0.95), 3),
                "median_pair_ratio": round(statistics.median(ratios), 3),
                "db_clock_p50_ratio": round(percentile(ours_db, 0.5) / percentile(base, 0.5), 3),
                "db_clock_p95_ratio": round(percentile(ours_db, 0.95) / percentile(base, 0.95), 3),
                "targets": {"p50": 1.2, "p95": 1.5},
                "claims_min_max": [by_claims[0]["claims"], by_claims[-1]["claims"]],
                "sql_statements_min_max": [min(total), max(total)],
                "sql_statements_distinct": sorted(set(total)),
                "worker_pool_kb": worker_memory,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
