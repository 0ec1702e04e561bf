"""Verdicts and assignments: the reviewers' decisions on claims and who is working on which claim.

Verdicts are insert-only. The newest verdict of a claim is its current one; older ones are its history. A
database trigger (migration 0002) refuses UPDATE and DELETE on verdict rows, so nobody can rewrite the
record, not even code that bypasses the ORM. A verdict's review `state` (provisional, final, escalated) is
decided when it is inserted and never changes: a later agreeing verdict makes the *claim* final by being a
new, final verdict itself.

Assignments are kept too: releasing one stamps `released_at`, and a partial unique index allows one open
assignment per claim, so two reviewers can never hold the same claim.

What else happens to a claim (assigned, reassigned, released, sent back with a comment, skipped, a draft
saved, the source search re-run) is a ClaimEvent; with the verdicts (decided, overridden, escalated) they
make the claim's activity log (reviewers/activity.py). A reviewer's unfinished verdict is a VerdictDraft,
one per reviewer and claim, never a Verdict row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery

from claims.models import Claim, VerdictLabel
from reviewers.tokens import ApiToken  # noqa: F401 (a model of this app, defined in its own module)


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


class ClaimAction(models.TextChoices):
    """What a ClaimEvent records. Decisions are not events: the verdict rows are their record."""

    ASSIGNED = "assigned", "Assigned"
    REASSIGNED = "reassigned", "Reassigned"
    RELEASED = "released", "Released to the queue"
    SENT_BACK = "sent_back", "Sent back to the queue"
    SKIPPED = "skipped", "Skipped for another claim"
    DRAFTED = "drafted", "Draft saved"
    SEARCH_RERUN = "search_rerun", "Source search re-run"


class ClaimEvent(models.Model):
    """One thing a person did to a claim besides deciding it. Written by reviewers.services only."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=ClaimAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whom the event concerns: the reviewer assigned, or the one whose claim was released.",
    )
    previous_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who held the claim before a reassignment.",
    )
    comment = models.TextField(blank=True, help_text="Why the claim was sent back.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["claim", "at"], name="claim_event_by_claim")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=ClaimAction.values), name="claim_event_action_valid"
            ),
            # A claim is sent back with a reason the next reviewer can read.
            models.CheckConstraint(
                condition=~models.Q(action=ClaimAction.SENT_BACK) | ~models.Q(comment=""),
                name="claim_event_sent_back_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on claim {self.claim_id} by {self.actor_id}"


class VerdictDraft(models.Model):
    """A verdict a reviewer started but has not recorded: saved, resumed later, replaced on every save.

    Drafts are not verdicts (the verdict table is append-only and every row there is a decision). A draft
    saved before its reviewer's latest verdict on the claim has been used up (reviewers.services.
    current_draft ignores it)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="drafts")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    label = models.CharField(max_length=16, choices=VerdictLabel.choices, blank=True)
    rationale = models.TextField(blank=True)
    source_ids = models.JSONField(default=list, help_text="Ids of the claim's sources ticked so far.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "reviewer"], name="verdict_draft_one_per_reviewer"),
            models.CheckConstraint(
                condition=models.Q(label="") | models.Q(label__in=VerdictLabel.values),
                name="verdict_draft_label_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"draft of {self.reviewer_id} on claim {self.claim_id}"


def current_state() -> Subquery:
    """The review state of a claim's newest verdict ('' when it has none), for annotating claims."""
    newest = Verdict.objects.filter(claim=OuterRef("pk")).order_by("-claim_version").values("state")[:1]
    return Subquery(newest, output_field=models.CharField())


def current_assignee() -> Subquery:
    """The id of the reviewer holding the claim's open assignment (None when unassigned)."""
    held = Assignment.objects.open().filter(claim=OuterRef("pk")).values("reviewer")[:1]
    return Subquery(held, output_field=models.BigIntegerField())
