"""P4 — evidence fan-out: candidate pages fetched for one claim, against the asyncio.gather floor.

Workload: claims with 5 / 20 / 50 candidate sources, served by loopback servers on 16 addresses
(16 addresses of the run's loopback /24, tests/support/host.py, so the per-host bound acts as it would on the web) with ~200 ms latency each; 2% of
the sources (rounded) hang until the timeout. Both sides go through the same fetcher with the same
per-page timeout:

- ours:  gather_evidence() with a provider that returns the N candidates (queries, page fetch + main-text
         extraction under the overall/per-host bounds, ranking, stance) — and, separately, its fetch stage
         (fetch_pages) alone;
- floor: asyncio.gather over the same N fetches, one thread each, no bounds, no extraction, no ranking.

Pairs alternate (ours, floor, ours, floor, …); the table shows medians and the median per-pair ratio.
Target (docs/benchmarks.md): makespan ≤ 1.25× the floor; a hanging source costs at most its timeout.

Ours uses a fresh dict as its page cache by default. `--cache redis` gives it what the Celery task uses
instead: a SharedPageCache on django.core.cache's RedisCache at $REDIS_URL (a fresh namespace per run, so
every page is still fetched; its keys are deleted at the end), which adds the cache's round trips.

Run: .venv/bin/python -m bench.p4_fanout [--pairs 10] [--latency 0.2] [--timeout 1.5] [--cache dict|redis]
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from evidence.gathering import PAGE_ACCEPT, SharedPageCache, fetch_pages, gather_evidence
from evidence.providers.base import Candidate, ProviderConfig
from outbound.fetcher import FetchError, FetchPolicy, fetch
from tests.support.host import loopback_hosts
from tests.support.searxng import SearxNGServer, article_html

HOSTS = loopback_hosts(16)
CLAIM = "Global sea level rose by about 20 centimetres between 1900 and 2018, scientists say."


def page(i: int) -> str:
    return article_html(
        f"Sea level report {i}",
        [
            f"Report {i}: global sea level rose by about 20 centimetres between 1900 and 2018.",
            "Scientists attribute the rise to melting glaciers and the thermal expansion of sea water.",
            "The rate of rise has accelerated in recent decades, according to the IPCC.",
            "Coastal cities are planning defences against flooding and storm surges.",
        ],
    )


class StaticProvider:
    name = "searxng"

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        return [Candidate(url=u, title="", provider=self.name, query=queries[0]) for u in self.urls]


def run(coro):
    """A fresh loop per run, closed without joining threads stuck on hanging sockets (like production)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def floor(urls: list[str], policy: FetchPolicy, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=len(urls))

    async def one(url: str) -> None:
        try:
            await asyncio.wait_for(
                loop.run_in_executor(executor, partial(fetch, url, policy=policy, accept=PAGE_ACCEPT)),
                timeout,
            )
        except (FetchError, TimeoutError):
            pass

    await asyncio.gather(*(one(u) for u in urls))
    executor.shutdown(wait=False, cancel_futures=True)


