"""Recompute Claim.match_keys (the LSH band keys of claim matching) for stored claims, in batches."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims.matching import match_keys
from claims.models import Claim


class Command(BaseCommand):
    help = (
        "Recompute the claim-matching keys of stored claims after the key scheme changed "
        "(textkit/similarity.py). Walks the claims by id in batches, one short transaction each, "
        "and writes only the claims whose keys differ: safe to interrupt, rerun or resume with --after."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="claims per transaction")
        parser.add_argument("--after", type=int, default=0, help="resume after this claim id")

    def handle(self, *args, batch_size: int, after: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        last, checked, updated = after, 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Claim.objects.filter(pk__gt=last)
                    .select_related("article")
                    .only("pk", "text", "language", "match_keys", "article__language")
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                stale = []
                for claim in batch:
                    keys = match_keys(claim.text, claim.language or claim.article.language or "en")
                    if claim.match_keys != keys:
                        claim.match_keys = keys
                        stale.append(claim)
                Claim.objects.bulk_update(stale, ["match_keys"])
            last = batch[-1].pk
            checked += len(batch)
            updated += len(stale)
            self.stdout.write(f"up to claim {last}: {checked} checked, {updated} updated")
        self.stdout.write(self.style.SUCCESS(f"done: {checked} claims checked, {updated} updated"))
