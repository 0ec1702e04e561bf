"""Pages that embed schema.org ClaimReview the ways fact-checkers publish it (written for these tests).

`claim_review(...)` is one ClaimReview object; the page builders wrap it as a single JSON-LD object, inside
`@graph`, in a JSON-LD array, or as microdata — the shapes extraction/claimreview.py must read.
"""

from __future__ import annotations

import html
import json
from typing import Any


def claim_review(claim: str, rating: str, *, value: int, author: str, url: str = "", date: str = "") -> dict:
    review: dict[str, Any] = {
        "@type": "ClaimReview",
        "claimReviewed": claim,
        "author": {"@type": "Organization", "name": author},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": rating,
        },
    }
    if url:
        review["url"] = url
    if date:
        review["datePublished"] = date
    return review


def json_ld(data: Any) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def single(review: dict) -> str:
    return json_ld({"@context": "https://schema.org", **review})


def graph(review: dict) -> str:
    return json_ld(
        {
            "@context": "https://schema.org",
            "@graph": [{"@type": "WebPage", "name": "Fact check"}, review, {"@type": "Person", "name": "X"}],
        }
    )


def array(review: dict) -> str:
    return json_ld([{"@context": "https://schema.org", **review}, {"@type": "Organization", "name": "Y"}])


def microdata(review: dict) -> str:
    rating = review["reviewRating"]
    url = f'<link itemprop="url" href="{html.escape(review["url"])}">' if review.get("url") else ""
    date = (
        f'<meta itemprop="datePublished" content="{review["datePublished"]}">'
        if review.get("datePublished")
        else ""
    )
    return (
        '<div itemscope itemtype="https://schema.org/ClaimReview">'
        f'<p>Claim: <span itemprop="claimReviewed">{html.escape(review["claimReviewed"])}</span></p>{url}{date}'
        '<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
        f'Rating: <span itemprop="alternateName">{html.escape(rating["alternateName"])}</span>'
        f'<meta itemprop="ratingValue" content="{rating["ratingValue"]}">'
        f'<meta itemprop="bestRating" content="{rating["bestRating"]}"></div>'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Organization">'
        f'<span itemprop="name">{html.escape(review["author"]["name"])}</span></div></div>'
    )


def page(title: str, paragraphs: list[str], *, head: str = "", body: str = "") -> str:
    text = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{text}{body}</article>"
        "<footer>Contact us</footer></body></html>"
    )
