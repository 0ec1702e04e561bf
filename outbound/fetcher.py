"""The one outbound HTTP client of the service (articles, source pages, provider APIs, webhooks).

Pure Python (no Django): configuration comes in as a FetchPolicy. Guarantees, each tested in
tests/claims/test_fetch*.py against docs/reliability.md rows S1-S13 and B1-B6, B10:

- http/https only, ports 80/443 unless the policy allows more, no userinfo, no single-label or
  localhost-like names.
- Every host is resolved once per hop; if ANY answer is not globally routable the whole fetch is
  refused (an attacker controls which answer a client would pick). The connection then goes to
  exactly the checked address, with Host header, SNI and certificate check using the original
  name, so DNS rebinding cannot switch it.
- Redirects are followed by hand, each hop re-validated; credentials are dropped when a redirect
  leaves the origin.
- Connect/read timeouts plus a total deadline enforced by a watchdog that closes the socket, so a
  server sending a byte every half second cannot hold a worker.
- The size cap applies to DECODED bytes, and decompression is bounded per call, so a 50 kB
  compression bomb never allocates 50 MB.
- Proxy environment variables are ignored: urllib3 never reads them and we connect by address.
- Network problems surface only as FetchError, with ``transient`` saying whether a retry may help.
"""

from __future__ import annotations

import asyncio
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import brotli
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry
from urllib3.util.ssl_match_hostname import CertificateError

from outbound.urlnorm import normalize_host, normalize_percent, split_netloc

__all__ = [
    "FetchError",
    "FetchPolicy",
    "FetchResponse",
    "afetch",
    "fetch",
    "is_blocked_address",
    "validate_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Retry-After beyond an hour is not a wait a worker should honour; the caller gives up instead.
MAX_RETRY_AFTER = 3600.0
_RETRY_AFTER_PARSER = Retry()  # only its Retry-After parser is used
MAX_URL_LENGTH = 8192
# Headers that carry credentials and must never follow a redirect to another origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_READ_CHUNK = 64 * 1024

# Not globally reachable, or reachable but pointing at infrastructure we must never call.
# ipaddress' own flags miss some of these (multicast counts as "global", and so do the
# IPv4-embedding IPv6 ranges), so the list is explicit.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast
        "100.100.100.200/32",  # Alibaba Cloud metadata (inside CGNAT anyway)
        "168.63.129.16/32",  # Azure wire server: a public address that is host-local
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates to private space by design
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32 (client is obfuscated)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local, incl. fd00:ec2::254 (AWS metadata over IPv6)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
# Names that only ever mean "this machine" or "this private network".
_LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".arpa", ".lan")

_dns_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fetch-dns")


@dataclass(frozen=True)
class FetchPolicy:
    """What outbound requests may do. Build it from settings with FetchPolicy.build()."""

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_ports: frozenset[int] = frozenset()  # besides 80 and 443
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0  # whole fetch incl. redirects and body
    max_bytes: int = 10 * 1024 * 1024  # cap on DECODED body
    max_redirects: int = 5
    user_agent: str = "factcheck/1.0"
    ca_certs: str | None = None  # CA bundle for https; None = the system store

    @classmethod
    def build(
        cls, *, allow_networks: Iterable[str] = (), allow_ports: Iterable[int] = (), **kw: Any
    ) -> FetchPolicy:
        """Parse CIDR strings and ports; raise ValueError on bad input."""
        networks = tuple(ipaddress.ip_network(str(n).strip(), strict=False) for n in allow_networks)
        ports = frozenset(int(p) for p in allow_ports)
        if any(not 0 < p < 65536 for p in ports):
            raise ValueError("Allowed ports must be between 1 and 65535.")
        return cls(allow_networks=networks, allow_ports=ports, **kw)

    def allowing(self, needs: Any) -> FetchPolicy:
        """This policy, also reaching what a configured service declares (`hosts`, `ports`).

        Ports are added; a host written as an IP address is added as its own network (an operator who
        configures http://10.0.0.5:8888 means that address). Host names are resolved and checked as usual.
        """
        ports = frozenset(p for p in needs.ports if p not in (80, 443)) - self.allow_ports
        networks = []
        for host in needs.hosts:
            try:
                address = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                continue
            network = ipaddress.ip_network(address)
            if network not in self.allow_networks:
                networks.append(network)
        if not ports and not networks:
            return self
        return replace(
            self, allow_ports=self.allow_ports | ports, allow_networks=self.allow_networks + tuple(networks)
        )


