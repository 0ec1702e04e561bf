"""Load test: wrk (a second process) against gunicorn on 127.0.0.1 with the production settings.

Two bounded runs (--duration seconds each, ≤ 20): the verdict feed GET with an API token
(bench/load_feed.lua) and article submissions POST with a unique URL per request (bench/load_submit.lua;
expect 202, 429 only when throttled). Reports requests/s, p50/p99 latency and responses by status, and ends
with one JSON line. The user throttle is raised (FACTCHECK_THROTTLE_USER, default here 1000000/min) so
that the run measures the server, not the throttle; pass --throttle 6000/min to see the production rate.

Needs wrk (`apt-get install -y wrk`) and a private, migrated database with some verdicts in it (run
bench/p6_verdicts.py first); see bench/p3_ingest.py for the database setup:
    .venv/bin/python -m bench.load_test [--duration 15] [--connections 16] [--workers 3]
Not a test; never gates CI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.p3_ingest import REPO, api_client, purge_ingest, refuse_test_databases
from reviewers.models import Verdict
from tests.support.host import ALLOW_NETWORK, HOST

HERE = Path(__file__).resolve().parent
ORIGIN = f"http://{HOST}:8080"  # never contacted: no worker consumes the queue during the run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(script: str, url: str, *, duration: int, connections: int, env: dict[str, str]) -> dict:
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(HERE / script), url],
        env=env, capture_output=True, text=True, timeout=duration + 60,
    )  # fmt: skip
    out = result.stdout
    (REPO / "test-artifacts" / f"bench-load-{Path(script).stem}.txt").write_text(out + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(out + result.stderr)
    latency = dict(re.findall(r"^\s*(50|99)%\s+([\d.]+(?:us|ms|s))", out, re.MULTILINE))
    statuses = json.loads(re.search(r"^STATUSES (.*)$", out, re.MULTILINE).group(1) or "{}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": round(to_ms(latency["50"]), 2),
        "p99_ms": round(to_ms(latency["99"]), 2),
        "statuses": dict(sorted(statuses.items())),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": (re.search(r"Socket errors: (.*)$", out, re.MULTILINE) or [None, ""])[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wrk load test of the verdict feed and article submissions")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run, at most 20")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--throttle", default="1000000/min", help="FACTCHECK_THROTTLE_USER for the server")
    args = parser.parse_args(argv)
    refuse_test_databases()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    duration = min(args.duration, 20)
    token = api_client()._credentials["HTTP_AUTHORIZATION"].split()[1]
    verdicts = Verdict.objects.count()
    port = free_port()
    log_path = REPO / "test-artifacts" / "bench-load-gunicorn.log"
    log_path.parent.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "FACTCHECK_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "FACTCHECK_THROTTLE_USER": args.throttle,
        "FACTCHECK_FETCH_ALLOW_NETWORKS": ALLOW_NETWORK,
        "FACTCHECK_FETCH_ALLOW_PORTS": "8080",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DEBUG", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "factcheck.wsgi:application"],
        cwd=REPO, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    results = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-3000:]) from None
                time.sleep(0.2)
        wrk_env = {**os.environ, "TOKEN": token, "ORIGIN": ORIGIN, "RUN": str(time.time_ns())}
        base = f"http://127.0.0.1:{port}"
        results["feed"] = wrk(
            "load_feed.lua", base + "/api/v1/verdicts/?page_size=50", duration=duration,
            connections=args.connections, env=wrk_env,
        )  # fmt: skip
        results["submit"] = wrk(
            "load_submit.lua", base + "/api/v1/articles/", duration=duration, connections=args.connections,
            env=wrk_env,
        )  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        purge_ingest()
    print(f"{'run':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  statuses")
    for name, r in results.items():
        print(
            f"{name:>7} {r['requests_per_s']:>8.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non_2xx']:>8}  "
            f"{r['statuses']} {r['socket_errors']}"
        )
    print(
        json.dumps(
            {
                "benchmark": "load",
                "duration_s": duration,
                "connections": args.connections,
                "gunicorn_workers": args.workers,
                "throttle_user": args.throttle,
                "verdicts_in_db": verdicts,
                **results,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
