"""Find the speaker of stored claims (checkworthiness/speakers.py) in batches: for claims extracted before
speakers were stored, or after the speaker rules changed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from checkworthiness.speakers import BEFORE_CHARS, find_speaker
from claims.models import Article, Claim


class Command(BaseCommand):
    help = (
        "Find each stored claim's speaker as extraction does today. Walks the claims by id in batches, one "
        "short transaction each, and writes only the claims whose speaker differs: safe to interrupt, rerun "
        "or resume with --after."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="claims per transaction")
        parser.add_argument("--after", type=int, default=0, help="resume after this claim id")

    def handle(self, *args, batch_size: int, after: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        last, checked, updated = after, 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Claim.objects.filter(pk__gt=last)
                    .only(
                        "pk",
                        "article_id",
                        "text",
                        "start",
                        "language",
                        "context",
                        "speaker_name",
                        "speaker_type",
                    )
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                articles = {
                    a.pk: a
                    for a in Article.objects.filter(pk__in={c.article_id for c in batch}).only(
                        "text", "language"
                    )
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
                Claim.objects.bulk_update(changed, ["speaker_name", "speaker_type"])
            last = batch[-1].pk
            checked += len(batch)
            updated += len(changed)
            self.stdout.write(f"up to claim {last}: {checked} checked, {updated} updated")
        self.stdout.write(self.style.SUCCESS(f"done: {checked} claims checked, {updated} updated"))
