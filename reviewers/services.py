"""Review use cases: taking and assigning claims, recording verdicts (with optional four eyes), and
re-running failed pipeline stages. Permissions are enforced here, so the API and the admin obey the same
rules (see reviewers.roles)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims import services as claim_services
from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Source, VerdictLabel
from reviewers import queues
from reviewers.models import Assignment, ReviewState, Verdict
from reviewers.roles import ROLES_SQL, can_decide, can_lead, remember_roles, roles_sql_params
from reviewers.signals import verdict_recorded


class VersionConflict(Exception):
    """The claim changed since the caller read it (another verdict won). Nothing was written."""

    def __init__(self, claim_id: int) -> None:
        super().__init__(
            f"Claim {claim_id} was decided by someone else in the meantime; reload it and decide again."
        )
        self.claim_id = claim_id


class ClaimTaken(Exception):
    """Someone else holds the claim (they took it first). Nothing was written."""

    def __init__(self, claim: Claim, holder: str) -> None:
        super().__init__(f"Claim {claim.pk} is already assigned to {holder}.")
        self.claim = claim
        self.holder = holder


def reviews_required() -> int:
    return max(1, int(settings.FACTCHECK_REVIEWS_REQUIRED))


def decide_state(*, history: list[Verdict], reviewer_id: int, label: str, lead: bool, override: bool) -> str:
    """The review state a new verdict gets, given the claim's verdicts newest first.

    Final when FACTCHECK_REVIEWS_REQUIRED consecutive verdicts with the same label by distinct reviewers
    end with this one, when a lead overrides, or when a lead settles a disagreement. Disagreeing with
    another reviewer's provisional verdict escalates the claim to the leads.
    """
    previous = history[0] if history else None
    if override or (lead and previous is not None and previous.state == ReviewState.ESCALATED):
        return ReviewState.FINAL
    agreeing = {reviewer_id}
    for verdict in history:
        if verdict.label != label:
            break
        agreeing.add(verdict.reviewer_id)
    if len(agreeing) >= reviews_required():
        return ReviewState.FINAL
    if (
        previous is not None
        and previous.state == ReviewState.PROVISIONAL
        and previous.label != label
        and previous.reviewer_id != reviewer_id
    ):
        return ReviewState.ESCALATED
    return ReviewState.PROVISIONAL


# The conditional UPDATE that starts recording a verdict: it locks the claim row (everything after it is
# serialised per claim), checks the version the caller decided on (NULL: whatever version it is at) and
# bumps it. RETURNING gives what callers read of the claim (the ETag, webhook payloads; the other columns
# stay deferred) and, to save a round trip, the deciding user's roles: record_verdict checks them before
# anything else, and a refusal rolls the UPDATE back. No row: the version was stale, or there is no such
# claim.
LOCK_CLAIM_SQL = f"""
UPDATE claims_claim
   SET version = version + 1, verdict_label = %(label)s, decided_at = %(now)s, updated_at = %(now)s
 WHERE id = %(claim)s AND (%(expected)s::bigint IS NULL OR version = %(expected)s)
RETURNING id, article_id, text, language, verdict_label, decided_at, version, ARRAY({ROLES_SQL}) AS roles
"""

# Who holds the claim, and its history newest first, in one statement. It has to be a statement of its
# own after the UPDATE: under READ COMMITTED a statement reads the snapshot taken when it started, so only
# a statement that starts once we hold the row lock sees what the transaction we waited for committed
# (an assignment made by assign_claim, which takes the same lock). LEFT JOINs: a claim with no holder and
# no history still yields its one row, whose verdict columns are NULL.
HISTORY_DEPTH = 20  # decide_state reads the newest run of agreeing verdicts: FACTCHECK_REVIEWS_REQUIRED ≤ 20
HOLDER_AND_HISTORY_SQL = """
SELECT a.reviewer_id AS holder_id, v.*
  FROM claims_claim c
  LEFT JOIN reviewers_assignment a ON a.claim_id = c.id AND a.released_at IS NULL
  LEFT JOIN LATERAL (
        SELECT * FROM reviewers_verdict WHERE claim_id = c.id ORDER BY claim_version DESC LIMIT %(depth)s
  ) v ON true
 WHERE c.id = %(claim)s
 ORDER BY v.claim_version DESC