class FetchError(Exception):
    """A fetch failed; ``code`` is stable and machine-readable, ``message`` a sentence for a human."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        transient: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        address: IPAddress | None = None,
        port: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient
        # What was refused, for blocked_address / blocked_port (outbound.policy.allow_hint names the setting).
        self.address = address
        self.port = port
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"FetchError(code={self.code!r}, message={self.message!r}, transient={self.transient})"


@dataclass
class FetchResponse:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-cased names
    content: bytes  # decoded of Content-Encoding, size-capped
    content_type: str  # media type only, lower-cased ("" if absent)
    charset: str | None
    fetched_at: datetime  # aware UTC
    redirects: list[str]
    addresses: list[str] = field(default_factory=list)  # the checked IP connected to, per hop

    def json(self) -> Any:
        """Parse the body as JSON; raise FetchError("invalid_response") if it is not."""
        try:
            return json.loads(self.content.decode(self.charset or "utf-8"))
        except (ValueError, UnicodeDecodeError, LookupError) as exc:
            raise FetchError(
                "invalid_response", f"The response from {self.final_url} is not valid JSON: {exc}."
            ) from None

    def text(self) -> str:
        """Decode the body with the declared charset (UTF-8 if none), replacing invalid bytes."""
        try:
            return self.content.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- address checks


def is_blocked_address(ip: IPAddress, policy: FetchPolicy) -> bool:
    """Say whether connecting to ``ip`` is forbidden: anything not globally routable.

    Addresses inside ``policy.allow_networks`` are the only exemption. IPv6 forms that embed an
    IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.
    """
    if any(ip.version == net.version and ip in net for net in policy.allow_networks):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return True
        embedded = ip.ipv4_mapped
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and ip in _SIX_TO_FOUR:
            embedded = ip.sixtofour
        if embedded is not None:
            return is_blocked_address(embedded, policy)
        blocked: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = _BLOCKED_V6
    else:
        blocked = _BLOCKED_V4
    if any(ip in net for net in blocked):
        return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _is_local_name(host: str) -> bool:
    return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)


def _literal_address(host: str) -> IPAddress | None:
    """Return the address of a normalised host if it is an IP literal."""
    try:
        return ipaddress.ip_address(host[1:-1] if host.startswith("[") else host)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII: punycode name, dotted quad or [v6]
    port: int
    request_target: str  # path?query sent on the wire

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def host_header(self) -> str:
        return self.host if self.port == DEFAULT_PORTS[self.scheme] else f"{self.host}:{self.port}"


def _parse_target(url: str, policy: FetchPolicy) -> _Target:
    url, scheme = _check_url_text(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise FetchError("invalid_url", f"The URL could not be parsed: {exc}.") from None
    if "\\" in parts.netloc or not url[len(scheme) :].startswith("://"):
        # Parsers disagree about backslashes ("http://a:80\@b/"); refuse rather than guess.
        raise FetchError("invalid_url", "The URL's authority is malformed.")
    host, port = _split_authority(parts.netloc, scheme)
    _check_destination(host, port, policy)
    path = normalize_percent(parts.path, _WIRE_SAFE) or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = normalize_percent(parts.query, _WIRE_SAFE | {ord("?")}) if parts.query else ""
    request_target = path + (f"?{query}" if query else "")
    netloc = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return _Target(f"{scheme}://{netloc}{request_target}", scheme, host, port, request_target)


def _check_url_text(url: str) -> tuple[str, str]:
    """The URL stripped, and its lower-case scheme, or FetchError for what no parser should see."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("invalid_url", "The URL is empty.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise FetchError("invalid_url", f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        # Spaces inside the path are percent-encoded below (browsers do the same); control
        # characters are how header-injection and parser-confusion attacks start.
        raise FetchError("invalid_url", "The URL contains control characters.")
    scheme_end = url.find(":")
    scheme = url[:scheme_end].lower() if scheme_end > 0 else ""
    if scheme not in DEFAULT_PORTS:
        shown = f"'{scheme}'" if scheme else "no scheme"
        raise FetchError("unsupported_scheme", f"Only http and https URLs can be fetched, not {shown}.")
    return url, scheme


def _split_authority(netloc: str, scheme: str) -> tuple[str, int]:
    try:
        userinfo, raw_host, port = split_netloc(netloc)
    except ValueError as exc:
        raise FetchError("invalid_url", f"The URL's host or port is malformed: {exc}") from None
    if userinfo is not None:
        raise FetchError("userinfo_not_allowed", "URLs with a user name or password are not allowed.")
    try:
        host = normalize_host(raw_host)
    except ValueError as exc:
        raise FetchError("invalid_url", f"The URL's host is not valid: {exc}") from None
    return host, port or DEFAULT_PORTS[scheme]


def _check_destination(host: str, port: int, policy: FetchPolicy) -> None:
    if port not in (80, 443) and port not in policy.allow_ports:
        raise FetchError(
            "blocked_port", f"Port {port} is not allowed; only 80 and 443 can be fetched.", port=port
        )
    address = _literal_address(host)
    if address is not None:
        if is_blocked_address(address, policy):
            raise FetchError(
                "blocked_address", f"The address {address} is not a public address.", address=address
            )
    elif _is_local_name(host):
        raise FetchError("blocked_address", f"The host '{host}' is a local or single-label name.")


_WIRE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")


def validate_url(url: str, policy: FetchPolicy) -> str:
    """Check a URL without resolving DNS and return its normalised form.

    Scheme http/https, port 80/443 or allowed, no userinfo, a host; IP literals in every encoding
    are checked against the blocked ranges; single-label and localhost-like names are refused; IDN
    hosts come back as punycode; the fragment is dropped. Raises FetchError with code invalid_url,
    unsupported_scheme, userinfo_not_allowed, blocked_port or blocked_address.
    """
    return _parse_target(url, policy).url


# --------------------------------------------------------------------------- resolution


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _resolve(
    target: _Target, policy: FetchPolicy, resolver: Resolver | None, deadline: _Deadline
) -> list[IPAddress]:
    literal = _literal_address(target.host)
    if literal is not None:
        return [literal]
    try:
        if resolver is None:
            # getaddrinfo has no timeout of its own; bound it by the fetch deadline.
            future = _dns_pool.submit(_system_resolver, target.host, target.port)
            answers = future.result(timeout=deadline.bounded(policy.connect_timeout))
        else:
            answers = resolver(target.host, target.port)
    except FutureTimeout:
        raise FetchError("timeout", f"Resolving {target.host} timed out.", transient=True) from None
    except socket.gaierror as exc:
        transient = exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None))
        raise FetchError(
            "dns_error", f"The host {target.host} could not be resolved: {exc}.", transient=transient
        ) from None
    except (OSError, UnicodeError) as exc:
        raise FetchError(
            "dns_error", f"The host {target.host} could not be resolved: {exc}.", transient=True
        ) from None
    addresses = []
    for answer in answers or ():
        try:
            addresses.append(ipaddress.ip_address(str(answer).split("%", 1)[0]))
        except ValueError:
            raise FetchError(
                "dns_error", f"The resolver returned an invalid address for {target.host}."
            ) from None
    if not addresses:
        raise FetchError("dns_error", f"The host {target.host} has no addresses.")
    blocked = [a for a in addresses if is_blocked_address(a, policy)]
    if blocked:
        raise FetchError(
            "blocked_address",
            f"The host {target.host} resolves to a non-public address ({blocked[0]}).",
            address=blocked[0],
        )
    return addresses


