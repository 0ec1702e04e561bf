"""The walk every backfill command shares: stored claims by id in batches, one short transaction each,
writing only the claims whose recomputed fields differ — safe to interrupt, rerun or resume with --after."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import QuerySet

from claims.models import Claim


class ClaimBackfillCommand(BaseCommand):
    """Subclasses say which claims to read (`claims()`), and recompute a batch in place (`recompute()`),
    returning the claims that changed; `fields` are the columns written."""

    default_batch_size = 1000
    fields: tuple[str, ...] = ()

    def claims(self) -> QuerySet[Claim]:
        raise NotImplementedError

    def recompute(self, batch: list[Claim]) -> list[Claim]:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=self.default_batch_size, help="claims per transaction"
        )
        parser.add_argument("--after", type=int, default=0, help="resume after this claim id")

    def handle(self, *args, batch_size: int, after: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        last, checked, updated = after, 0, 0
        while True:
            with transaction.atomic():
                batch = list(self.claims().filter(pk__gt=last).order_by("pk")[:batch_size])
                if not batch:
                    break
                changed = self.recompute(batch)
                if (
                    changed and self.fields
                ):  # a command writing columns Django has no field for does it itself
                    Claim.objects.bulk_update(changed, list(self.fields))
            last = batch[-1].pk
            checked += len(batch)
            updated += len(changed)
            self.stdout.write(f"up to claim {last}: {checked} checked, {updated} updated")
        self.stdout.write(self.style.SUCCESS(f"done: {checked} claims checked, {updated} updated"))
