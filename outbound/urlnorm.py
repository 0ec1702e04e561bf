"""Canonical URLs, so that variants of one article URL map to one row.

Pure Python (no Django). The host helpers here are shared with the fetcher, so that the
URL we store and the URL we fetch agree on what the host is.

Choices worth knowing:

- Trailing slashes of non-empty paths are kept: ``/a`` and ``/a/`` are different resources on
  many servers (and redirect to each other on others). Guessing would merge distinct articles;
  a redirect is followed by the fetcher anyway and ``final_url`` can be canonicalised too.
- Dot segments (``/a/./b/../c``) are removed (RFC 3986 section 5.2.4), as every browser does.
- Query parameter order is kept: some servers give it meaning, and sorting would merge URLs that
  a server tells apart. Only known tracking parameters are removed.
- IPv4 literals written in odd notations (``0x7f.1``, ``2130706433``) are rewritten as
  dotted quads, the way browsers (WHATWG URL standard) read them.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import unquote_to_bytes, urlsplit

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "as_uri",
    "canonicalize_url",
    "is_tracking_param",
    "normalize_host",
    "parse_ipv4_loose",
    "same_site",
]

# Exact (lower-cased) names of query parameters that only identify a campaign or a click.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_conv",
        "vero_id",
        "wickedid",
        "ref_src",
        "ref_url",
        "cmpid",
        "ncid",
        "sr_share",
        "spm",
    }
)
# Any parameter starting with one of these is tracking too (utm_source, utm_medium, ...).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "at_medium", "at_campaign")

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset(b"!$&'()*+,;=")
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(b":@/")
_QUERY_SAFE = _PATH_SAFE | frozenset(b"?")
# Characters that browsers treat as label separators in host names (IDNA / UTS 46).
_DOTS = re.compile("[\u3002\uff0e\uff61]")
_HOST_CHARS = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
_HEX = "0123456789ABCDEF"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """Say whether a (decoded) query parameter name only carries tracking data."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """Read a host the way browsers do when its last label is a number (WHATWG URL "IPv4 parser").

    Returns None when the host is an ordinary name; raises ValueError when it ends in a number but
    is not a valid address (browsers refuse those too). Accepts 1-4 parts, each decimal, octal
    (leading 0) or hex (0x); the last part fills the remaining bytes: ``127.1``, ``0x7f.1``,
    ``0177.0.0.1``, ``2130706433`` and ``0`` are all addresses.
    """
    labels = host.split(".")
    if labels and labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]
    last = labels[-1] if labels else ""
    if not (last.isascii() and (last.isdigit() or re.fullmatch(r"0[xX][0-9a-fA-F]*", last))):
        return None
    if len(labels) > 4:
        raise ValueError(f"{host!r} has too many parts for an IPv4 address.")
    numbers = []
    for part in labels:
        if not part.isascii() or part == "":
            raise ValueError(f"{host!r} is not a valid IPv4 address.")
        if part[:2].lower() == "0x":
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            numbers.append(int(digits, base))
        except ValueError:
            raise ValueError(f"{host!r} is not a valid IPv4 address.") from None
    *head, tail = numbers
    if any(n > 255 for n in head) or tail >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{host!r} is out of range for an IPv4 address.")
    value = tail
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def normalize_host(host: str) -> str:
    """Return the ASCII form of a URL host: lower-case, punycode, dotted-quad or ``[v6]``.

    Browsers percent-decode hosts, fold Unicode compatibility forms (fullwidth letters, circled
    letters, ideographic full stops) and drop one trailing dot; so do we, so that no spelling of a
    host can look different to us than to the network stack. Raises ValueError for hosts that are
    not valid.
    """
    if not host:
        raise ValueError("The URL has no host.")
    if host.startswith("["):
        return _normalize_ipv6_literal(host)
    try:
        decoded = unquote_to_bytes(host).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{host!r} is not valid UTF-8 once percent-decoded.") from None
    folded = _DOTS.sub(".", unicodedata.normalize("NFKC", decoded).casefold())
    if folded.endswith("."):
        folded = folded[:-1]
    if not folded or any(ch in folded for ch in "%[]:/\\@?# \t\r\n"):
        raise ValueError(f"{host!r} is not a valid host name.")
    address = parse_ipv4_loose(folded)
    if address is not None:
        return str(address)
    ascii_host = folded if folded.isascii() else _idna_host(host, folded)
    # Nameprep can turn a look-alike into digits and dots ("①②⑦.0.0.1").
    address = None if folded.isascii() else parse_ipv4_loose(ascii_host)
    if address is not None:
        return str(address)
    if len(ascii_host) > 253 or not _HOST_CHARS.match(ascii_host):
        raise ValueError(f"{host!r} is not a valid host name.")
    if any(len(label) > 63 for label in ascii_host.split(".")):
        raise ValueError(f"{host!r} has a label longer than 63 characters.")
    return ascii_host


def _normalize_ipv6_literal(host: str) -> str:
    if not host.endswith("]"):
        raise ValueError(f"{host!r} is not a valid IPv6 literal.")
    inner = host[1:-1]
    if "%" in inner:
        # Zone ids ("fe80::1%eth0") name a local interface; never valid for a remote fetch.
        raise ValueError(f"{host!r} has a zone id, which is not allowed.")
    try:
        return f"[{ipaddress.IPv6Address(inner).compressed}]"
    except ValueError:
        raise ValueError(f"{host!r} is not a valid IPv6 literal.") from None


def _idna_host(host: str, folded: str) -> str:
    try:
        # The stdlib codec applies nameprep (NFKC, case folding, dropping zero-width
        # characters) and punycode per label (IDNA 2003).
        ascii_host = folded.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{host!r} is not a valid internationalised host name.") from None
    return ascii_host[:-1] if ascii_host.endswith(".") else ascii_host


def split_netloc(netloc: str) -> tuple[str | None, str, int | None]:
    """Split ``userinfo@host:port`` into its parts; the port is None when absent.

    Raises ValueError on a malformed port.
    """
    userinfo: str | None = None
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise ValueError(f"{netloc!r} has an unterminated IPv6 literal.")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"{netloc!r} has junk after the IPv6 literal.")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text = netloc.rpartition(":")
        if not sep:
            host, port_text = netloc, None
    port: int | None = None
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
            raise ValueError(f"{port_text!r} is not a valid port.")
        port = int(port_text)
        if not 0 < port < 65536:
            raise ValueError(f"{port} is not a valid port.")
    return userinfo, host, port


def normalize_percent(text: str, safe: frozenset[int]) -> str:
    """Percent-encode what must be, decode unreserved characters, upper-case the hex digits.

    Stray ``%`` signs become ``%25``; the result is stable under a second application.
    """
    raw = text.encode("utf-8", "surrogatepass")
    out: list[str] = []
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == 0x25 and _is_hex_pair(raw[i + 1 : i + 3]):
            value = int(raw[i + 1 : i + 3], 16)
            if value in _UNRESERVED:
                out.append(chr(value))
            else:
                out.append("%" + raw[i + 1 : i + 3].decode("ascii").upper())
            i += 3
            continue
        if byte in safe:
            out.append(chr(byte))
        else:
            out.append("%" + _HEX[byte >> 4] + _HEX[byte & 15])
        i += 1
    return "".join(out)


def _is_hex_pair(pair: bytes) -> bool:
    return len(pair) == 2 and all(b in b"0123456789abcdefABCDEF" for b in pair)


def remove_dot_segments(path: str) -> str:
    """Apply RFC 3986 section 5.2.4 to an absolute path."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments[1:], start=1):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _canonical_query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        pair = normalize_percent(pair, _QUERY_SAFE)
        name = pair.split("=", 1)[0]
        decoded_name = unquote_to_bytes(name.replace("+", " ")).decode("utf-8", "replace")
        if is_tracking_param(decoded_name):
            continue
        kept.append(pair)
    return "&".join(kept)


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL (see the module docstring for the rules).

    Deterministic and idempotent. Raises ValueError for input that is not an absolute http(s) URL.
    """
    if not isinstance(url, str):
        raise ValueError("The URL must be a string.")
    url = url.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url) or "\\" in url:
        raise ValueError("The URL contains control characters or backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"The URL could not be parsed: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("Only http and https URLs can be canonicalised.")
    userinfo, host, port = split_netloc(parts.netloc)
    host = normalize_host(host)
    netloc = host
    if userinfo is not None:
        netloc = f"{normalize_percent(userinfo, _UNRESERVED | _SUB_DELIMS | frozenset(b':'))}@{host}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = remove_dot_segments(normalize_percent(parts.path, _PATH_SAFE)) or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = _canonical_query(parts.query)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def as_uri(url: str) -> str:
    """The URL as an RFC 3986 URI, otherwise as written: the host in its ASCII form (punycode), and what a
    URI cannot hold (spaces, non-ASCII characters, stray ``%``) percent-encoded in the path, query and
    fragment. Unlike canonicalize_url it keeps the query as it was (tracking parameters too), the fragment
    and the dot segments. Raises ValueError for what is not an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError("Only http and https URLs are handled.")
    userinfo, host, port = split_netloc(parts.netloc)
    netloc = normalize_host(host)
    if userinfo is not None:
        netloc = f"{normalize_percent(userinfo, _UNRESERVED | _SUB_DELIMS | frozenset(b':'))}@{netloc}"
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = normalize_percent(parts.path, _PATH_SAFE) or "/"
    uri = f"{parts.scheme.lower()}://{netloc}{path}"
    if parts.query:
        uri += "?" + normalize_percent(parts.query, _QUERY_SAFE)
    if parts.fragment:
        uri += "#" + normalize_percent(parts.fragment, _QUERY_SAFE)
    return uri


def same_site(url_a: str, url_b: str) -> bool:
    """Say whether two URLs are on the same host, ignoring a leading ``www.``.

    Deliberately not a public-suffix "registrable domain" check: ``news.example.com`` and
    ``blog.example.com`` count as different sites. False when either URL is unparseable.
    """
    try:
        host_a = urlsplit(canonicalize_url(url_a)).hostname or ""
        host_b = urlsplit(canonicalize_url(url_b)).hostname or ""
    except ValueError:
        return False
    return bool(host_a) and host_a.removeprefix("www.") == host_b.removeprefix("www.")
