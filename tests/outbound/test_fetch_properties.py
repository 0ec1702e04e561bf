"""Property tests: whatever DNS answers, fetch() connects only to checked public addresses (S3, S4, S5).

socket.connect is replaced by a guard that records the destination and refuses, so no generated
address is ever contacted, public or not.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from outbound.fetcher import FetchError, FetchPolicy, fetch, is_blocked_address, validate_url

POLICY = FetchPolicy(connect_timeout=0.5, total_timeout=2.0)

hostnames = st.from_regex(r"\A[a-z][a-z0-9-]{0,12}(\.[a-z][a-z0-9]{0,12}){1,3}\Z")
answers = st.lists(st.ip_addresses(), min_size=1, max_size=4, unique=True)


@contextlib.contextmanager
def no_connections():
    """Record every socket.connect attempt and refuse it."""
    attempts: list[str] = []

    def guard(self, address):
        attempts.append(address[0])
        raise ConnectionRefusedError("connections are disabled in this test")

    with mock.patch.object(socket.socket, "connect", guard):
        yield attempts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    host=hostnames,
    addresses=answers,
    scheme=st.sampled_from(["http", "https"]),
    path=st.sampled_from(["/", "/a?b=c"]),
)
def test_fetch_connects_only_to_checked_addresses(host, addresses, scheme, path):
    url = f"{scheme}://{host}{path}"
    try:
        validate_url(url, POLICY)
    except FetchError:
        assume(False)
    calls = []

    def resolver(name, port):
        calls.append((name, port))
        return [str(a) for a in addresses]

    with no_connections() as attempts, pytest.raises(FetchError) as excinfo:
        fetch(url, policy=POLICY, resolver=resolver)
    assert calls == [(host, 80 if scheme == "http" else 443)]
    if any(is_blocked_address(a, POLICY) for a in addresses):
        assert excinfo.value.code == "blocked_address"
        assert attempts == []
    else:
        # Pinned: it tried exactly the resolved addresses, in order, and nothing else.
        assert excinfo.value.code == "connection_error"
        assert [ipaddress.ip_address(a.split("%")[0]) for a in attempts] == addresses


@settings(max_examples=100, deadline=None)
@given(address=st.ip_addresses())
def test_literal_urls_are_refused_exactly_when_the_address_is_blocked(address):
    host = f"[{address}]" if address.version == 6 else str(address)
    with no_connections() as attempts:
        try:
            fetch(f"http://{host}/", policy=POLICY, resolver=lambda *a: pytest.fail("literals need no DNS"))
        except FetchError as error:
            code = error.code
    if is_blocked_address(address, POLICY):
        assert code == "blocked_address"
        assert attempts == []
    else:
        assert code == "connection_error"
        assert [ipaddress.ip_address(a) for a in attempts] == [address]
