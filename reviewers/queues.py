"""The reviewers' queues as query vocabulary over claims: mine, unassigned, awaiting second review,
escalated to the leads, final. Every queue is sorted by check-worthiness, most check-worthy first."""

from __future__ import annotations

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from claims.models import Claim, ClaimStatus
from reviewers.models import ReviewState, Verdict, current_assignee, current_state
from reviewers.roles import can_lead

MINE = "mine"
UNASSIGNED = "unassigned"
SECOND_REVIEW = "second"
ESCALATED = "escalated"
FINAL = "final"
QUEUES = {
    MINE: "My claims",
    UNASSIGNED: "Unassigned, not yet reviewed",
    SECOND_REVIEW: "Awaiting second review",
    ESCALATED: "Disagreements (for leads)",
    FINAL: "Final verdicts",
}
ORDER = ("-score", "id")


def last_reviewer() -> Subquery:
    newest = Verdict.objects.filter(claim=OuterRef("pk")).order_by("-claim_version").values("reviewer")[:1]
    return Subquery(newest, output_field=IntegerField())


def with_review(queryset: QuerySet | None = None) -> QuerySet:
    """Claims annotated with `review_state` ('' before any verdict) and `assignee_id` (None: unassigned)."""
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.annotate(
        review_state=Coalesce(current_state(), Value("")),
        assignee_id=current_assignee(),
    )


def in_queue(queryset: QuerySet, name: str, user) -> QuerySet:
    """Filter claims annotated by `with_review` down to one queue (for `user`: 'mine' is theirs)."""
    if name == MINE:
        return queryset.filter(assignee_id=user.pk).exclude(review_state=ReviewState.FINAL)
    if name == UNASSIGNED:
        # Claims below their article's cap wait in the admin's "below the cut" filter, not in the queue.
        return queryset.filter(assignee_id__isnull=True, review_state="", below_cut=False)
    if name == SECOND_REVIEW:
        return queryset.filter(review_state=ReviewState.PROVISIONAL)
    if name == ESCALATED:
        return queryset.filter(review_state=ReviewState.ESCALATED)
    if name == FINAL:
        return queryset.filter(review_state=ReviewState.FINAL)
    raise ValueError(f"unknown queue {name!r}")


def counts(user) -> dict[str, int]:
    claims = with_review()
    return {name: in_queue(claims, name, user).count() for name in QUEUES}


def next_for(reviewer, *, article_id: int | None = None, language: str | None = None) -> QuerySet:
    """The claims 'take the next claim' may give `reviewer`, best first: for leads disagreements first,
    then second reviews of other reviewers' verdicts, then claims without a verdict within their
    article's cap (FACTCHECK_CLAIMS_PER_ARTICLE). Claims still waiting for their sources are left until
    the search has finished."""
    claims = with_review(Claim.objects.exclude(status=ClaimStatus.PENDING)).annotate(
        last_reviewer=last_reviewer()
    )
    # Unreviewed claims below their article's cap are not offered; one a reviewer chose to decide anyway
    # still gets its second review.
    wanted = (Q(review_state="") & Q(below_cut=False)) | (
        Q(review_state=ReviewState.PROVISIONAL) & ~Q(last_reviewer=reviewer.pk)
    )
    if can_lead(reviewer):
        wanted |= Q(review_state=ReviewState.ESCALATED)
    claims = claims.filter(wanted, assignee_id__isnull=True)
    if article_id is not None:
        claims = claims.filter(article_id=article_id)
    if language:
        claims = claims.filter(language=language)
    priority = Case(
        When(review_state=ReviewState.ESCALATED, then=Value(0)),
        When(review_state=ReviewState.PROVISIONAL, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return claims.annotate(priority=priority).order_by("priority", *ORDER)
