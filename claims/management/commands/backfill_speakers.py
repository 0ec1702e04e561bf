"""Find the speaker of stored claims (checkworthiness/speakers.py) in batches: for claims extracted before
speakers were stored, or after the speaker rules changed."""

from __future__ import annotations

from checkworthiness.speakers import BEFORE_CHARS, find_speaker
from claims.management.backfill import ClaimBackfillCommand
from claims.models import Article, Claim


class Command(ClaimBackfillCommand):
    help = (
        "Find each stored claim's speaker as extraction does today. Walks the claims by id in batches, one "
        "short transaction each, and writes only the claims whose speaker differs: safe to interrupt, rerun "
        "or resume with --after."
    )
    default_batch_size = 500
    fields = ("speaker_name", "speaker_type")

    def claims(self):
        return Claim.objects.only(
            "pk", "article_id", "text", "start", "language", "context", "speaker_name", "speaker_type"
        )

    def recompute(self, batch):
        articles = {
            a.pk: a
            for a in Article.objects.filter(pk__in={c.article_id for c in batch}).only("text", "language")
        }
        changed = []
        for claim in batch:
            article = articles[claim.article_id]
            speaker = find_speaker(
                claim.text,
                language=claim.language or article.language or "en",
                before=article.text[max(0, claim.start - BEFORE_CHARS) : claim.start],
                after=(claim.context or {}).get("after", ""),
            )
            name, kind = (speaker.name[:255], speaker.type) if speaker else ("", "")
            if (claim.speaker_name, claim.speaker_type) != (name, kind):
                claim.speaker_name, claim.speaker_type = name, kind
                changed.append(claim)
        return changed
