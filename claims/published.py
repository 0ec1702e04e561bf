"""A claim's published fact-checks found embedded in fetched pages (schema.org ClaimReview).

The article itself may be a fact-check (its ClaimReviews apply to every claim of it), and any source page
fetched as evidence may carry some (extraction/claimreview.py reads them; the stages store them on
Article.claim_reviews and Source.claim_reviews). The claim page and the API show them in one shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from claims.models import Article, Source


def _entry(review: dict[str, Any], *, found_on: str, page_url: str, source_id: int | None) -> dict[str, Any]:
    rating = review.get("rating") or {}
    return {
        "claim_reviewed": review.get("claim_reviewed", ""),
        "rating": {key: str(rating.get(key, "")) for key in ("name", "value", "best", "worst")},
        "author": review.get("author", ""),
        # A ClaimReview without its own url is the page itself; only http(s) links are ever shown.
        "url": review["url"] if str(review.get("url", "")).startswith(("http://", "https://")) else page_url,
        "date_published": review.get("date_published", ""),
        "found_on": found_on,
        "found_on_url": page_url,
        "source": source_id,
    }


def published_fact_checks(article: Article, sources: Iterable[Source]) -> list[dict[str, Any]]:
    """The ClaimReviews of the claim's article, then of its sources (in rank order), without repeats."""
    entries = [
        _entry(review, found_on="article", page_url=article.final_url or article.url, source_id=None)
        for review in article.claim_reviews or []
    ]
    for source in sources:
        entries += [
            _entry(review, found_on="source", page_url=source.url, source_id=source.pk)
            for review in source.claim_reviews or []
        ]
    unique: dict[tuple[str, str, str], dict[str, Any]] = {}
    for entry in entries:
        unique.setdefault((entry["url"], entry["claim_reviewed"], entry["rating"]["name"]), entry)
    return list(unique.values())
