"""A small threaded HTTP server on this run's loopback address (tests/support/host.py) for the stand-ins of external services.

Each stand-in subclasses `LoopbackServer` and implements `route()`. Common failure modes are built in so
every provider can be tested against the same kinds of trouble: `mode = "500" | "503" | "429" | "hang"`,
plus a per-request `delay`. `start()` / `stop()` make them usable from pytest fixtures, benchmarks and the
end-to-end test's Celery worker alike.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from evidence.providers.base import ProviderConfig
from evidence.providers.registry import discover as registered
from outbound.fetcher import FetchPolicy
from tests.support.host import ALLOW_NETWORK, HOST


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        self.received = time.monotonic()
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(length) if length else b""


Response = tuple[int, dict[str, str], bytes]


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload).encode()
    return status, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, body


def html_response(html: str, status: int = 200) -> Response:
    return status, {"Content-Type": "text/html; charset=utf-8"}, html.encode()


class LoopbackServer:
    """Base class: a ThreadingHTTPServer on HOST, port 0, served from a daemon thread."""

    hang_seconds = 120.0  # a hanging request is released at stop() at the latest

    def __init__(self, *, host: str = HOST, delay: float = 0.0, mode: str = "ok") -> None:
        self.host = host
        self.delay = delay
        self.mode = mode
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> LoopbackServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                server._dispatch(self, "GET")

            def do_POST(self) -> None:
                server._dispatch(self, "POST")

        self._released.clear()
        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.mode = "ok"
        self.delay = 0.0

    # -- request handling ---------------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        request = Request(handler, method)
        with self._lock:
            self.requests.append(request)
        delay = self.request_delay(request)
        if delay:
            time.sleep(delay)
        try:
            if self.should_hang(request):
                self._released.wait(self.hang_seconds)
                return
            status, headers, body = self.failure(request) or self.route(request)
        except Exception as exc:  # a stand-in bug must show as a 500, not kill the thread silently
            status, headers, body = json_response(500, {"error": f"stand-in crashed: {exc!r}"})
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to tell it

    def request_delay(self, request: Request) -> float:
        return self.delay

    def should_hang(self, request: Request) -> bool:
        return self.mode == "hang"

    def failure(self, request: Request) -> Response | None:
        """The response for the current failure mode, or None to serve normally."""
        if self.mode in {"500", "502", "503"}:
            return html_response("<html><body><h1>Server error</h1></body></html>", int(self.mode))
        if self.mode == "429":
            return json_response(429, {"error": "too many requests"}, {"Retry-After": "60"})
        return None

    def route(self, request: Request) -> Response:
        raise NotImplementedError


def provider_config(*servers: LoopbackServer, **overrides: Any) -> ProviderConfig:
    """A ProviderConfig whose fetch policy reaches exactly these stand-ins (this run's address and their ports).

    `<provider>_<option>=value` sets a provider's option (`searxng_url=...` is FACTCHECK_SEARXNG_URL).
    """
    policy = FetchPolicy.build(
        allow_networks=[ALLOW_NETWORK],
        allow_ports=[s.port for s in servers],
        connect_timeout=overrides.pop("connect_timeout", 1.0),
        read_timeout=overrides.pop("read_timeout", 2.0),
        total_timeout=overrides.pop("total_timeout", 3.0),
    )
    options: dict[str, dict[str, Any]] = {}
    for key in [k for k in overrides if "_" in k and k.split("_", 1)[0] in registered()]:
        provider, option = key.split("_", 1)
        options.setdefault(provider, {})[option] = overrides.pop(key)
    return ProviderConfig(policy=policy, options=options, **overrides)
