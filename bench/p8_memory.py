"""P8 — worker memory: peak RSS during the P3 and P4 workloads vs the baseline scripts, and growth over repeats.

- P3 (ingest): a real `celery worker -Q ingest -c 1` processes the 50 pages --rounds times, submitted through
  the API (as in bench/p3_ingest.py); after each round the pool process's VmRSS and VmHWM (peak RSS) are
  read from /proc. Baseline: the straight-line script (fetch + extraction + bulk insert) in a process of
  its own, the same pages and rounds, reporting its own VmRSS/VmHWM after each round.
- P4 (evidence fan-out): gather_evidence() over 50 candidate sources (2% hanging) --rounds times in a
  process of its own vs the asyncio.gather floor of bench/p4_fanout.py in another.
Every side has the text encoder loaded (one copy per process, as in a worker): the straight-line script
computes the claims' vectors as the extract stage does, and both P4 processes load it before the first round.
Target: peak RSS ≤ 1.5× the baseline's, and no growth over repeats (RSS after the last round vs after the
first, which includes the one-time model loads). psutil is not installed: /proc/<pid>/status it is.

Needs the private bench database (see bench/p3_ingest.py):
    .venv/bin/python -m bench.p8_memory [--rounds 5]
Ends with one JSON line. Not a test; never gates CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from django.conf import settings

from bench import p4_fanout
from bench.p3_ingest import (
    REPO,
    Worker,
    api_client,
    memory_kb,
    purge_ingest,
    refuse_test_databases,
    straight_line,
    through_api,
)
from encoder import get_encoder
from tests.support.host import HOST
from tests.support.pages import PageServer, manifest


def pages(n: int) -> list[str]:
    return [entry["file"] for entry in sorted(manifest(), key=lambda e: e["file"])][:n]


def side_process(side: str, rounds: int, n_pages: int, port: int | None) -> list[dict]:
    """Run one baseline side in a fresh interpreter; it prints one JSON line per round."""
    command = [sys.executable, "-m", "bench.p8_memory", "--side", side, "--rounds", str(rounds)]
    command += ["--pages", str(n_pages)] + (["--port", str(port)] if port else [])
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-3000:])
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def run_side(args) -> None:
    """Inside the side process: do the work, print memory after each round."""
    run = time.time_ns()
    if args.side == "p3-baseline":
        settings.FACTCHECK_FETCH_ALLOW_PORTS = [args.port]
        for r in range(args.rounds):
            for name in pages(args.pages):
                straight_line(f"http://{HOST}:{args.port}/{name}?run={run}&r={r}&side=p8")
            print(json.dumps({"round": r, **memory_kb_self()}), flush=True)
        return
    ours = args.side == "p4-ours"
    get_encoder().encode(["warm-up"], kind="query")  # both sides hold the encoder, as a worker does
    for r, elapsed in enumerate(p4_rounds(p4_fanout, ours, args.rounds)):
        print(json.dumps({"round": r, "seconds": round(elapsed, 3), **memory_kb_self()}), flush=True)


def memory_kb_self() -> dict[str, int]:
    return memory_kb(os.getpid())


def p4_rounds(p4, ours: bool, rounds: int, n: int = 50, latency: float = 0.2, timeout: float = 1.5):
    """The 50-source workload of bench/p4_fanout.py, `rounds` times; yields each round's seconds."""
    servers = []
    for host in p4.HOSTS:
        server = p4.SearxNGServer({}, page_delay=latency)
        server.host = host
        servers.append(server.start())
    policy = p4.FetchPolicy.build(
        allow_networks=[f"{h}/32" for h in p4.HOSTS],
        allow_ports=[s.port for s in servers],
        connect_timeout=1.0,
        read_timeout=timeout + 0.5,
        total_timeout=timeout + 1.0,
    )
    config = p4.ProviderConfig(policy=policy, page_timeout=timeout, max_sources=50)
    hanging = round(0.02 * n)
    urls = []
    for i in range(n):
        server = servers[i % len(servers)]
        slug = f"n{n}-p{i}"
        server.pages[slug] = (f"Sea level report {i}", p4.page(i))
        if i >= n - hanging:
            server.hanging_pages.add(slug)
        urls.append(server.page_url(slug))
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            if ours:
                p4.run(p4.ours_gather(urls, config, p4.PageCaches("dict")))
            else:
                p4.run(p4.floor(urls, policy, timeout))
            yield time.perf_counter() - started
    finally:
        for server in servers:
            server.stop()


def summary(rows: list[dict]) -> dict:
    return {
        "peak_kb": max(r["VmHWM"] for r in rows),
        "rss_first_kb": rows[0]["VmRSS"],
        "rss_last_kb": rows[-1]["VmRSS"],
        "growth_kb": rows[-1]["VmRSS"] - rows[0]["VmRSS"],
        "rss_by_round_kb": [r["VmRSS"] for r in rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="P8 worker memory benchmark")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--side", choices=["p3-baseline", "p4-ours", "p4-floor"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    refuse_test_databases()
    if args.side:
        run_side(args)
        return 0

    purge_ingest()
    server = PageServer(delay=0.1).start()
    settings.FACTCHECK_FETCH_ALLOW_PORTS = [server.port]
    try:
        baseline_rows = side_process("p3-baseline", args.rounds, args.pages, server.port)
        client = api_client()
        worker = Worker(
            REPO / "test-artifacts" / "bench-p8-worker.log", {"FACTCHECK_FETCH_ALLOW_PORTS": str(server.port)}
        )
        worker.start()
        worker_rows, main_rows = [], []
        run = time.time_ns()
        try:
            for r in range(args.rounds):
                for name in pages(args.pages):
                    through_api(client, server.url(name) + f"?run={run}&r={r}&side=p8w")
                worker_rows.append(memory_kb(worker.pool_pid()))
                main_rows.append(memory_kb(worker.process.pid))
        finally:
            worker.stop()
    finally:
        server.stop()
        purge_ingest()
    p4_ours = side_process("p4-ours", args.rounds, args.pages, None)
    p4_floor = side_process("p4-floor", args.rounds, args.pages, None)

    p3w, p3b, p4o, p4f = summary(worker_rows), summary(baseline_rows), summary(p4_ours), summary(p4_floor)
    print(f"{'workload':>22} {'peak MB':>8} {'RSS 1st':>8} {'RSS last':>9} {'growth MB':>9}")
    for label, s in [
        ("P3 worker pool", p3w),
        ("P3 worker main", summary(main_rows)),
        ("P3 baseline script", p3b),
        ("P4 gather_evidence", p4o),
        ("P4 asyncio floor", p4f),
    ]:
        print(
            f"{label:>22} {s['peak_kb'] / 1024:>8.1f} {s['rss_first_kb'] / 1024:>8.1f} "
            f"{s['rss_last_kb'] / 1024:>9.1f} {s['growth_kb'] / 1024:>9.1f}"
        )
    print(
        json.dumps(
            {
                "benchmark": "P8",
                "rounds": args.rounds,
                "pages": args.pages,
                "p3_worker_pool": p3w,
                "p3_worker_main": summary(main_rows),
                "p3_baseline": p3b,
                "p3_peak_ratio": round(p3w["peak_kb"] / p3b["peak_kb"], 3),
                "p4_ours": p4o,
                "p4_floor": p4f,
                "p4_peak_ratio": round(p4o["peak_kb"] / p4f["peak_kb"], 3),
                "target_ratio": 1.5,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