"""


def record_verdict(
    *,
    claim: Claim | int,
    reviewer,
    label: str,
    rationale: str,
    source_ids: list[int] | None = None,
    expected_version: int | None = None,
    override: bool = False,
) -> Verdict:
    """Record a reviewer's verdict on a claim; it becomes the claim's current verdict.

    `claim` is the Claim decided on, or only its id (the API does not read the claim first). Atomic.
    Optimistic concurrency: the verdict is written only if the claim is still at `expected_version`
    (default: the version of the Claim passed in; with an id, whatever version the claim is at);
    otherwise VersionConflict is raised and nothing changes. Claim.DoesNotExist when there is no such
    claim. Earlier verdicts are kept as history. The rules that depend on the claim's state (who holds
    it, a pending disagreement) are checked after the claim row is locked, so they cannot change
    underneath. Any open assignment of the claim is released. The verdict's `claim` is the Claim passed
    in (its version and current verdict updated) or, with an id, the claim as locked.

    Errors come in this order: the input (label, rationale, cited sources: ValidationError), who may
    decide (PermissionDenied), the claim (Claim.DoesNotExist, VersionConflict), then its state.

    Costs a fixed number of SQL statements (pinned by tests/reviewers/test_verdicts.py): the UPDATE (which
    also reads the user's roles, unless this user object has them cached), the holder and the history
    (one statement, after the lock), the INSERT, the release (only when someone held the claim), plus
    what verdict_recorded receivers add.
    """
    if label not in VerdictLabel.values:
        raise ValidationError(
            f"The label must be one of {', '.join(VerdictLabel.values)}.", code="invalid_label"
        )
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError(
            "A rationale is required: say why the evidence supports this label.", code="rationale_required"
        )
    loaded = claim if isinstance(claim, Claim) else None
    claim_id = claim if loaded is None else loaded.pk
    if expected_version is None and loaded is not None:
        expected_version = loaded.version
    sources = []
    if source_ids:
        source_ids = sorted(set(source_ids))
        sources = list(Source.objects.filter(claim_id=claim_id, pk__in=source_ids).order_by("rank", "id"))
        if len(sources) != len(source_ids):
            raise ValidationError(
                "Every cited source must be one of this claim's sources.", code="invalid_source"
            )

    now = timezone.now()
    try:
        with transaction.atomic():
            lock = {"claim": claim_id, "expected": expected_version, "label": label, "now": now}
            locked = next(iter(Claim.objects.raw(LOCK_CLAIM_SQL, lock | roles_sql_params(reviewer))), None)
            if locked is not None:
                remember_roles(reviewer, locked.roles)
            # Who may decide comes before what the UPDATE found. Without a row (nothing was written),
            # the roles are read on their own unless this request read them already.
            lead = can_lead(reviewer)
            if not lead and not can_decide(reviewer):
                raise PermissionDenied("Only reviewers and leads may record verdicts.")
            if override and not lead:
                raise PermissionDenied("Only leads may override: your verdict counts as one review.")
            if locked is None:
                if not Claim.objects.filter(pk=claim_id).exists():
                    raise Claim.DoesNotExist(f"There is no claim {claim_id}.")
                raise VersionConflict(claim_id)
            read = {"claim": claim_id, "depth": HISTORY_DEPTH}
            rows = list(Verdict.objects.raw(HOLDER_AND_HISTORY_SQL, read))
            holder_id = rows[0].holder_id
            history = [row for row in rows if row.pk is not None]  # no history: one row of NULLs
            if holder_id is not None and holder_id != reviewer.pk and not lead:
                holder = get_user_model().objects.get(pk=holder_id)
                raise PermissionDenied(
                    f"This claim is assigned to {holder}; only they or a lead may decide it."
                )
            previous = history[0] if history else None
            if previous is not None and previous.state == ReviewState.ESCALATED and not lead:
                raise PermissionDenied("Two reviewers disagree on this claim; a lead decides it.")
            if (
                previous is not None
                and previous.state == ReviewState.PROVISIONAL
                and previous.reviewer_id == reviewer.pk
                and previous.label == label
                and not override
            ):
                raise ValidationError(
                    "You gave this verdict already; it becomes final when another reviewer agrees.",
                    code="second_review_required",
                )
            state = decide_state(
                history=history, reviewer_id=reviewer.pk, label=label, lead=lead, override=override
            )
            verdict = Verdict.objects.create(
                claim=locked if loaded is None else loaded,
                label=label,
                rationale=rationale,
                cited_sources=[
                    {"id": s.pk, "url": s.url, "title": s.title, "provider": s.provider} for s in sources
                ],
                reviewer=reviewer,
                decided_at=now,
                claim_version=locked.version,
                supersedes=previous,
                state=state,
                override=override,
            )
            # What callers (the API response, webhook payloads) read of these objects is known already:
            # the new verdict has no successor yet, and the one it supersedes belongs to this claim.
            Verdict.superseded_by.related.set_cached_value(verdict, None)
            if previous is not None:
                previous.claim = verdict.claim
            if holder_id is not None:
                # Nobody can assign the claim while we hold its row (assign_claim and take_next_claim
                # lock it first), so when nobody held it above, there is nothing to release.
                Assignment.objects.open().filter(claim_id=claim_id).update(
                    released_at=now, release_reason="decided"
                )
            verdict_recorded.send(sender=Verdict, verdict=verdict, superseded=previous)
    except IntegrityError as exc:  # the unique (claim, claim_version) caught a race the UPDATE did not
        raise VersionConflict(claim_id) from exc
    if loaded is not None:
        loaded.version, loaded.verdict_label, loaded.decided_at = locked.version, label, now
    return verdict


def take_next_claim(*, reviewer, article_id: int | None = None, language: str | None = None) -> Claim | None:
    """Assign the most check-worthy claim that needs this reviewer to them and return it (None: queue empty).

    Second reviews come first (finish what others started), then claims nobody has decided yet. Two
    reviewers never get the same claim: candidates are locked with SKIP LOCKED, and the partial unique
    index on open assignments refuses a second holder even if two transactions picked the same row.
    """
    if not can_decide(reviewer):
        raise PermissionDenied("Only reviewers and leads may take claims.")
    candidates = queues.next_for(reviewer, article_id=article_id, language=language)
    for _ in range(5):
        try:
            with transaction.atomic():
                claim = candidates.select_for_update(skip_locked=True, of=("self",)).first()
                if claim is None:
                    return None
                Assignment.objects.create(
                    claim=claim, reviewer=reviewer, assigned_by=reviewer, assigned_at=timezone.now()
                )
                return claim
        except IntegrityError:
            continue  # another reviewer took that claim between our read and our insert; pick again
    return None


def assign_claim(*, claim: Claim, reviewer, by) -> Assignment:
    """Give a claim to a reviewer. Reviewers may take an unassigned claim for themselves; leads may
    assign (and reassign) any claim to any reviewer or lead. Atomic; ClaimTaken when someone holds it."""
    if not can_decide(by):
        raise PermissionDenied("Only reviewers and leads may take claims.")
    if reviewer.pk != by.pk and not can_lead(by):
        raise PermissionDenied("Only leads may assign claims to someone else.")
    if not can_decide(reviewer):
        raise ValidationError(f"{reviewer} is neither a reviewer nor a lead.", code="not_a_reviewer")
    now = timezone.now()
    try:
        with transaction.atomic():
            # Lock the claim row first, as record_verdict and take_next_claim do: no assignment appears
            # while a verdict is being recorded, so the verdict's release of open assignments is complete.
            Claim.objects.select_for_update().filter(pk=claim.pk).values_list("pk").first()
            holder = Assignment.objects.open().select_for_update().filter(claim=claim).first()
            if holder is not None:
                if holder.reviewer_id == reviewer.pk:
                    return holder
                if not can_lead(by):
                    raise ClaimTaken(claim, str(holder.reviewer))
                holder.released_at, holder.release_reason = now, "reassigned"
                holder.save(update_fields=["released_at", "release_reason"])
            return Assignment.objects.create(claim=claim, reviewer=reviewer, assigned_by=by, assigned_at=now)
    except IntegrityError as exc:  # someone took it between our check and our insert
        holder = Assignment.objects.open().filter(claim=claim).select_related("reviewer").first()
        raise ClaimTaken(claim, str(holder.reviewer) if holder else "someone else") from exc


def release_claim(*, claim: Claim, by) -> bool:
    """Put a claim back into the queue. Its holder or a lead may. Returns False when nobody held it."""
    holder = Assignment.objects.open().filter(claim=claim).first()
    if holder is None:
        return False
    if holder.reviewer_id != by.pk and not can_lead(by):
        raise PermissionDenied("Only the reviewer holding a claim or a lead may release it.")
    return bool(
        Assignment.objects.filter(pk=holder.pk, released_at__isnull=True).update(
            released_at=timezone.now(), release_reason="released"
        )
    )


def rerun_failed_stage(*, article: Article, user) -> str:
    """Re-run what failed in an article's pipeline (leads only): the whole pipeline of a failed article,
    or the source search of its claims whose search failed. Returns what was re-queued ('' if nothing).
    Idempotent: only failed work is re-queued, so running it twice queues nothing twice."""
    if not can_lead(user):
        raise PermissionDenied("Only leads may re-run pipelines.")
    if article.status == ArticleStatus.FAILED:
        return "pipeline" if claim_services.retry_article(article=article) else ""
    if Claim.objects.filter(article=article, status=ClaimStatus.SOURCES_FAILED).exists():
        count = claim_services.retry_failed_sources(article=article)
        return f"sources of {count} claim(s)" if count else ""
    return ""
