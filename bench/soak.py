"""Load soak (RELIABILITY.md L1, L2) against what `make run` starts: `python -m devtools.run` (gunicorn with
gunicorn.conf.py, and a Celery worker with beat, concurrency 2), pointed at a private database and Redis db.

Real pages of FACTCHECK_EVAL_DATA_DIR/pages are served by a local origin server under distinct URLs (variants);
sources come from the archive and a MediaWiki stand-in on loopback. `--clients` clients submit the articles
(at once, or spread over `--submit-over` seconds) and poll each of their articles every `--poll` seconds.
A sampler reads PostgreSQL's connections to the database every 0.5 s and the worker's RSS (its whole
process group: main process, pool, beat).

    # L1, the 70-article morning of issue 18: ends when every article is terminal (at most --duration)
    .venv/bin/python -m bench.soak --articles 70 --clients 8 --pages 14
    # L2, the long soak: a few hundred articles over 15 minutes
    .venv/bin/python -m bench.soak --articles 300 --clients 8 --duration 900 --submit-over 600 --keep-polling

Prints articles/hour, the 5xx count, peak connections and peak worker RSS, and ends with one JSON line.
Needs DATABASE_URL and REDIS_URL of a private database (it refuses test databases; see bench/README.md).
Not a test; never gates CI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.support.host import ALLOW_NETWORK

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_FETCH_ALLOW_NETWORKS", ALLOW_NETWORK)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.guard import refuse_test_databases  # noqa: E402
from devtools.processes import stop_process  # noqa: E402
from factcheck.dbbudget import connection_budget  # noqa: E402
from reviewers.roles import REVIEWERS  # noqa: E402
from reviewers.tokens import ApiToken  # noqa: E402
from tests.support import mediawiki  # noqa: E402
from tests.support.pages import manifest  # noqa: E402
from tests.support.soak import TERMINAL, Sampler, VariantPageServer, run_clients  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_token() -> str:
    user, _ = User.objects.get_or_create(username="bench-soak", defaults={"is_staff": True})
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    return ApiToken.issue(user, replace=True).key


class Stack:
    """`python -m devtools.run` in a session of its own; its output goes to a log, the worker's pid is read
    from the supervisor's `started worker (pid N)` line."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.run"], cwd=REPO, env=env, stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def pid_of(self, name: str, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(rf"started {name} \(pid (\d+)\)", self.log_path.read_text(errors="replace"))
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(self.log_path.read_text(errors="replace")[-3000:])

    def wait_ready(self, base_url: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(base_url + "/health/", timeout=2)
                if " ready." in self.log_path.read_text(errors="replace"):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(self.log_path.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        stop_process(self.process, timeout=90, sig=signal.SIGINT)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="soak of what `make run` starts")
    parser.add_argument("--articles", type=int, default=70)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pages", type=int, default=14, help="the first N news pages of the manifest")
    parser.add_argument(
        "--poll", type=float, default=2.0, help="seconds between a client's polls of an article"
    )
    parser.add_argument("--duration", type=float, default=900, help="at most this many seconds")
    parser.add_argument(
        "--submit-over", type=float, default=0.0, help="spread submissions over these seconds"
    )
    parser.add_argument(
        "--keep-polling", action="store_true", help="poll for --duration even when all are done"
    )
    parser.add_argument("--concurrency", default="2", help="FACTCHECK_WORKER_CONCURRENCY")
    return parser.parse_args(argv)


def stack_env(args: argparse.Namespace, port: int, origin: VariantPageServer, wiki) -> dict[str, str]:
    return {
        **os.environ,
        "FACTCHECK_HOST": "127.0.0.1",
        "FACTCHECK_PORT": str(port),
        "FACTCHECK_WORKER_CONCURRENCY": args.concurrency,
        "FACTCHECK_FETCH_ALLOW_NETWORKS": ALLOW_NETWORK,
        "FACTCHECK_FETCH_ALLOW_PORTS": f"{origin.port},{wiki.port}",
        "FACTCHECK_PROVIDERS": "archive,wikipedia",
        "FACTCHECK_WIKIPEDIA_API": wiki.api_template,
        "FACTCHECK_THROTTLE_USER": "1000000/min",
    }


def report(args, tally, elapsed: float, sampler: Sampler, budget) -> dict:
    done = [seconds for _, seconds in tally.finished.values()]
    last = max(done, default=elapsed)
    states = {state: sum(1 for s, _ in tally.finished.values() if s == state) for state in TERMINAL}
    return {
        "benchmark": "soak",
        "articles": args.articles,
        "clients": args.clients,
        "poll_s": args.poll,
        "elapsed_s": round(elapsed, 1),
        "terminal": len(done),
        "states": states,
        "all_terminal_s": round(last, 1) if len(done) == args.articles else None,
        "articles_per_hour": round(len(done) / last * 3600, 1) if done else 0.0,
        "requests": tally.requests,
        "requests_per_s": round(tally.requests / elapsed, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors_5xx": tally.server_errors,
        "connection_errors": len(tally.errors),
        "submit_p50_ms": round(statistics.median(tally.submit_ms), 1) if tally.submit_ms else None,
        "peak_connections": sampler.peak_connections,
        "budget": budget.server,
        "worker_rss_mb_first_minute": round(max(sampler.rss_kb[:120], default=0) / 1024, 1),
        "peak_worker_rss_mb": round(sampler.peak_rss_mb, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    refuse_test_databases()
    call_command("migrate", "--noinput", verbosity=0)
    token = bench_token()
    connection.close()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("ingest", "sources", "webhooks", "unacked")
    names = [entry["file"] for entry in manifest() if entry.get("news")][: args.pages]
    origin = VariantPageServer().start()
    wiki = mediawiki.start(mediawiki.WIKI_CORPUS)
    port = free_port()
    env = stack_env(args, port, origin, wiki)
    log_path = REPO / "test-artifacts" / "bench-soak-stack.log"
    log_path.parent.mkdir(exist_ok=True)
    stack = Stack(env, log_path)
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']} password={db['PASSWORD'] or ''}"
    try:
        worker_pid = stack.pid_of("worker")
        base_url = f"http://127.0.0.1:{port}"
        stack.wait_ready(base_url)
        sampler = Sampler(dsn, db["NAME"], [worker_pid])
        sampler.start()
        urls = origin.urls(args.articles, run=str(time.time_ns()), names=names)

        def stop_when(tally, elapsed: float) -> bool:
            if elapsed >= args.duration:
                return True
            return not args.keep_polling and len(tally.finished) >= args.articles

        tally, elapsed = run_clients(
            base_url, token, urls, clients=args.clients, poll_interval=args.poll, stop_when=stop_when,
            submit_over=args.submit_over,
        )  # fmt: skip
        sampler.stop.set()
        sampler.join(timeout=10)
        if stack.process.poll() is not None:
            raise RuntimeError(
                "the stack died during the run:\n" + log_path.read_text(errors="replace")[-3000:]
            )
    finally:
        stack.stop()
        origin.stop()
        wiki.stop()
    result = report(
        args, tally, elapsed, sampler, connection_budget(env, pooler=settings.FACTCHECK_DB_POOLER)
    )
    print(f"{'articles':>8} {'terminal':>8} {'all done s':>10} {'art/hour':>9} {'requests':>8} {'req/s':>6} "
          f"{'5xx':>4} {'peak conn':>9} {'budget':>6} {'worker RSS MB':>13}")  # fmt: skip
    print(
        f"{result['articles']:>8} {result['terminal']:>8} {result['all_terminal_s'] or '-':>10} "
        f"{result['articles_per_hour']:>9} {result['requests']:>8} {result['requests_per_s']:>6} "
        f"{result['server_errors_5xx']:>4} {result['peak_connections']:>9} {result['budget']:>6} "
        f"{result['peak_worker_rss_mb']:>13}"
    )
    if tally.errors:
        print("connection errors (first 5):", *tally.errors[:5], sep="\n  ")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "soak"
    sys.exit(main())
