"""schema.org ClaimReview JSON-LD for a claim's current verdict.

Rating scale (documented in docs/api.md): disputed = 1 (worstRating), unsupported = 2, verified = 3
(bestRating); the label itself is the rating's `alternateName`.
"""

from __future__ import annotations

from django.conf import settings

from claims.models import Claim, VerdictLabel
from reviewers.models import Verdict

RATING = {VerdictLabel.DISPUTED: 1, VerdictLabel.UNSUPPORTED: 2, VerdictLabel.VERIFIED: 3}


def claim_review(claim: Claim, verdict: Verdict, *, url: str) -> dict:
    article = claim.article
    organisation = {"@type": "Organization", "name": settings.FACTCHECK_ORGANIZATION_NAME,
                    "url": settings.FACTCHECK_ORGANIZATION_URL}
    appearance = {"@type": "CreativeWork", "url": article.canonical_url}
    if article.title:
        appearance["headline"] = article.title
    if article.published_at:
        appearance["datePublished"] = article.published_at.isoformat()
    item = {"@type": "Claim", "appearance": [appearance], "firstAppearance": appearance}
    if article.author:
        item["author"] = {"@type": "Person", "name": article.author}
    if article.published_at:
        item["datePublished"] = article.published_at.isoformat()
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.text,
        "datePublished": verdict.decided_at.date().isoformat(),
        "author": organisation,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING[verdict.label],
            "bestRating": 3,
            "worstRating": 1,
            "alternateName": verdict.label,
            "ratingExplanation": verdict.rationale,
        },
        "itemReviewed": item,
        "inLanguage": claim.language or article.language,
    }
