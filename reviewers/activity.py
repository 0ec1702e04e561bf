"""A claim's activity log: who did what to it and when, oldest first.

Two records make it: the claim's events (assigned, reassigned, released, sent back with a comment, skipped,
a draft saved, the source search re-run; reviewers.models.ClaimEvent) and its verdicts, which are already
an append-only record of every decision (decided, overridden by a lead, escalated to the leads). Reading
both costs two queries, and recording a verdict writes nothing extra for the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied

from claims.models import Claim
from reviewers.models import ClaimAction, ClaimEvent, ReviewState, Verdict
from reviewers.roles import can_decide

DECIDED = "decided"
OVERRIDDEN = "overridden"
ESCALATED = "escalated"
# Every action the log may show, with its wording (the events' own, then the verdicts').
ACTIONS = {
    **dict(ClaimAction.choices),
    DECIDED: "Decided",
    OVERRIDDEN: "Decided by a lead's override",
    ESCALATED: "Escalated to the leads",
}


@dataclass(frozen=True)
class ActivityEntry:
    at: datetime
    action: str
    actor: str
    reviewer: str | None = None  # whom an assignment event concerns
    previous_reviewer: str | None = None  # who held the claim before a reassignment
    comment: str = ""
    verdict: int | None = None
    label: str | None = None
    state: str | None = None

    @property
    def wording(self) -> str:
        return ACTIONS.get(self.action, self.action)


def verdict_action(verdict: Verdict) -> str:
    if verdict.override:
        return OVERRIDDEN
    if verdict.state == ReviewState.ESCALATED:
        return ESCALATED
    return DECIDED


def claim_activity(*, claim: Claim | int, user) -> list[ActivityEntry]:
    """The claim's activity log, oldest first, for reviewers and leads (PermissionDenied otherwise: the
    log holds the team's internal comments). Two queries."""
    if not can_decide(user):
        raise PermissionDenied("Only reviewers and leads may read a claim's activity.")
    claim_id = claim.pk if isinstance(claim, Claim) else claim
    events = ClaimEvent.objects.filter(claim_id=claim_id).select_related(
        "actor", "reviewer", "previous_reviewer"
    )
    entries = [
        ActivityEntry(
            at=event.at,
            action=event.action,
            actor=event.actor.get_username(),
            reviewer=event.reviewer.get_username() if event.reviewer else None,
            previous_reviewer=event.previous_reviewer.get_username() if event.previous_reviewer else None,
            comment=event.comment,
        )
        for event in events
    ]
    verdicts = Verdict.objects.filter(claim_id=claim_id).select_related("reviewer")
    entries += [
        ActivityEntry(
            at=verdict.decided_at,
            action=verdict_action(verdict),
            actor=verdict.reviewer.get_username(),
            comment=verdict.rationale,
            verdict=verdict.pk,
            label=verdict.label,
            state=verdict.state,
        )
        for verdict in verdicts
    ]
    return sorted(entries, key=lambda entry: entry.at)
