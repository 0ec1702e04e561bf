"""Loopback HTTP servers for tests, scripted per path, plus "canary" listeners.

Nothing here touches the Internet. A LoopbackServer listens on this run's loopback address (tests/support/host.py) by default (a "public"
address for the fetcher once ``FetchPolicy.build(allow_networks=[ALLOW_NETWORK], ...)`` allows
it); a Canary listens on 127.0.0.1 and ::1 on the same port and records every connection, so a
test can prove that a blocked fetch never reached the "internal" addresses.

Fixtures (register them in a conftest with ``from tests.support.httpserver import ...``):

- ``loopback_server``: a started LoopbackServer with a Canary on its port; the test fails at
  teardown if the canary saw a connection.
- ``canary``: that Canary.
- ``loopback_policy``: a FetchPolicy that reaches the server (short timeouts).

Actions are callables ``action(request, sock, server)``; the helpers below build the common ones
(``respond``, ``redirect``, ``chunked``, ``endless_chunked``, ``slow_body``, ``hang``,
``truncated``, ``reset_mid_body``, ``compressed``) and ``gzip_bomb``/``brotli_bomb``/
``deflate_bomb`` build compression bombs.
"""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import brotli
import pytest

from outbound.fetcher import FetchPolicy
from tests.support.host import HOST

__all__ = [
    "Canary",
    "LoopbackServer",
    "Request",
    "brotli_bomb",
    "canary",
    "chunked",
    "compressed",
    "deflate_bomb",
    "endless_chunked",
    "gzip_bomb",
    "hang",
    "loopback_policy",
    "loopback_server",
    "policy_for",
    "redirect",
    "reset_mid_body",
    "respond",
    "slow_body",
    "start_server_with_canary",
    "truncated",
    "UnacceptingListener",
]

REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Request:
    method: str
    target: str  # as sent on the request line, e.g. "/a?b=1"
    path: str  # without the query
    headers: dict[str, str]  # lower-cased names
    body: bytes
    client: tuple  # peer address
    local: tuple  # the address the client connected to


Action = Callable[[Request, socket.socket, "LoopbackServer"], None]


def _head(status: int, headers: dict[str, str] | Iterable[tuple[str, str]]) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    status: int = 200,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    *,
    content_type: str | None = "text/html; charset=utf-8",
    content_length: bool = True,
) -> Action:
    """Answer with a fixed status, headers and body (Content-Length added unless disabled)."""
    payload = body.encode("utf-8") if isinstance(body, str) else body
    all_headers = {"Connection": "close"}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    if content_length:
        all_headers["Content-Length"] = str(len(payload))
    all_headers.update(headers or {})

    def action(request: Request, sock: socket.socket, server: LoopbackServer) -> None:
        sock.sendall(_head(status, all_headers) + (b"" if request.method == "HEAD" else payload))

    return action


def redirect(location: str, status: int = 302, headers: dict[str, str] | None = None) -> Action:
    """Answer with a redirect to ``location`` (sent verbatim: relative, //host, file: ...)."""
    return respond(status, b"", {"Location": location, **(headers or {})})


def compressed(body: bytes, encoding: str, *, content_type: str = "text/html; charset=utf-8") -> Action:
    """Answer with ``body`` already encoded in ``encoding`` (sent as Content-Encoding)."""
    return respond(200, body, {"Content-Encoding": encoding}, content_type=content_type)


def chunked(
    chunks: Iterable[bytes], headers: dict[str, str] | None = None, *, terminate: bool = True
) -> Action:
    """Answer with Transfer-Encoding: chunked; ``terminate=False`` leaves out the final chunk."""

    def action(request: Request, sock: socket.socket, server: LoopbackServer) -> None:
        all_headers = {"Content-Type": "text/html", "Transfer-Encoding": "chunked", **(headers or {})}
        sock.sendall(_head(200, all_headers))
        for chunk in chunks:
            if server.stopping.is_set():
                return
            if chunk:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if terminate:
            sock.sendall(b"0\r\n\r\n")

    return action


