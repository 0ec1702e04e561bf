"""Verdicts and assignments: the reviewers' decisions on claims and who is working on which claim.

Verdicts are insert-only. The newest verdict of a claim is its current one; older ones are its history. A
database trigger (migration 0002) refuses UPDATE and DELETE on verdict rows, so nobody can rewrite the
record, not even code that bypasses the ORM. A verdict's review `state` (provisional, final, escalated) is
decided when it is inserted and never changes: a later agreeing verdict makes the *claim* final by being a
new, final verdict itself.

Assignments are kept too: releasing one stamps `released_at`, and a partial unique index allows one open
assignment per claim, so two reviewers can never hold the same claim.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery

from claims.models import Claim, VerdictLabel


class ReviewState(models.TextChoices):
    """Where a verdict leaves its claim (see reviewers.services.record_verdict)."""

    PROVISIONAL = "provisional", "Provisional: awaiting a second review"
    FINAL = "final", "Final"
    ESCALATED = "escalated", "Escalated: reviewers disagree, a lead decides"


class VerdictQuerySet(models.QuerySet):
    def feed_order(self):
        return self.order_by("decided_at", "id")

    def final(self):
        return self.filter(state=ReviewState.FINAL)


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
    state = models.CharField(
        max_length=16,
        choices=ReviewState.choices,
        default=ReviewState.FINAL,
        help_text="Set when the verdict is recorded; never changed afterwards.",
    )
    override = models.BooleanField(default=False, help_text="A lead made this verdict final on their own.")

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
            models.CheckConstraint(
                condition=models.Q(state__in=ReviewState.values), name="verdict_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["decided_at", "id"], name="verdict_feed_idx")]

    def __str__(self) -> str:
        return f"{self.get_label_display()} on claim {self.claim_id}"

    @property
    def final(self) -> bool:
        return self.state == ReviewState.FINAL


class AssignmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(released_at__isnull=True)


class Assignment(models.Model):
    """A claim given to a reviewer (by themselves with 'take the next claim', or by a lead)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments_made"
    )
    assigned_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=32, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            # One open assignment per claim: of two reviewers taking the same claim, one insert fails.
            models.UniqueConstraint(
                fields=["claim"], condition=Q(released_at__isnull=True), name="assignment_one_open_per_claim"
            ),
        ]
        indexes = [
            models.Index(
                fields=["reviewer"], condition=Q(released_at__isnull=True), name="assignment_open_by_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} → {self.reviewer}"


def current_state() -> Subquery:
    """The review state of a claim's newest verdict ('' when it has none), for annotating claims."""
    newest = Verdict.objects.filter(claim=OuterRef("pk")).order_by("-claim_version").values("state")[:1]
    return Subquery(newest, output_field=models.CharField())


def current_assignee() -> Subquery:
    """The id of the reviewer holding the claim's open assignment (None when unassigned)."""
    held = Assignment.objects.open().filter(claim=OuterRef("pk")).values("reviewer")[:1]
    return Subquery(held, output_field=models.BigIntegerField())
