"""Canonical URLs (RELIABILITY B12: variants of one URL must map to one article; S11: IDN as punycode)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.urlnorm import canonicalize_url, same_site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.COM/Path", "http://www.example.com/Path"),  # path case is kept
        ("http://example.com", "http://example.com/"),
        ("http://example.com?", "http://example.com/"),
        ("http://example.com/a?", "http://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com/a#section", "http://example.com/a"),
        ("http://example.com/a/", "http://example.com/a/"),  # trailing slash kept on purpose
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/%7Euser/%e2%82%ac", "http://example.com/~user/%E2%82%AC"),
        ("http://example.com/%41%42c", "http://example.com/ABc"),
        ("http://example.com/a%2Fb", "http://example.com/a%2Fb"),  # reserved stays encoded
        ("http://example.com/a b/ä", "http://example.com/a%20b/%C3%A4"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://example.com/?utm_source=x&utm_medium=y&id=3", "http://example.com/?id=3"),
        ("http://example.com/?b=2&a=1&fbclid=z", "http://example.com/?b=2&a=1"),  # order kept
        (
            "http://example.com/?gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5&igshid=6&yclid=7&_ga=8&_hsenc=9&_hsmi=0&ref_src=t",
            "http://example.com/",
        ),
        ("http://example.com/?UTM_Campaign=x&q=a+b", "http://example.com/?q=a+b"),
        ("http://example.com/?utm%5Fsource=x&q=1", "http://example.com/?q=1"),
        ("http://example.com/?q=%e4&&x", "http://example.com/?q=%E4&x"),
        ("http://example.com/?reference=1&ref=2", "http://example.com/?reference=1&ref=2"),
        ("http://Bücher.example/", "http://xn--bcher-kva.example/"),
        ("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/"),
        ("http://example.com./", "http://example.com/"),
        ("http://[2001:DB8:0::1]:80/", "http://[2001:db8::1]/"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_urls_are_canonicalised(url, expected):
    assert canonicalize_url(url) == expected
    assert canonicalize_url(expected) == expected


def test_variants_of_one_article_share_a_canonical_url():
    variants = [
        "https://News.Example.com/politik/artikel-1?utm_source=twitter",
        "https://news.example.com:443/politik/artikel-1#kommentare",
        "HTTPS://NEWS.EXAMPLE.COM/politik/./artikel-1?fbclid=abc&utm_medium=social",
        "https://news.example.com/politik/artikel%2D1?",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/a",
        "ftp://example.com/",
        "mailto:a@example.com",
        "http://",
        "http://[::1/",
        "http://a b/",
        "http://example.com:99999/",
        "http://exa\nmple.com/",
        42,
    ],
)
def test_unparseable_input_raises_value_error(url):
    with pytest.raises(ValueError):
        canonicalize_url(url)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://www.example.com/a", "http://example.com/b", True),
        ("https://EXAMPLE.com/a", "https://www.example.com./", True),
        ("https://news.example.com/", "https://blog.example.com/", False),
        ("https://example.com/", "https://example.org/", False),
        ("https://wwwexample.com/", "https://example.com/", False),
        ("https://bücher.example/", "https://www.xn--bcher-kva.example/", True),
        ("not a url", "https://example.com/", False),
    ],
)
def test_same_site_ignores_www_and_case(a, b, same):
    assert same_site(a, b) is same


url_text = st.lists(
    st.sampled_from(
        list("abcXYZ019-._~%/?&=#+:@!$'()*,;äé €")
        + ["%2f", "%7E", "%zz", "utm_x=1&", "%e2%82%ac", "/../", "/./"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "HTTP", "https"]),
    host=st.sampled_from(
        ["example.com", "WWW.Example.com", "bücher.example", "127.0.0.1", "[::1]", "0x7f.1", "a-b.c."]
    ),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    rest=url_text,
)
def test_canonicalisation_is_idempotent(scheme, host, port, rest):
    url = f"{scheme}://{host}{port}/{rest}"
    try:
        once = canonicalize_url(url)
    except ValueError:
        return
    assert canonicalize_url(once) == once
    assert "#" not in once
    assert once.isascii()