def endless_chunked(chunk: bytes = b"<p>" + b"x" * 65533) -> Action:
    """Answer with a chunked body that never ends (until the client hangs up)."""

    def forever() -> Iterator[bytes]:
        while True:
            yield chunk

    return chunked(forever())


def slow_body(interval: float = 0.5, total: int = 100, *, byte: bytes = b"x") -> Action:
    """Send headers at once, then one body byte every ``interval`` seconds (slow-loris)."""

    def action(request: Request, sock: socket.socket, server: LoopbackServer) -> None:
        sock.sendall(_head(200, {"Content-Type": "text/plain", "Content-Length": str(total)}))
        for _ in range(total):
            if server.stopping.wait(interval):
                return
            sock.sendall(byte)

    return action


def hang(seconds: float = 30.0, *, after: bytes = b"") -> Action:
    """Send ``after`` (nothing by default: never send headers), then wait without answering."""

    def action(request: Request, sock: socket.socket, server: LoopbackServer) -> None:
        if after:
            sock.sendall(after)
        server.stopping.wait(seconds)

    return action


def truncated(
    body: bytes = b"<p>partial", announced: int = 1000, headers: dict[str, str] | None = None
) -> Action:
    """Announce ``announced`` bytes, send fewer, then close cleanly (FIN)."""

    def action(request: Request, sock: socket.socket, server: LoopbackServer) -> None:
        all_headers = {"Content-Type": "text/html", "Content-Length": str(announced), **(headers or {})}
        sock.sendall(_head(200, all_headers) + body)

    return action


def reset_mid_body(body: bytes = b"<p>partial", announced: int = 1000) -> Action:
    """Announce ``announced`` bytes, send a few, then reset the connection (RST)."""

    def action(request: Request, sock: socket.socket, server: LoopbackServer) -> None:
        sock.sendall(_head(200, {"Content-Type": "text/html", "Content-Length": str(announced)}) + body)
        time.sleep(0.05)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    return action


@functools.cache
def gzip_bomb(size: int = 50 * 1024 * 1024) -> bytes:
    """Return a gzip stream of ``size`` zero bytes (about 1/1000 of that on the wire)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


@functools.cache
def deflate_bomb(size: int = 50 * 1024 * 1024) -> bytes:
    """Return a zlib ("deflate" in HTTP) stream of ``size`` zero bytes."""
    return zlib.compress(b"\0" * size, 9)


@functools.cache
def brotli_bomb(size: int = 50 * 1024 * 1024) -> bytes:
    """Return a brotli stream of ``size`` zero bytes (a few dozen bytes on the wire)."""
    return brotli.compress(b"\0" * size, quality=5)


class LoopbackServer:
    """A threaded HTTP/1.1 server on a loopback address, answering each path with a scripted action.

    One request per connection. Unknown paths get 404. Every request is recorded in ``requests``.
    """

    def __init__(self, host: str = HOST, port: int = 0, *, wrap_socket: Callable | None = None) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.routes: dict[str, Action] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._wrap_socket = wrap_socket
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.canary: Canary | None = None

    def route(self, path: str, action: Action) -> LoopbackServer:
        """Answer ``path`` (exact request target, or path without query) with ``action``."""
        self.routes[path] = action
        return self

    __setitem__ = route

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, path: str = "/", *, host: str | None = None, scheme: str = "http") -> str:
        """The URL of ``path`` on this server, optionally under another host name."""
        return f"{scheme}://{host + ':' + str(self.port) if host else self.netloc}{path}"

    def paths(self) -> list[str]:
        return [r.target for r in self.requests]

    def start(self) -> LoopbackServer:
        thread = threading.Thread(target=self._serve, name=f"loopback-{self.port}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop accepting, wake the scripted actions that wait, and close the listener."""
        self.stopping.set()
        try:
            # shutdown() wakes a thread blocked in accept() at once; close() alone would not.
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self._threads:
            self._threads[0].join(timeout=2)
        self._listener.close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._handle, args=(sock,), daemon=True)
            thread.start()
            with self._lock:
                self._threads.append(thread)

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            if self._wrap_socket is not None:
                sock = self._wrap_socket(sock)
            request = self._read_request(sock)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            action = (
                self.routes.get(request.target) or self.routes.get(request.path) or respond(404, "not found")
            )
            action(request, sock, self)
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _read_request(self, sock: socket.socket) -> Request | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > 1 << 20:
                return None
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return Request(
            method=method,
            target=target,
            path=target.split("?", 1)[0],
            headers=headers,
            body=rest[:length],
            client=sock.getpeername(),
            local=sock.getsockname(),
        )


