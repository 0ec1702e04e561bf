"""Address and URL rules of the fetcher, without any network (RELIABILITY S1, S2, S9, S10, S11)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.fetcher import FetchError, FetchPolicy, is_blocked_address, validate_url

POLICY = FetchPolicy()
ip = ipaddress.ip_address


# S1: literal internal addresses; S2: the same addresses in other encodings.
BLOCKED_ADDRESSES = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "0.1.2.3",
    "100.64.0.1",  # CGNAT
    "100.100.100.200",  # Alibaba metadata
    "168.63.129.16",  # Azure wire server
    "192.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::8.8.8.8",  # IPv4-compatible is deprecated, never routed
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::1",  # local-use NAT64
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fc00::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "100::1",
]
PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.32.0.1",  # just above 172.16/12
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:8.8.8.8",
    "2002:808:808::1",  # 6to4 of a public address
    "64:ff9b::808:808",  # NAT64 of a public address
]


@pytest.mark.parametrize("address", BLOCKED_ADDRESSES)
def test_internal_addresses_are_blocked(address):
    assert is_blocked_address(ip(address), POLICY)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_are_not_blocked(address):
    assert not is_blocked_address(ip(address), POLICY)


def test_allow_networks_is_the_only_exemption():
    policy = FetchPolicy.build(allow_networks=["127.0.0.2/32", "fd00::/64"])
    assert not is_blocked_address(ip("127.0.0.2"), policy)
    assert not is_blocked_address(ip("::ffff:127.0.0.2"), policy)
    assert not is_blocked_address(ip("fd00::5"), policy)
    assert is_blocked_address(ip("127.0.0.1"), policy)
    assert is_blocked_address(ip("127.0.0.3"), policy)
    assert is_blocked_address(ip("fd00:1::5"), policy)


def test_policy_build_refuses_bad_cidrs_and_ports():
    with pytest.raises(ValueError):
        FetchPolicy.build(allow_networks=["not-a-network"])
    with pytest.raises(ValueError):
        FetchPolicy.build(allow_ports=[70000])
    policy = FetchPolicy.build(allow_networks=["10.1.0.0/16"], allow_ports=["8080"], max_bytes=5)
    assert policy.allow_networks == (ipaddress.ip_network("10.1.0.0/16"),)
    assert policy.allow_ports == frozenset({8080})
    assert policy.max_bytes == 5


def refused(url: str, policy: FetchPolicy = POLICY) -> str:
    with pytest.raises(FetchError) as excinfo:
        validate_url(url, policy)
    assert excinfo.value.message.endswith(".")
    return excinfo.value.code


# S1 and S2: every spelling of an internal address in a URL is refused before any DNS or socket.
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://100.100.100.200/",
        "http://168.63.129.16/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://0x7F000001/",
        "http://127.1/",
        "http://0/",
        "http://0x/",  # an empty hex part is 0 for browsers
        "http://017700000001/",
        "http://0xa9.0xfe.0xa9.0xfe/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::127.0.0.1]/",
        "http://[2002:7f00:1::]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://127.0.0.1:443/",
        "https://127.0.0.1./",
        "http://%31%32%37.0.0.1/",  # percent-encoded host, decoded by browsers
    ],
)
def test_internal_address_literals_are_blocked(url):
    assert refused(url) == "blocked_address"


@pytest.mark.parametrize(
    "url",
    [
        "http://256.0.0.1/",  # ends in a number but is no address: browsers refuse it too
        "http://1.2.3.4.5/",
        "http://08.0.0.1/",  # not octal
        "http://[::1/",
        "http://[fe80::1%25eth0]/",  # zone ids name a local interface
        "http://exa mple.com/",
        "http:///path-only",
        "http://example.com:99999/",
        "http://example.com:8o/",
        "http://example.com/\r\nX-Injected: 1",
        "",
    ],
)
def test_malformed_urls_are_invalid(url):
    assert refused(url) == "invalid_url"


# S9: schemes and ports.
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "dict://example.com:11211/",
        "ldap://example.com/",
        "example.com/no-scheme",
        "//example.com/scheme-relative",
    ],
)
def test_other_schemes_are_unsupported(url):
    assert refused(url) == "unsupported_scheme"


@pytest.mark.parametrize(
    "url", ["http://example.com:8080/", "https://example.com:22/", "http://example.com:6379/"]
)
def test_other_ports_are_blocked(url):
    assert refused(url) == "blocked_port"


def test_allowed_ports_pass_and_default_ports_are_dropped():
    policy = FetchPolicy.build(allow_ports=[8080])
    assert validate_url("http://example.com:8080/a", policy) == "http://example.com:8080/a"
    assert validate_url("http://example.com:80/a", POLICY) == "http://example.com/a"
    assert validate_url("https://example.com:443/a", POLICY) == "https://example.com/a"
    assert validate_url("http://example.com:443/a", POLICY) == "http://example.com:443/a"


def test_the_blocked_port_check_applies_to_public_hosts_too():
    assert refused("http://8.8.8.8:25/") == "blocked_port"


# S10: userinfo and parser tricks.
@pytest.mark.parametrize(
    ("url", "codes"),
    [
        ("http://a:b@example.com/", {"userinfo_not_allowed"}),
        ("http://user@example.com/", {"userinfo_not_allowed"}),
        ("http://example.com@127.0.0.1/", {"userinfo_not_allowed", "blocked_address"}),
        ("http://127.1.1.1:80\\@127.2.2.2/", {"invalid_url", "userinfo_not_allowed", "blocked_address"}),
        ("http://127.1.1.1:80\\@example.com/", {"invalid_url", "userinfo_not_allowed", "blocked_address"}),
        ("http://example.com\\@127.0.0.1/", {"invalid_url", "userinfo_not_allowed", "blocked_address"}),
        ("http://example.com#@127.0.0.1/", None),  # fragment: host is example.com, allowed
        ("http://127.0.0.1#@example.com/", {"blocked_address"}),
        ("http://127.0.0.1%2523@example.com/", {"userinfo_not_allowed"}),
        ("http:/\\/127.0.0.1/", {"invalid_url", "blocked_address"}),
        ("http:127.0.0.1/", {"invalid_url", "blocked_address"}),
    ],
)
def test_userinfo_and_parser_tricks_are_refused(url, codes):
    if codes is None:
        assert validate_url(url, POLICY) == "http://example.com/"
    else:
        assert refused(url) in codes


# S11 and S3 (names that need no DNS to judge).
@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://LOCALHOST/",
        "http://localhost./",
        "http://localhost:443/",
        "http://ｌｏｃａｌｈｏｓｔ/",  # fullwidth
        "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",  # circled letters
        "http://local\u00adhost/",  # soft hyphen, dropped by IDNA mapping
        "http://local\u200bhost/",  # zero-width space
        "http://ℓocalhost/",
        "http://１２７.０.０.１/",  # fullwidth digits
        "http://127。0。0。1/",  # ideographic full stops
        "http://①②⑦.0.0.①/",  # circled digits
        "http://sub.localhost/",
        "http://printer.local/",
        "http://metadata.google.internal/",
        "http://redis/",
        "http://db:443/",
        "http://intranet./",
    ],
)
def test_local_names_and_look_alikes_are_blocked(url):
    assert refused(url) == "blocked_address"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        ("https://Bücher.Example/Straße?q=ä#frag", "https://xn--bcher-kva.example/Stra%C3%9Fe?q=%C3%A4"),
        ("http://münchen.de/", "http://xn--mnchen-3ya.de/"),
        ("http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/"),
        ("http://ＥＸＡＭＰＬＥ．com/", "http://example.com/"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("http://example.com./a b", "http://example.com/a%20b"),
        ("http://8.8.8.8/", "http://8.8.8.8/"),
        ("http://134744072/", "http://8.8.8.8/"),
        ("http://[2606:4700:4700:0::1111]/", "http://[2606:4700:4700::1111]/"),
    ],
)
def test_idn_and_public_hosts_are_normalised(url, expected):
    assert validate_url(url, POLICY) == expected


def test_allowed_network_literals_pass():
    policy = FetchPolicy.build(allow_networks=["127.0.0.2/32"], allow_ports=[8000])
    assert validate_url("http://127.0.0.2:8000/x", policy) == "http://127.0.0.2:8000/x"
    assert validate_url("http://0x7f.0.0.2:8000/x", policy) == "http://127.0.0.2:8000/x"
    assert refused("http://127.0.0.1:8000/x", policy) == "blocked_address"


def _encodings(address: ipaddress.IPv4Address) -> list[str]:
    value = int(address)
    octets = address.packed
    return [
        str(address),
        str(value),
        hex(value),
        "0" + oct(value)[2:],
        ".".join(hex(o) for o in octets),
        ".".join("0" + oct(o)[2:] for o in octets),
        f"{octets[0]}.{int.from_bytes(octets[1:], 'big')}",
        f"{octets[0]}.{octets[1]}.{int.from_bytes(octets[2:], 'big')}",
    ]


@settings(max_examples=200, deadline=None)
@given(address=st.ip_addresses(v=4), which=st.integers(min_value=0, max_value=7))
def test_every_ipv4_encoding_is_judged_by_the_address_it_means(address, which):
    url = f"http://{_encodings(address)[which]}/"
    if is_blocked_address(address, POLICY):
        assert refused(url) == "blocked_address"
    else:
        assert validate_url(url, POLICY) == f"http://{address}/"


@settings(max_examples=200, deadline=None)
@given(address=st.ip_addresses(v=6))
def test_every_ipv6_literal_is_judged_by_its_address(address):
    url = f"http://[{address.exploded}]/"
    if is_blocked_address(address, POLICY):
        assert refused(url) == "blocked_address"
    else:
        assert validate_url(url, POLICY) == f"http://[{address.compressed}]/"


@settings(max_examples=100, deadline=None)
@given(address=st.ip_addresses(v=4))
def test_mapped_and_translated_ipv6_forms_share_the_verdict_of_their_ipv4(address):
    verdict = is_blocked_address(address, POLICY)
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    assert is_blocked_address(mapped, POLICY) == verdict
    assert is_blocked_address(nat64, POLICY) == verdict
    assert is_blocked_address(sixtofour, POLICY) == verdict
