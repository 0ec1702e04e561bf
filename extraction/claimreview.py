"""Published fact-checks embedded in a page: schema.org ClaimReview, read with extruct (JSON-LD and microdata).

Fact-checkers mark up their articles with ClaimReview (https://schema.org/ClaimReview) so that search
engines can show "rated False by …"; any page the service fetches — the article itself or a source page —
may carry one. `claim_reviews(html, url=...)` returns them as plain dicts of the fields a reviewer needs:

    {"claim_reviewed", "rating": {"name", "value", "best", "worst"}, "author", "url", "date_published"}

JSON-LD is found as a single object, an array of objects, inside `@graph`, or nested in another item (a
WebPage's `mainEntity`, an article's `review`); microdata (itemscope itemtype=".../ClaimReview") too.
A page whose markup cannot be read gives what could be read, never an error. Plain Python: no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
import lxml.etree
from extruct.jsonld import JsonLdExtractor
from extruct.utils import parse_html

logger = logging.getLogger(__name__)

MAX_REVIEWS = 20  # per page; a page listing hundreds of fact-checks is an index, not one of them
MAX_DEPTH = 6  # how deep into nested items a ClaimReview is looked for
MAX_FIELD = 1000  # characters kept of any one text field


def claim_reviews(html: str, *, url: str = "") -> list[dict[str, Any]]:
    """The ClaimReviews embedded in `html` (JSON-LD, microdata), in page order, without duplicates."""
    # A cheap gate: parsing costs a few milliseconds per page and almost no page carries one.
    if not html or "ClaimReview" not in html:
        return []
    try:
        document = parse_html(html, encoding="UTF-8")
    except (lxml.etree.ParserError, ValueError):
        return []
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for item in _items(document, url):
        for node in _claim_review_nodes(item, depth=0):
            review = _review(node, url)
            key = (review["url"], review["claim_reviewed"], review["rating"]["name"])
            if key not in seen and (review["claim_reviewed"] or review["rating"]["name"]):
                seen.add(key)
                found.append(review)
    return found[:MAX_REVIEWS]


def _items(document: Any, url: str) -> Iterator[Any]:
    yield from _json_ld(document, url)
    try:
        yield from extruct.extract(
            document, base_url=url or None, syntaxes=["microdata"], uniform=True, errors="strict"
        )["microdata"]
    except Exception:  # malformed microdata: the JSON-LD found above still counts
        logger.info("unreadable microdata on %s", url, exc_info=True)


def _json_ld(document: Any, url: str) -> list[Any]:
    """Every JSON-LD script's items, script by script: one broken script does not hide the others."""
    extractor = JsonLdExtractor()
    items: list[Any] = []
    for script in document.xpath('//script[@type="application/ld+json"]'):
        try:
            items += extractor.extract_items(script, base_url=url or None)
        except Exception:  # not JSON even after extruct's comment stripping
            logger.info("unreadable JSON-LD script on %s", url)
    return items


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type") or []
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values}


def _claim_review_nodes(value: Any, *, depth: int) -> Iterator[dict[str, Any]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for element in value:
            yield from _claim_review_nodes(element, depth=depth + 1)
    elif isinstance(value, dict):
        if "ClaimReview" in _types(value):
            yield value
            return
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _claim_review_nodes(child, depth=depth + 1)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t)[:MAX_FIELD]
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@id") or value.get("url") or "")
    if value is None or isinstance(value, bool):
        return ""
    return " ".join(str(value).split())[:MAX_FIELD]


def _http_url(value: str, base: str) -> str:
    """An absolute http(s) URL, or "" (a `javascript:` link must never reach a page that shows it)."""
    absolute = urljoin(base, value) if value else ""
    return absolute if urlsplit(absolute).scheme in ("http", "https") else ""


def _review(node: dict[str, Any], base: str) -> dict[str, Any]:
    rating = node.get("reviewRating")
    if isinstance(rating, list):
        rating = rating[0] if rating else {}
    rating = rating if isinstance(rating, dict) else {"alternateName": rating}
    return {
        "claim_reviewed": _text(node.get("claimReviewed")),
        "rating": {
            "name": _text(rating.get("alternateName") or rating.get("name")),
            "value": _text(rating.get("ratingValue")),
            "best": _text(rating.get("bestRating")),
            "worst": _text(rating.get("worstRating")),
        },
        "author": _text(node.get("author")),
        "url": _http_url(_text(node.get("url")), base),
        "date_published": _text(node.get("datePublished")),
    }