class PageCaches:
    """A new, empty page cache per run: a dict, or a SharedPageCache namespace on Redis (--cache redis)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.namespaces: list[str] = []
        self.backend = None
        if kind == "redis":
            from django.core.cache import CacheHandler

            # As in production: factcheck/settings.py's CACHES, and claims/stages.py's caches["default"].
            handler = CacheHandler(
                {
                    "default": {
                        "BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": os.environ["REDIS_URL"],
                        "KEY_PREFIX": "factcheck",
                    }
                }
            )
            self.backend = handler["default"]

    def new(self):
        if self.backend is None:
            return {}
        namespace = f"page:p4bench-{uuid.uuid4().hex}"
        self.namespaces.append(namespace)
        return SharedPageCache(self.backend, namespace)

    def cleanup(self, urls: list[str]) -> None:
        if self.backend is None:
            return
        digests = [hashlib.sha1(u.encode()).hexdigest() for u in urls]
        keys = [
            f"{ns}:{d}{suffix}" for ns in self.namespaces for d in digests for suffix in ("", ":fetching")
        ]
        for i in range(0, len(keys), 1000):
            self.backend.delete_many(keys[i : i + 1000])
        self.namespaces.clear()


async def ours_fetch_stage(urls: list[str], config: ProviderConfig, caches: PageCaches) -> None:
    loop = asyncio.get_running_loop()
    await fetch_pages(urls, config=config, page_cache=caches.new(), until=loop.time() + 30)


async def ours_gather(urls: list[str], config: ProviderConfig, caches: PageCaches) -> int:
    result = await gather_evidence(
        CLAIM, language="en", providers=[StaticProvider(urls)], config=config, page_cache=caches.new()
    )
    return len(result.sources)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="P4 evidence fan-out benchmark")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=1.5, help="per-page timeout (both sides)")
    parser.add_argument("--sizes", default="5,20,50")
    parser.add_argument(
        "--cache", choices=["dict", "redis"], default="dict", help="ours' page cache (redis: needs REDIS_URL)"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    caches = PageCaches(args.cache)

    servers = []
    for host in HOSTS:
        server = SearxNGServer({}, page_delay=args.latency)
        server.host = host
        servers.append(server.start())
    policy = FetchPolicy.build(
        allow_networks=[f"{h}/32" for h in HOSTS],
        allow_ports=[s.port for s in servers],
        connect_timeout=1.0,
        read_timeout=args.timeout + 0.5,
        total_timeout=args.timeout + 1.0,
    )
    config = ProviderConfig(policy=policy, page_timeout=args.timeout, max_sources=50)
    rows = []
    try:
        for n in sizes:
            hanging = round(0.02 * n)
            urls = []
            for i in range(n):
                server = servers[i % len(servers)]
                slug = f"n{n}-p{i}"
                server.pages[slug] = (f"Sea level report {i}", page(i))
                if i >= n - hanging:
                    server.hanging_pages.add(slug)
                urls.append(server.page_url(slug))
            # one warm-up of each side (imports, lingua/trafilatura caches)
            run(ours_gather(urls, config, caches))
            run(floor(urls, policy, args.timeout))
            ours_t, stage_t, floor_t, ratios, stage_ratios = [], [], [], [], []
            for _ in range(args.pairs):
                a = timed(lambda urls=urls: run(ours_gather(urls, config, caches)))
                b = timed(lambda urls=urls: run(floor(urls, policy, args.timeout)))
                c = timed(lambda urls=urls: run(ours_fetch_stage(urls, config, caches)))
                ours_t.append(a)
                floor_t.append(b)
                stage_t.append(c)
                ratios.append(a / b)
                stage_ratios.append(c / b)
            rows.append(
                {
                    "sources": n,
                    "hanging": hanging,
                    "ours_median_s": round(statistics.median(ours_t), 3),
                    "fetch_stage_median_s": round(statistics.median(stage_t), 3),
                    "floor_median_s": round(statistics.median(floor_t), 3),
                    "ratio_median": round(statistics.median(ratios), 3),
                    "fetch_stage_ratio_median": round(statistics.median(stage_ratios), 3),
                    "max_ours_s": round(max(ours_t), 3),
                    "hang_bound_s": round(args.latency + args.timeout, 3),
                }
            )
            caches.cleanup(urls)
    finally:
        for server in servers:
            server.stop()

    print(f"{'sources':>7} {'hang':>4} {'ours s':>8} {'stage s':>8} {'floor s':>8} {'ratio':>6} {'stage':>6}")
    for r in rows:
        print(
            f"{r['sources']:>7} {r['hanging']:>4} {r['ours_median_s']:>8.3f} {r['fetch_stage_median_s']:>8.3f} "
            f"{r['floor_median_s']:>8.3f} {r['ratio_median']:>6.2f} {r['fetch_stage_ratio_median']:>6.2f}"
        )
    print(
        json.dumps(
            {
                "benchmark": "P4",
                "pairs": args.pairs,
                "latency_s": args.latency,
                "timeout_s": args.timeout,
                "cache": args.cache,
                "results": rows,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
