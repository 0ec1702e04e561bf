"""fetch() against loopback servers (RELIABILITY S3-S8, S12, S13, B1-B6, B10).

The server listens on this run's loopback address (tests/support/host.py), which the policy allows; canaries on 127.0.0.1 and ::1 (same
port) fail the test if a blocked fetch ever connects to them.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import os
import shutil
import ssl
import subprocess
import time
import zlib
from datetime import UTC, datetime, timedelta

import brotli
import pytest

from outbound.fetcher import FetchError, FetchPolicy, afetch, fetch
from tests.support import httpserver
from tests.support.host import ALLOW_NETWORK, HOST
from tests.support.httpserver import (
    Canary,
    UnacceptingListener,
    brotli_bomb,
    chunked,
    compressed,
    deflate_bomb,
    endless_chunked,
    gzip_bomb,
    hang,
    policy_for,
    redirect,
    reset_mid_body,
    respond,
    slow_body,
    truncated,
)

# Fixtures, bound here so that this module runs on its own too.
loopback_server = httpserver.loopback_server
canary = httpserver.canary
loopback_policy = httpserver.loopback_policy

REDIRECTS = [301, 302, 303, 307, 308]


class Resolver:
    """A resolver the test controls: answers per host, records every call."""

    def __init__(
        self, answers: dict[str, list[str]] | None = None, *, sequence: list[list[str]] | None = None
    ):
        self.answers = answers or {}
        self.sequence = list(sequence or [])
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if self.sequence:
            return self.sequence.pop(0) if len(self.sequence) > 1 else self.sequence[0]
        return self.answers[host]


def fetch_error(url, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as excinfo:
        fetch(url, **kwargs)
    assert excinfo.value.message.endswith(".")
    return excinfo.value


# --------------------------------------------------------------------------- basics


def test_a_plain_get_returns_the_body_headers_and_metadata(loopback_server, loopback_policy):
    loopback_server["/article"] = respond(
        200, "<p>Grüße</p>", {"X-Thing": "1"}, content_type="text/HTML; charset=UTF-8"
    )
    response = fetch(loopback_server.url("/article?x=1"), policy=loopback_policy, params={"y": "2 3"})
    assert response.status == 200
    assert response.content == "<p>Grüße</p>".encode()
    assert response.text() == "<p>Grüße</p>"
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    assert response.headers["x-thing"] == "1"
    assert response.final_url == loopback_server.url("/article?x=1&y=2+3")
    assert response.redirects == []
    assert response.fetched_at.tzinfo is not None and abs(
        response.fetched_at - datetime.now(UTC)
    ) < timedelta(1)
    (request,) = loopback_server.requests
    assert request.target == "/article?x=1&y=2+3"
    assert request.headers["user-agent"] == loopback_policy.user_agent
    assert request.headers["host"] == loopback_server.netloc


def test_json_bodies_are_sent_and_parsed(loopback_server, loopback_policy):
    loopback_server["/api"] = respond(200, '{"ok": true}', content_type="application/json")
    loopback_server["/bad"] = respond(200, "{nope", content_type="application/json")
    response = fetch(loopback_server.url("/api"), policy=loopback_policy, method="POST", json_body={"a": "ä"})
    assert response.json() == {"ok": True}
    request = loopback_server.requests[0]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.body == '{"a":"ä"}'.encode()
    bad = fetch(loopback_server.url("/bad"), policy=loopback_policy)
    with pytest.raises(FetchError) as excinfo:
        bad.json()
    assert excinfo.value.code == "invalid_response"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "raw-deflate"])
def test_compressed_bodies_are_decoded(loopback_server, loopback_policy, encoding):
    body = b"<p>" + b"hello world " * 1000
    encoded = {
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        "br": brotli.compress(body),
        "raw-deflate": zlib.compress(body)[2:-4],
    }[encoding]
    loopback_server["/"] = compressed(encoded, encoding.replace("raw-", ""))
    response = fetch(loopback_server.url("/"), policy=loopback_policy)
    assert response.content == body


def test_afetch_runs_fetches_concurrently(loopback_server, loopback_policy):
    loopback_server["/slow"] = slow_body(interval=0.1, total=5)

    async def main():
        return await asyncio.gather(
            *(afetch(loopback_server.url("/slow"), policy=loopback_policy) for _ in range(5))
        )

    started = time.monotonic()
    responses = asyncio.run(main())
    assert [r.content for r in responses] == [b"xxxxx"] * 5
    assert time.monotonic() - started < 2.0  # serially it would take 2.5 s


# --------------------------------------------------------------------------- S3, S4, S5: DNS


def test_s3_a_name_resolving_to_an_internal_address_is_blocked_before_connecting(
    loopback_server, loopback_policy, canary
):
    resolver = Resolver({"internal.example": ["127.0.0.1"]})
    error = fetch_error(
        loopback_server.url("/", host="internal.example"), policy=loopback_policy, resolver=resolver
    )
    assert error.code == "blocked_address"
    assert resolver.calls == [("internal.example", loopback_server.port)]
    assert loopback_server.requests == []
    assert not canary.touched


@pytest.mark.parametrize(
    "internal", ["::1", "::ffff:127.0.0.1", "169.254.169.254", "10.1.2.3", "fd00:ec2::254"]
)
def test_s3_every_internal_answer_form_is_blocked(loopback_server, loopback_policy, canary, internal):
    resolver = Resolver({"internal.example": [internal]})
    error = fetch_error(
        loopback_server.url("/", host="internal.example"), policy=loopback_policy, resolver=resolver
    )
    assert error.code == "blocked_address"
    assert not canary.touched


def test_s3_single_label_names_are_blocked_without_resolving(loopback_server, loopback_policy):
    resolver = Resolver({"redis": [HOST]})
    error = fetch_error(loopback_server.url("/", host="redis"), policy=loopback_policy, resolver=resolver)
    assert error.code == "blocked_address"
    assert resolver.calls == []
    assert loopback_server.requests == []


@pytest.mark.parametrize("order", [[HOST, "127.0.0.1"], ["127.0.0.1", HOST], [HOST, "::1"]])
def test_s4_one_internal_answer_among_public_ones_refuses_the_whole_fetch(
    loopback_server, loopback_policy, canary, order
):
    resolver = Resolver({"mixed.example": order})
    error = fetch_error(
        loopback_server.url("/", host="mixed.example"), policy=loopback_policy, resolver=resolver
    )
    assert error.code == "blocked_address"
    assert loopback_server.requests == []
    assert not canary.touched


def test_s5_rebinding_resolves_once_per_hop_and_connects_to_the_checked_address(
    loopback_server, loopback_policy, canary
):
    loopback_server["/"] = redirect("/next")
    loopback_server["/next"] = respond(200, "<p>ok</p>")
    # First answers are "public"; every later answer points inside.
    resolver = Resolver(sequence=[[HOST], [HOST], ["127.0.0.1"]])
    response = fetch(loopback_server.url("/", host="news.example"), policy=loopback_policy, resolver=resolver)
    assert response.content == b"<p>ok</p>"
    assert resolver.calls == [("news.example", loopback_server.port)] * 2  # once per hop, not per connect
    assert response.addresses == [HOST, HOST]
    assert [r.local[0] for r in loopback_server.requests] == [HOST, HOST]
    assert [r.headers["host"] for r in loopback_server.requests] == [
        f"news.example:{loopback_server.port}"
    ] * 2
    assert not canary.touched


def test_s5_a_rebound_answer_on_the_next_hop_is_refused(loopback_server, loopback_policy, canary):
    loopback_server["/"] = redirect("/next")
    resolver = Resolver(sequence=[[HOST], ["127.0.0.1"]])
    error = fetch_error(
        loopback_server.url("/", host="news.example"), policy=loopback_policy, resolver=resolver
    )
    assert error.code == "blocked_address"
    assert len(resolver.calls) == 2
    assert loopback_server.paths() == ["/"]
    assert not canary.touched


def test_dns_failures_are_fetch_errors(loopback_server, loopback_policy):
    def failing(host, port):
        raise OSError("no such host")

    assert fetch_error(
        loopback_server.url("/", host="x.example"), policy=loopback_policy, resolver=failing
    ).code == ("dns_error")
    empty = Resolver({"x.example": []})
    assert fetch_error(
        loopback_server.url("/", host="x.example"), policy=loopback_policy, resolver=empty
    ).code == ("dns_error")


# --------------------------------------------------------------------------- S6, S7, S8: redirects


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/",
        "http://[::1]:{port}/",
        "http://0x7f.1:{port}/",
        "http://localhost:{port}/",
        "http://internal.example:{port}/",
        "//internal.example:{port}/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_s6_redirects_to_internal_addresses_are_refused(
    loopback_server, loopback_policy, canary, status, location
):
    loopback_server["/"] = redirect(location.format(port=loopback_server.port), status)
    resolver = Resolver({"news.example": [HOST], "internal.example": ["127.0.0.1"]})
    error = fetch_error(
        loopback_server.url("/", host="news.example"), policy=loopback_policy, resolver=resolver
    )
    assert error.code == "blocked_address"
    assert loopback_server.paths() == ["/"]
    assert not canary.touched


@pytest.mark.parametrize("status", REDIRECTS)
def test_s6_relative_and_scheme_relative_redirects_to_allowed_hosts_are_followed(
    loopback_server, loopback_policy, status
):
    loopback_server["/a/b"] = redirect("../c?x=1", status)
    loopback_server["/c"] = redirect(f"//other.example:{loopback_server.port}/d", status)
    loopback_server["/d"] = respond(200, "<p>done</p>")
    resolver = Resolver({"news.example": [HOST], "other.example": [HOST]})
    response = fetch(
        loopback_server.url("/a/b", host="news.example"), policy=loopback_policy, resolver=resolver
    )
    assert response.content == b"<p>done</p>"
    assert response.redirects == [
        f"http://news.example:{loopback_server.port}/c?x=1",
        f"http://other.example:{loopback_server.port}/d",
    ]
    assert response.final_url == response.redirects[-1]
    assert response.url == loopback_server.url("/a/b", host="news.example")


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", f"gopher://{HOST}:70/_x", "ftp://example.com/x", "data:text/html,<p>x</p>"],
)
def test_s7_redirects_to_other_schemes_are_unsupported(loopback_server, loopback_policy, location):
    loopback_server["/"] = redirect(location)
    error = fetch_error(loopback_server.url("/"), policy=loopback_policy)
    assert error.code == "unsupported_scheme"


def test_s7_s9_redirects_to_other_ports_are_blocked(loopback_server, loopback_policy, canary):
    loopback_server["/"] = redirect(f"http://{HOST}:6379/")
    assert fetch_error(loopback_server.url("/"), policy=loopback_policy).code == "blocked_port"


def test_s8_a_redirect_loop_stops_after_five_hops(loopback_server, loopback_policy):
    loopback_server["/loop"] = redirect("/loop")
    error = fetch_error(loopback_server.url("/loop"), policy=loopback_policy)
    assert error.code == "too_many_redirects"
    assert len(loopback_server.requests) == 6  # the request and at most 5 redirects


def test_s8_a_chain_of_exactly_max_redirects_succeeds_and_one_more_fails(loopback_server, loopback_policy):
    for i in range(6):
        loopback_server[f"/c{i}"] = redirect(f"/c{i + 1}", 307)
    loopback_server["/c6"] = respond(200, "end")
    assert fetch(loopback_server.url("/c1"), policy=loopback_policy).content == b"end"
    assert fetch_error(loopback_server.url("/c0"), policy=loopback_policy).code == "too_many_redirects"
    short = policy_for(loopback_server, max_redirects=1)
    assert fetch_error(loopback_server.url("/c4"), policy=short).code == "too_many_redirects"


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "body_kept"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (307, "POST", "POST", True),
        (308, "POST", "POST", True),
        (301, "PUT", "PUT", True),
    ],
)
def test_redirects_switch_to_get_where_http_says_so(
    loopback_server, loopback_policy, status, method, expected_method, body_kept
):
    loopback_server["/"] = redirect("/next", status)
    loopback_server["/next"] = respond(200, "ok")
    fetch(loopback_server.url("/"), policy=loopback_policy, method=method, body=b"payload")
    second = loopback_server.requests[1]
    assert second.method == expected_method
    assert second.body == (b"payload" if body_kept else b"")


# --------------------------------------------------------------------------- S12, S13


def test_s12_proxy_environment_variables_are_ignored(loopback_server, loopback_policy, monkeypatch):
    proxy = Canary(0, hosts=("127.0.0.1",))
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url())
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        loopback_server["/"] = respond(200, "direct")
        assert fetch(loopback_server.url("/"), policy=loopback_policy).content == b"direct"
        time.sleep(0.1)
        assert proxy.connections == []
        assert len(loopback_server.requests) == 1
    finally:
        proxy.stop()


SECRETS = {
    "Authorization": "Bearer s3cret",
    "Cookie": "session=1",
    "X-Api-Key": "k",
    "Proxy-Authorization": "Basic x",
}


@pytest.mark.parametrize("target_host", ["other.example", HOST])
def test_s13_credentials_are_not_forwarded_to_another_host(loopback_server, loopback_policy, target_host):
    loopback_server["/"] = redirect(f"http://{target_host}:{loopback_server.port}/landing")
    loopback_server["/landing"] = respond(200, "ok")
    resolver = Resolver({"news.example": [HOST], "other.example": [HOST]})
    fetch(
        loopback_server.url("/", host="news.example"),
        policy=loopback_policy,
        resolver=resolver,
        headers={**SECRETS, "X-Harmless": "yes"},
        sensitive_headers=["X-API-KEY"],
    )
    first, second = loopback_server.requests
    assert {"authorization", "cookie", "x-api-key", "proxy-authorization"} <= set(first.headers)
    assert not {"authorization", "cookie", "x-api-key", "proxy-authorization"} & set(second.headers)
    assert second.headers["x-harmless"] == "yes"


def test_s13_credentials_stay_on_a_same_origin_redirect(loopback_server, loopback_policy):
    loopback_server["/"] = redirect("/landing")
    loopback_server["/landing"] = respond(200, "ok")
    fetch(loopback_server.url("/"), policy=loopback_policy, headers=SECRETS, sensitive_headers=["x-api-key"])
    assert loopback_server.requests[1].headers["authorization"] == "Bearer s3cret"
    assert loopback_server.requests[1].headers["x-api-key"] == "k"


def test_s13_credentials_are_dropped_on_a_port_change_and_not_restored_on_return(loopback_server, canary):
    with httpserver.LoopbackServer() as other:
        policy = FetchPolicy.build(
            allow_networks=[ALLOW_NETWORK], allow_ports=[loopback_server.port, other.port], total_timeout=5
        )
        loopback_server["/"] = redirect(other.url("/hop"))
        other["/hop"] = redirect(loopback_server.url("/back"))
        loopback_server["/back"] = respond(200, "ok")
        fetch(loopback_server.url("/"), policy=policy, headers={"Authorization": "Bearer s3cret"})
        assert "authorization" not in other.requests[0].headers
        assert "authorization" not in loopback_server.requests[1].headers


# --------------------------------------------------------------------------- B1-B6


def test_b1_an_announced_oversized_body_is_refused_before_reading(loopback_server):
    # The server announces 1 GB and then sends nothing: reading would hang until the timeout.
    loopback_server["/"] = hang(
        after=b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000000\r\n\r\n"
    )
    policy = policy_for(loopback_server, max_bytes=1_000_000, read_timeout=3, total_timeout=5)
    started = time.monotonic()
    error = fetch_error(loopback_server.url("/"), policy=policy)
    assert error.code == "too_large"
    assert not error.transient
    assert time.monotonic() - started < 1.0


def test_b2_an_endless_chunked_body_stops_at_the_cap(loopback_server):
    loopback_server["/"] = endless_chunked()
    policy = policy_for(loopback_server, max_bytes=2_000_000)
    started = time.monotonic()
    assert fetch_error(loopback_server.url("/"), policy=policy).code == "too_large"
    assert time.monotonic() - started < 2.0


def test_b2_a_body_just_under_the_cap_is_accepted(loopback_server):
    loopback_server["/"] = chunked([b"a" * 1000] * 10)
    policy = policy_for(loopback_server, max_bytes=10_000)
    assert len(fetch(loopback_server.url("/"), policy=policy).content) == 10_000
    loopback_server["/over"] = chunked([b"a" * 1000] * 10 + [b"b"])
    assert fetch_error(loopback_server.url("/over"), policy=policy).code == "too_large"


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [("gzip", gzip_bomb), ("deflate", deflate_bomb), ("br", brotli_bomb)],
)
def test_b3_compression_bombs_are_measured_on_decoded_bytes(loopback_server, encoding, bomb):
    payload = bomb()
    assert len(payload) < 100_000  # small on the wire, 50 MB decoded
    loopback_server["/"] = compressed(payload, encoding)
    policy = policy_for(loopback_server, max_bytes=1_000_000)
    started = time.monotonic()
    assert fetch_error(loopback_server.url("/"), policy=policy).code == "too_large"
    assert time.monotonic() - started < 2.0


def test_b3_a_double_encoded_bomb_is_caught_too(loopback_server):
    loopback_server["/"] = respond(200, gzip.compress(brotli_bomb()), {"Content-Encoding": "br, gzip"})
    policy = policy_for(loopback_server, max_bytes=1_000_000)
    assert fetch_error(loopback_server.url("/"), policy=policy).code == "too_large"


def test_b4_a_connect_timeout_is_reported_within_bounds():
    with UnacceptingListener() as listener:
        policy = FetchPolicy.build(
            allow_networks=[ALLOW_NETWORK], allow_ports=[listener.port], connect_timeout=0.5, total_timeout=5
        )
        started = time.monotonic()
        error = fetch_error(f"http://{HOST}:{listener.port}/", policy=policy)
    assert error.code == "timeout"
    assert error.transient
    assert 0.4 < time.monotonic() - started < 2.0


def test_b4_a_server_that_never_sends_headers_times_out(loopback_server):
    loopback_server["/"] = hang()
    policy = policy_for(loopback_server, read_timeout=0.5, total_timeout=5)
    started = time.monotonic()
    error = fetch_error(loopback_server.url("/"), policy=policy)
    assert (error.code, error.transient) == ("timeout", True)
    assert 0.4 < time.monotonic() - started < 2.0


def test_b4_headers_trickling_in_are_stopped_at_the_total_deadline(loopback_server):
    def trickle(request, sock, server):
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            if server.stopping.wait(0.2):
                return
            sock.sendall(bytes([byte]))

    loopback_server["/"] = trickle
    policy = policy_for(loopback_server, read_timeout=1, total_timeout=1.5)
    started = time.monotonic()
    assert fetch_error(loopback_server.url("/"), policy=policy).code == "timeout"
    assert 1.3 < time.monotonic() - started < 2.5


def test_b5_a_slow_loris_body_times_out_at_the_total_deadline(loopback_server):
    loopback_server["/"] = slow_body(interval=0.5, total=100)
    policy = policy_for(loopback_server, read_timeout=2, total_timeout=1.5)
    started = time.monotonic()
    error = fetch_error(loopback_server.url("/"), policy=policy)
    elapsed = time.monotonic() - started
    assert (error.code, error.transient) == ("timeout", True)
    assert 1.4 < elapsed < 2.5  # the read timeout alone would never fire


def test_b5_the_deadline_covers_the_whole_redirect_chain(loopback_server):
    loopback_server["/"] = redirect("/slow")
    loopback_server["/slow"] = slow_body(interval=0.3, total=100)
    policy = policy_for(loopback_server, read_timeout=2, total_timeout=1.0)
    started = time.monotonic()
    assert fetch_error(loopback_server.url("/"), policy=policy).code == "timeout"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "action",
    [
        truncated(b"<p>partial", announced=1000),
        reset_mid_body(b"<p>partial", announced=1000),
        chunked([b"<p>partial"], terminate=False),
        truncated(
            gzip.compress(b"<p>" + b"x" * 10_000)[:40], announced=40, headers={"Content-Encoding": "gzip"}
        ),
    ],
    ids=["truncated", "reset", "unterminated-chunked", "truncated-gzip"],
)
def test_b6_truncated_bodies_are_transient_connection_errors(loopback_server, loopback_policy, action):
    loopback_server["/"] = action
    error = fetch_error(loopback_server.url("/"), policy=loopback_policy)
    assert error.code == "connection_error"
    assert error.transient


def test_b6_a_refused_connection_is_a_transient_connection_error(loopback_server):
    closed = httpserver.LoopbackServer()
    port = closed.port
    closed.stop()  # nothing listens there any more
    policy = FetchPolicy.build(allow_networks=[ALLOW_NETWORK], allow_ports=[port])
    error = fetch_error(f"http://{HOST}:{port}/", policy=policy)
    assert (error.code, error.transient) == ("connection_error", True)


# --------------------------------------------------------------------------- B10


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (400, False),
        (403, False),
        (404, False),
        (410, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
    ],
)
def test_b10_error_statuses_raise_with_their_code_and_transience(
    loopback_server, loopback_policy, status, transient
):
    loopback_server["/"] = respond(status, "nope")
    error = fetch_error(loopback_server.url("/"), policy=loopback_policy)
    assert error.code == f"http_{status}"
    assert error.status == status
    assert error.transient is transient
    assert error.retry_after is None


def test_b10_retry_after_in_seconds_is_parsed(loopback_server, loopback_policy):
    loopback_server["/"] = respond(429, "slow down", {"Retry-After": "120"})
    error = fetch_error(loopback_server.url("/"), policy=loopback_policy)
    assert (error.code, error.transient, error.retry_after) == ("http_429", True, 120.0)


def test_b10_retry_after_as_an_http_date_is_parsed(loopback_server, loopback_policy):
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    loopback_server["/"] = respond(503, "later", {"Retry-After": when})
    error = fetch_error(loopback_server.url("/"), policy=loopback_policy)
    assert error.code == "http_503"
    assert 80 <= error.retry_after <= 91


@pytest.mark.parametrize(
    ("value", "expected"), [("999999999", 3600.0), ("garbage", None), ("-5", None), ("0", 0.0)]
)
def test_b10_retry_after_is_capped_and_garbage_ignored(loopback_server, loopback_policy, value, expected):
    loopback_server["/"] = respond(429, "", {"Retry-After": value})
    assert fetch_error(loopback_server.url("/"), policy=loopback_policy).retry_after == expected


def test_b10_without_raise_for_status_the_response_is_returned(loopback_server, loopback_policy):
    loopback_server["/"] = respond(404, "missing")
    response = fetch(loopback_server.url("/"), policy=loopback_policy, raise_for_status=False)
    assert (response.status, response.content) == (404, b"missing")


def test_b10_a_redirect_without_location_is_returned_as_is(loopback_server, loopback_policy):
    loopback_server["/"] = respond(302, "")
    assert fetch(loopback_server.url("/"), policy=loopback_policy).status == 302


# --------------------------------------------------------------------------- TLS: pinned address, original name


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for news.example (generated with the openssl CLI)."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail("the openssl command is missing; the TLS pinning tests need it")
        pytest.skip("the openssl command is not installed")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=news.example",
            "-addext",
            "subjectAltName=DNS:news.example",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = httpserver.start_server_with_canary(
        wrap_socket=lambda sock: context.wrap_socket(sock, server_side=True)
    )
    server.server_names = server_names
    yield server
    server.stop()
    server.canary.stop()
    assert not server.canary.touched


def test_https_connects_to_the_checked_address_with_the_original_name_for_sni_and_certificate(
    tls_server, certificate
):
    tls_server["/"] = respond(200, "<p>secure</p>")
    policy = policy_for(tls_server, ca_certs=str(certificate[0]))
    resolver = Resolver({"news.example": [HOST]})
    response = fetch(f"https://news.example:{tls_server.port}/", policy=policy, resolver=resolver)
    assert response.content == b"<p>secure</p>"
    assert tls_server.server_names == ["news.example"]
    assert tls_server.requests[0].headers["host"] == f"news.example:{tls_server.port}"
    assert tls_server.requests[0].local[0] == HOST


def test_https_refuses_a_certificate_for_another_name(tls_server, certificate):
    tls_server["/"] = respond(200, "<p>secure</p>")
    policy = policy_for(tls_server, ca_certs=str(certificate[0]))
    resolver = Resolver({"evil.example": [HOST]})
    error = fetch_error(f"https://evil.example:{tls_server.port}/", policy=policy, resolver=resolver)
    assert error.code == "tls_error"
    assert not error.transient
    assert tls_server.requests == []
