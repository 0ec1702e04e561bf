"""Store the centred claim vectors claim matching searches (claims/vectors.py) for claims stored before."""

from __future__ import annotations

from django.core.management.base import CommandError

from claims import vectors
from claims.management.backfill import ClaimBackfillCommand
from claims.models import Claim


class Command(ClaimBackfillCommand):
    help = (
        "Store the vectors of claim matching across languages (pgvector column match_vector) for stored "
        "claims that have an encoder vector but no match vector; first adds the extension, column and index "
        "when the server offers pgvector and migration claims 0010 ran without it. Batches by id, one short "
        "transaction each: safe to interrupt, rerun or resume with --after."
    )
    default_batch_size = 2000
    fields = ()  # match_vector is written in SQL by vectors.store

    def handle(self, *args, **options):
        if not vectors.enable():
            raise CommandError(
                "The database server has no pgvector extension: claim matching stays lexical (claims.W001)."
            )
        super().handle(*args, **options)

    def claims(self):
        return (
            Claim.objects.filter(embedding__isnull=False)
            .extra(where=["match_vector IS NULL"])
            .only("pk", "embedding", "embedding_model")
        )

    def recompute(self, batch):
        centred = {c.pk: v for c in batch if (v := vectors.claim_vector(c)) is not None}
        vectors.store(centred)
        return [c for c in batch if c.pk in centred]