# --------------------------------------------------------------------------- deadline and decoding


class _Deadline:
    """The total time budget of one fetch, with a watchdog that closes a blocked socket."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def bounded(self, timeout: float) -> float:
        """Return ``timeout`` shortened to what is left, raising once nothing is left."""
        left = self.remaining()
        if left <= 0:
            self.expired = True
            raise self.error()
        return max(0.001, min(timeout, left))

    def error(self) -> FetchError:
        return FetchError(
            "timeout", f"The fetch did not finish within {self.seconds:g} seconds.", transient=True
        )

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down when the deadline passes, which wakes any thread blocked on it."""
        self.cancel()
        if sock is None:
            return
        with self._lock:
            self._sock = sock
            self._timer = threading.Timer(max(0.0, self.remaining()), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None
            self._sock = None


class _BoundedDecoder:
    """Undo Content-Encoding layers, never producing more than ``limit`` bytes in total."""

    def __init__(self, encodings: list[str], limit: int, url: str) -> None:
        self.limit = limit
        self.url = url
        self.produced = 0
        self.layers = [self._make(e) for e in reversed(encodings)]

    def _make(self, encoding: str) -> list[Any]:
        if encoding in ("gzip", "x-gzip"):
            return ["gzip", zlib.decompressobj(16 + zlib.MAX_WBITS), True]
        if encoding == "deflate":
            return ["deflate", zlib.decompressobj(), True]
        if encoding == "br":
            return ["br", brotli.Decompressor(), True]
        raise FetchError(
            "invalid_response", f"The response from {self.url} uses the unsupported encoding '{encoding}'."
        )

    def _too_large(self) -> FetchError:
        return FetchError(
            "too_large", f"The response from {self.url} is larger than {self.limit} bytes once decoded."
        )

    def _run(self, layer: list[Any], data: bytes) -> bytes:
        kind, obj, first = layer
        room = self.limit + 1
        out: list[bytes] = []
        size = 0
        try:
            if kind == "br":
                chunk = obj.process(data, output_buffer_limit=room)
                while True:
                    out.append(chunk)
                    size += len(chunk)
                    if size > self.limit:
                        raise self._too_large()
                    if obj.can_accept_more_data():
                        break
                    chunk = obj.process(b"", output_buffer_limit=room)
                return b"".join(out)
            while data:
                if kind == "gzip" and obj.eof:
                    # Concatenated gzip members are one valid body.
                    obj = layer[1] = zlib.decompressobj(16 + zlib.MAX_WBITS)
                try:
                    chunk = obj.decompress(data, room)
                except zlib.error:
                    if kind == "deflate" and first:
                        # Some servers send raw deflate without the zlib header.
                        obj = layer[1] = zlib.decompressobj(-zlib.MAX_WBITS)
                        layer[2] = first = False
                        continue
                    raise
                layer[2] = first = False
                out.append(chunk)
                size += len(chunk)
                if size > self.limit:
                    raise self._too_large()
                data = obj.unconsumed_tail or (obj.unused_data if kind == "gzip" and obj.eof else b"")
                if kind != "gzip" and obj.eof:
                    break
            return b"".join(out)
        except (zlib.error, brotli.error) as exc:
            raise FetchError(
                "invalid_response", f"The response from {self.url} is not valid {kind} data: {exc}."
            ) from None

    def feed(self, data: bytes) -> bytes:
        for layer in self.layers:
            if not data:
                return b""
            data = self._run(layer, data)
        self.produced += len(data)
        if self.produced > self.limit:
            raise self._too_large()
        return data

    def complete(self) -> bool:
        for kind, obj, _ in self.layers:
            finished = obj.is_finished() if kind == "br" else obj.eof
            if not finished:
                return False
        return True


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds a server asked us to wait (delay-seconds or an HTTP date, by urllib3's parser), bounded;
    None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(_RETRY_AFTER_PARSER.parse_retry_after(value))
    except InvalidHeader:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _parse_content_type(value: str) -> tuple[str, str | None]:
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("'\"").lower() or None
    return media.strip().lower(), charset


# --------------------------------------------------------------------------- one hop


@dataclass
class _Hop:
    status: int
    headers: dict[str, str]
    content: bytes
    address: str


def _open_connection(
    target: _Target, address: IPAddress, policy: FetchPolicy, deadline: _Deadline
) -> HTTPConnection:
    ip = str(address)
    timeout = deadline.bounded(policy.connect_timeout)
    conn: HTTPConnection
    if target.scheme == "https":
        server_name = target.host.strip("[]")
        conn = HTTPSConnection(
            ip,
            target.port,
            timeout=timeout,
            cert_reqs="CERT_REQUIRED",
            ca_certs=policy.ca_certs,
            server_hostname=server_name,
            assert_hostname=server_name,
        )
    else:
        conn = HTTPConnection(ip, target.port, timeout=timeout)
    conn.connect()
    return conn


def _connect_any(
    target: _Target, addresses: list[IPAddress], policy: FetchPolicy, deadline: _Deadline
) -> tuple[HTTPConnection, IPAddress]:
    """A connection to the first of ``addresses`` that answers, or the FetchError for the last failure."""
    last_error: Exception | None = None
    for address in addresses:
        try:
            return _open_connection(target, address, policy, deadline), address
        except (urllib3.exceptions.HTTPError, OSError, CertificateError) as exc:
            last_error = exc
    raise _connect_error(target, last_error)


def _connect_error(target: _Target, last_error: Exception | None) -> FetchError:
    if isinstance(last_error, urllib3.exceptions.NewConnectionError) and not isinstance(
        last_error.__cause__, TimeoutError
    ):
        # NewConnectionError subclasses ConnectTimeoutError, but "refused" is not a timeout.
        return FetchError(
            "connection_error", f"Could not connect to {target.host}: {last_error}.", transient=True
        )
    if isinstance(last_error, ssl.SSLError | urllib3.exceptions.SSLError | CertificateError):
        return FetchError("tls_error", f"The TLS handshake with {target.host} failed: {last_error}.")
    if isinstance(last_error, urllib3.exceptions.ConnectTimeoutError | TimeoutError):
        return FetchError("timeout", f"Connecting to {target.host} timed out.", transient=True)
    return FetchError(
        "connection_error", f"Could not connect to {target.host}: {last_error}.", transient=True
    )


def _joined_headers(response: Any) -> dict[str, str]:
    """Response headers by lower-case name; repeated headers joined with ", " (RFC 9110 5.3)."""
    joined: dict[str, str] = {}
    for name, value in response.headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _request_once(
    target: _Target,
    addresses: list[IPAddress],
    *,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    policy: FetchPolicy,
    deadline: _Deadline,
) -> _Hop:
    conn, address = _connect_any(target, addresses, policy, deadline)
    address_text = str(address)
    deadline.watch(conn.sock)
    try:
        conn.timeout = deadline.bounded(policy.read_timeout)
        conn.request(
            method,
            target.request_target,
            body=body,
            headers={"Host": target.host_header, **headers},
            preload_content=False,
            decode_content=False,
        )
        response = conn.getresponse()
        response_headers = _joined_headers(response)
        status = response.status
        if status in REDIRECT_STATUSES and "location" in response_headers:
            return _Hop(status, response_headers, b"", address_text)
        content = _read_body(response, response_headers, method, target, policy, deadline, conn)
        return _Hop(status, response_headers, content, address_text)
    except FetchError:
        if deadline.expired:
            raise deadline.error() from None
        raise
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
        if deadline.expired:
            raise deadline.error() from None
        raise FetchError("timeout", f"Reading from {target.host} timed out: {exc}.", transient=True) from None
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError) as exc:
        if deadline.expired or deadline.remaining() <= 0:
            raise deadline.error() from None
        raise FetchError(
            "connection_error", f"The connection to {target.host} failed mid-response: {exc}.", transient=True
        ) from None
    finally:
        deadline.cancel()
        conn.close()


def _read_body(
    response: Any,
    headers: dict[str, str],
    method: str,
    target: _Target,
    policy: FetchPolicy,
    deadline: _Deadline,
    conn: HTTPConnection,
) -> bytes:
    if method == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200:
        return b""
    length = headers.get("content-length", "").split(",")[0].strip()
    if length.isdigit() and int(length) > policy.max_bytes:
        raise FetchError(
            "too_large",
            f"The response from {target.url} announces {length} bytes, above the {policy.max_bytes} cap.",
        )
    encodings = [
        e.strip().lower()
        for e in headers.get("content-encoding", "").split(",")
        if e.strip().lower() not in ("", "identity")
    ]
    decoder = _BoundedDecoder(encodings, policy.max_bytes, target.url)
    parts: list[bytes] = []
    raw_total = 0
    while True:
        if conn.sock is not None:
            conn.sock.settimeout(deadline.bounded(policy.read_timeout))
        chunk = response.read(_READ_CHUNK, decode_content=False)
        if deadline.expired or deadline.remaining() <= 0:
            raise deadline.error()
        if not chunk:
            break
        raw_total += len(chunk)
        if raw_total > policy.max_bytes:
            raise FetchError(
                "too_large", f"The response from {target.url} is larger than {policy.max_bytes} bytes."
            )
        parts.append(decoder.feed(chunk))
    if encodings and not decoder.complete():
        raise FetchError(
            "connection_error",
            f"The compressed response from {target.url} ended before its end.",
            transient=True,
        )
    return b"".join(parts)


# --------------------------------------------------------------------------- fetch


def _request_headers(
    policy: FetchPolicy,
    accept: str | None,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    json_body: Any,
) -> tuple[dict[str, str], bytes | None]:
    """Our default headers with the caller's on top (framing and routing stay ours), and the body."""
    request_headers: dict[str, str] = {
        "User-Agent": policy.user_agent,
        "Accept": accept or "*/*",
        "Accept-Encoding": "gzip, deflate, br",
        "Connection": "close",
    }
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        request_headers["Content-Type"] = "application/json"
    for name, value in (headers or {}).items():
        if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
            continue  # framing and routing are ours to decide
        request_headers = {k: v for k, v in request_headers.items() if k.lower() != name.lower()}
        request_headers[name] = value
    return request_headers, body


def _with_params(url: str, params: Mapping[str, str]) -> str:
    base = url.split("#", 1)[0]
    separator = "" if base.endswith(("?", "&")) else ("&" if "?" in base else "?")
    return base + separator + urlencode(list(params.items()))


def fetch(
    url: str,
    *,
    policy: FetchPolicy,
    method: str = "GET",
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
    sensitive_headers: Iterable[str] = (),
    accept: str | None = None,
    raise_for_status: bool = True,
    resolver: Resolver | None = None,
    follow_redirects: bool = True,
) -> FetchResponse:
    """Fetch ``url`` under ``policy`` (see the module docstring for the guarantees).

    ``resolver(host, port)`` returns IP strings (default: getaddrinfo); it is called once per
    hop. With ``follow_redirects=False`` a 3xx is returned as it is (webhooks treat it as a failure).
    Raises FetchError for every network or policy problem; ValueError for misuse.
    """
    if body is not None and json_body is not None:
        raise ValueError("Pass either body or json_body, not both.")
    method = method.upper()
    request_headers, body = _request_headers(policy, accept, headers, body, json_body)
    strip_on_cross_origin = CREDENTIAL_HEADERS | {h.lower() for h in sensitive_headers}
    if params:
        url = _with_params(url, params)

    deadline = _Deadline(policy.total_timeout)
    target = _parse_target(url, policy)
    origin = target.origin
    redirects: list[str] = []
    addresses: list[str] = []
    while True:
        resolved = _resolve(target, policy, resolver, deadline)
        hop = _request_once(
            target,
            resolved,
            method=method,
            headers=request_headers,
            body=body,
            policy=policy,
            deadline=deadline,
        )
        addresses.append(hop.address)
        if follow_redirects and hop.status in REDIRECT_STATUSES and "location" in hop.headers:
            if len(redirects) >= policy.max_redirects:
                raise FetchError(
                    "too_many_redirects",
                    f"{url} redirected more than {policy.max_redirects} times.",
                    status=hop.status,
                )
            location = hop.headers["location"].strip()
            try:
                next_url = urljoin(target.url, location)
            except ValueError:
                raise FetchError("invalid_url", f"{target.url} redirected to a malformed location.") from None
            target = _parse_target(next_url, policy)
            redirects.append(target.url)
            if hop.status == 303 or (hop.status in (301, 302) and method == "POST"):
                if method != "HEAD":
                    method = "GET"
                body = None
                request_headers = {k: v for k, v in request_headers.items() if k.lower() != "content-type"}
            if target.origin != origin:
                request_headers = {
                    k: v for k, v in request_headers.items() if k.lower() not in strip_on_cross_origin
                }
                origin = target.origin
            continue
        break

    media_type, charset = _parse_content_type(hop.headers.get("content-type", ""))
    if raise_for_status and hop.status >= 400:
        raise FetchError(
            f"http_{hop.status}",
            f"{target.url} answered with HTTP status {hop.status}.",
            transient=hop.status == 429 or hop.status >= 500,
            status=hop.status,
            retry_after=_parse_retry_after(hop.headers.get("retry-after")),
        )
    return FetchResponse(
        url=url,
        final_url=target.url,
        status=hop.status,
        headers=hop.headers,
        content=hop.content,
        content_type=media_type,
        charset=charset,
        fetched_at=datetime.now(UTC),
        redirects=redirects,
        addresses=addresses,
    )


async def afetch(url: str, **kwargs: Any) -> FetchResponse:
    """Run fetch() in a worker thread, so callers can gather many fetches concurrently."""
    return await asyncio.to_thread(fetch, url, **kwargs)
