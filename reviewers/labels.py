"""Each verdict label's presentation, declared once: its colour (the admin's badges and the overview's
charts) and its ClaimReview rating (api/claimreview.py). The labels themselves, with their wording, are
claims.models.VerdictLabel (the stored values); adding one means a member there and an entry here
(tests/reviewers/test_labels.py checks both agree)."""

from __future__ import annotations

from dataclasses import dataclass

from claims.models import VerdictLabel


@dataclass(frozen=True)
class LabelStyle:
    colour: str  # white text on it keeps a contrast of at least 4.5:1 (review.css)
    rating: int  # schema.org reviewRating.ratingValue, WORST_RATING..BEST_RATING


LABELS: dict[str, LabelStyle] = {
    VerdictLabel.VERIFIED: LabelStyle("#2e7d32", 3),
    VerdictLabel.DISPUTED: LabelStyle("#c62828", 1),
    VerdictLabel.UNSUPPORTED: LabelStyle("#6d6d6d", 2),
}
COLOURS = {label: style.colour for label, style in LABELS.items()}
RATINGS = {label: style.rating for label, style in LABELS.items()}
WORST_RATING, BEST_RATING = min(RATINGS.values()), max(RATINGS.values())