@dataclass
class Canary:
    """Listeners that must never be reached; every accepted connection is recorded."""

    port: int = 0
    hosts: tuple[str, ...] = ("127.0.0.1", "::1")
    connections: list[tuple[str, tuple]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        try:
            for host in self.hosts:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                listener = socket.socket(family, socket.SOCK_STREAM)
                self._sockets.append(listener)
                if family == socket.AF_INET6:
                    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                listener.bind((host, self.port))
                listener.listen(16)
                self.port = listener.getsockname()[1]
                listener.settimeout(0.1)
        except OSError:
            self.stop()
            raise
        self._threads = [
            threading.Thread(target=self._watch, args=(listener, host), daemon=True)
            for listener, host in zip(self._sockets, self.hosts, strict=True)
        ]
        for thread in self._threads:
            thread.start()

    def _watch(self, listener: socket.socket, host: str) -> None:
        while not self._stop.is_set():
            try:
                sock, peer = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append((host, peer))
            sock.close()

    @property
    def touched(self) -> bool:
        return bool(self.connections)

    def url(self, host: str | None = None) -> str:
        host = host or self.hosts[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"

    def stop(self) -> None:
        self._stop.set()
        for listener in self._sockets:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in getattr(self, "_threads", []):
            thread.join(timeout=2)
        for listener in self._sockets:
            listener.close()


def start_server_with_canary(host: str = HOST, attempts: int = 20, **kw: object) -> LoopbackServer:
    """Start a LoopbackServer whose port is also free on 127.0.0.1 and ::1, guarded by a Canary."""
    for _ in range(attempts):
        server = LoopbackServer(host, **kw)  # type: ignore[arg-type]
        try:
            server.canary = Canary(server.port)
        except OSError:
            server.stop()
            continue
        return server.start()
    raise RuntimeError(f"Could not find a port free on {host}, 127.0.0.1 and ::1.")


def policy_for(server: LoopbackServer, **kw: object) -> FetchPolicy:
    """A FetchPolicy that can reach ``server`` (and nothing else internal), with short timeouts."""
    options: dict[str, object] = {"connect_timeout": 2.0, "read_timeout": 2.0, "total_timeout": 5.0}
    options.update(kw)
    return FetchPolicy.build(allow_networks=[f"{server.host}/32"], allow_ports=[server.port], **options)  # type: ignore[arg-type]


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    """A started LoopbackServer on this run's loopback address with a Canary on 127.0.0.1/::1 at the same port."""
    server = start_server_with_canary()
    try:
        yield server
    finally:
        server.stop()
        assert server.canary is not None
        server.canary.stop()
    if server.canary.touched:
        pytest.fail(f"A canary listener was contacted: {server.canary.connections}")


@pytest.fixture
def canary(loopback_server: LoopbackServer) -> Canary:
    """The Canary guarding loopback_server's port on 127.0.0.1 and ::1."""
    assert loopback_server.canary is not None
    return loopback_server.canary


@pytest.fixture
def loopback_policy(loopback_server: LoopbackServer) -> FetchPolicy:
    """A FetchPolicy reaching loopback_server: its address (/32) and its port allowed, 2 s/2 s/5 s timeouts."""
    return policy_for(loopback_server)


class UnacceptingListener:
    """A listener whose accept queue is full, so new connections hang in SYN (connect timeout)."""

    def __init__(self, host: str = HOST) -> None:
        self.host = host
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect((host, self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)
        time.sleep(0.05)

    def close(self) -> None:
        for sock in [*self._fillers, self._listener]:
            sock.close()

    def __enter__(self) -> UnacceptingListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
