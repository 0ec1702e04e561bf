"""A busy newsroom against a running web server (RELIABILITY.md L1/L2): clients submit article URLs at once,
then poll each of their articles every `poll_interval` seconds the way the README teaches, while samplers
record PostgreSQL's connections to the database and the RSS of a process group (the worker).

Used by the suite's short soak (tests/test_soak.py) and the long one (bench/soak.py). Plain Python: HTTP with
urllib, the connection count through psycopg2 on a connection of its own (not counted).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from tests.support.loopback import LoopbackServer, Request, Response
from tests.support.pages import PAGES_DIR, manifest

TERMINAL = ("ready", "failed")


class VariantPageServer(LoopbackServer):
    """GET /v<n>/<file name>: the real page <file name> of FACTCHECK_EVAL_DATA_DIR/pages under as many
    distinct URLs (distinct articles) as a run needs."""

    def route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("v") or not parts[1].endswith(".html"):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        path = PAGES_DIR / parts[1]
        if not path.is_file():
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return 200, {"Content-Type": "text/html"}, path.read_bytes()

    def urls(self, count: int, *, run: str, names: list[str] | None = None) -> list[str]:
        """`count` distinct article URLs: the pages in turn, variant after variant."""
        names = names or [entry["file"] for entry in manifest()]
        return [f"{self.base_url}/v{run}-{i // len(names)}/{names[i % len(names)]}" for i in range(count)]


@dataclass
class Tally:
    """What the clients saw: status codes of every request, the submit latencies, when articles finished."""

    statuses: Counter = field(default_factory=Counter)
    submit_ms: list[float] = field(default_factory=list)
    finished: dict[int, tuple[str, float]] = field(default_factory=dict)  # id: (status, seconds after start)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class Client(threading.Thread):
    """One newsroom client: submits its URLs, then polls each of its articles every poll_interval seconds
    until `stop` is set (or, with until_terminal, until all of its articles are terminal)."""

    def __init__(self, base_url: str, token: str, urls: list[str], tally: Tally, stop: threading.Event,
                 *, started: float, poll_interval: float, submit_at: list[float] | None = None) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.base_url = base_url
        self.token = token
        self.urls = urls
        self.tally = tally
        self.stop = stop
        self.started = started
        self.poll_interval = poll_interval
        self.submit_at = submit_at or [0.0] * len(urls)
        self.articles: dict[int, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError as exc:  # refused, reset, timed out: counted apart from HTTP statuses
            with self.tally.lock:
                self.tally.errors.append(f"{method} {path}: {exc}")
            return 0, {}
        self.tally.count(status)
        try:
            return status, json.loads(raw or b"{}")
        except ValueError:
            return status, {}

    def submit_due(self, pending: list[tuple[float, str]]) -> None:
        now = time.monotonic() - self.started
        while pending and pending[0][0] <= now:
            _, url = pending.pop(0)
            began = time.monotonic()
            status, body = self.request("POST", "/api/v1/articles/", {"url": url})
            with self.tally.lock:
                self.tally.submit_ms.append((time.monotonic() - began) * 1000)
            if status in (200, 201, 202) and "id" in body:
                self.articles[body["id"]] = body.get("status", "")

    def poll_all(self) -> None:
        for article_id in list(self.articles):
            if self.stop.is_set():
                return
            status, body = self.request("GET", f"/api/v1/articles/{article_id}/")
            state = body.get("status", "")
            self.articles[article_id] = state
            if status == 200 and state in TERMINAL:
                with self.tally.lock:
                    self.tally.finished.setdefault(article_id, (state, time.monotonic() - self.started))

    def run(self) -> None:
        pending = sorted(zip(self.submit_at, self.urls, strict=True))
        while not self.stop.is_set():
            round_started = time.monotonic()
            self.submit_due(pending)
            self.poll_all()
            self.stop.wait(max(0.0, self.poll_interval - (time.monotonic() - round_started)))


class Sampler(threading.Thread):
    """Every `interval` seconds: PostgreSQL's connections to `database` (this sampler's own excluded) and the
    summed RSS of the processes in the given process groups."""

    def __init__(self, dsn: str, database: str, process_groups: list[int], *, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.dsn = dsn
        self.database = database
        self.process_groups = process_groups
        self.interval = interval
        self.stop = threading.Event()
        self.connections: list[int] = []
        self.rss_kb: list[int] = []

    def run(self) -> None:
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                while not self.stop.is_set():
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                        [self.database],
                    )
                    self.connections.append(cursor.fetchone()[0])
                    self.rss_kb.append(group_rss_kb(self.process_groups))
                    self.stop.wait(self.interval)
        finally:
            conn.close()

    @property
    def peak_connections(self) -> int:
        return max(self.connections, default=0)

    @property
    def peak_rss_mb(self) -> float:
        return max(self.rss_kb, default=0) / 1024


def group_rss_kb(process_groups: list[int]) -> int:
    """The summed VmRSS of every process whose process group is one of `process_groups` (from /proc)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) not in process_groups:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_clients(base_url: str, token: str, urls: list[str], *, clients: int, poll_interval: float,
                stop_when, submit_over: float = 0.0) -> tuple[Tally, float]:  # fmt: skip
    """Split `urls` over `clients` threads (submitted at once, or spread evenly over `submit_over` seconds),
    poll until stop_when(tally, elapsed) is true; returns the tally and the elapsed seconds."""
    tally = Tally()
    stop = threading.Event()
    started = time.monotonic()
    step = submit_over / max(1, len(urls))
    threads = []
    for n in range(clients):
        mine = urls[n::clients]
        at = [(n + clients * i) * step for i in range(len(mine))]
        threads.append(
            Client(
                base_url, token, mine, tally, stop, started=started, poll_interval=poll_interval, submit_at=at
            )
        )
    for thread in threads:
        thread.start()
    while not stop_when(tally, time.monotonic() - started):
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return tally, time.monotonic() - started
