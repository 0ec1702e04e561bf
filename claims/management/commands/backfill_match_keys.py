"""Recompute Claim.match_keys (the LSH band keys of claim matching) for stored claims, in batches."""

from __future__ import annotations

from claims.management.backfill import ClaimBackfillCommand
from claims.matching import match_keys
from claims.models import Claim


class Command(ClaimBackfillCommand):
    help = (
        "Recompute the claim-matching keys of stored claims after the key scheme changed "
        "(textkit/similarity.py). Walks the claims by id in batches, one short transaction each, "
        "and writes only the claims whose keys differ: safe to interrupt, rerun or resume with --after."
    )
    default_batch_size = 2000
    fields = ("match_keys",)

    def claims(self):
        return Claim.objects.select_related("article").only(
            "pk", "text", "language", "match_keys", "article__language"
        )

    def recompute(self, batch):
        stale = []
        for claim in batch:
            keys = match_keys(claim.text, claim.language or claim.article.language or "en")
            if claim.match_keys != keys:
                claim.match_keys = keys
                stale.append(claim)
        return stale
