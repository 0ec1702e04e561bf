"""Verdicts: the reviewers' decisions on claims. Insert-only.

The newest verdict of a claim is its current one; older ones are its history. A database trigger
(migration 0002) refuses UPDATE and DELETE on verdict rows, so nobody can rewrite the record, not
even code that bypasses the ORM.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from claims.models import Claim, VerdictLabel


class VerdictQuerySet(models.QuerySet):
    def feed_order(self):
        return self.order_by("decided_at", "id")


class Verdict(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verdicts")
    label = models.CharField(max_length=16, choices=VerdictLabel.choices)
    rationale = models.TextField()
    cited_sources = models.JSONField(
        default=list, help_text="Snapshot of the sources relied on: id, url, title, provider."
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts")
    decided_at = models.DateTimeField()
    claim_version = models.PositiveIntegerField(help_text="The claim's version this verdict created.")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    objects = VerdictQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            # Two verdicts can never claim the same version of a claim: the loser of a race fails here.
            models.UniqueConstraint(fields=["claim", "claim_version"], name="verdict_unique_claim_version"),
            models.CheckConstraint(condition=~models.Q(rationale=""), name="verdict_rationale_required"),
            models.CheckConstraint(
                condition=models.Q(label__in=VerdictLabel.values), name="verdict_label_valid"
            ),
        ]
        indexes = [models.Index(fields=["decided_at", "id"], name="verdict_feed_idx")]

    def __str__(self) -> str:
        return f"{self.get_label_display()} on claim {self.claim_id}"
