"""Review use cases: taking, assigning, releasing and sending back claims, drafts, recording verdicts (with
optional four eyes), and re-running failed pipeline stages and claim searches. Every one that changes who
works on a claim logs it (ClaimEvent). Permissions are enforced here, so the API and the admin obey the same
rules (see reviewers.roles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, FilteredRelation, Func, OuterRef, Q
from django.utils import timezone

from claims import services as claim_services
from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Source, VerdictLabel
from reviewers import queues
from reviewers.models import Assignment, ClaimAction, ClaimEvent, ReviewState, Verdict, VerdictDraft
from reviewers.roles import can_decide, can_lead, knows_roles, remember_roles, roles_column
from reviewers.signals import verdict_recorded


class VersionConflict(Exception):
    """The claim is not at the version the caller decided on. Nothing was written.

    Two different mistakes, told apart because the remedy differs: another verdict was recorded since the
    caller read the claim (`current` is past `expected`: read theirs, then decide again), or the version
    sent never was this claim's (`current` is behind it, e.g. an ETag of another server or a typo: read
    the claim and send its ETag). Without the versions (a race caught by the unique constraint) it is the
    former."""

    def __init__(self, claim_id: int, *, expected: int | None = None, current: int | None = None) -> None:
        if expected is not None and current is not None and current < expected:
            decided = "has no verdict yet" if current == 0 else f"is at version {current}"
            message = (
                f"Claim {claim_id} {decided}, so version {expected} cannot be the one you read; "
                f"read the claim again and send its ETag (or version)."
            )
        else:
            message = (
                f"Another verdict was recorded on claim {claim_id} since you read it; "
                f"reload it, read that verdict, and decide again."
            )
        super().__init__(message)
        self.claim_id = claim_id
        self.expected = expected
        self.current = current


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


HISTORY_DEPTH = 20  # decide_state reads the newest run of agreeing verdicts: FACTCHECK_REVIEWS_REQUIRED ≤ 20
_CLAIM_FIELDS = ("id", "article_id", "text", "language", "verdict_label", "decided_at", "version")
_VERDICT_FIELDS = (
    "id",
    "claim_id",
    "label",
    "rationale",
    "cited_sources",
    "reviewer_id",
    "decided_at",
    "claim_version",
    "supersedes_id",
    "state",
    "override",
)


class ClockTimestamp(Func):
    """PostgreSQL's clock_timestamp(): the time when the row is written. In an UPDATE that waited for the
    row lock it is taken after the wait (the new row is computed again from the version the other
    transaction committed), so the verdicts of one claim are stamped in the order they got the lock."""

    function = "clock_timestamp"
    template = "clock_timestamp()"
    output_field = DateTimeField()


@dataclass
class LockedClaim:
    """What record_verdict reads of a claim once it holds the claim's row lock (_locked_claim)."""

    claim: Claim  # only _CLAIM_FIELDS loaded
    decided_at: datetime  # the claim's decided_at, as the UPDATE stamped it
    holder_id: int | None  # who holds the claim (its open assignment), if anyone
    history: list[Verdict]  # its newest verdicts, newest first (at most HISTORY_DEPTH)
    role_names: list[str] | None  # the deciding user's roles, when they were read with it


# A claim joined to its open assignment (there is at most one) and to its verdicts, newest first: one row
# per verdict, or one row with empty verdict columns. Built once: resolving these names is a good part of
# what the ORM spends on this read; every filter() clones it, so this queryset itself never holds rows.
_CLAIM_HOLDER_HISTORY = (
    Claim.objects.annotate(
        holder=FilteredRelation("assignments", condition=Q(assignments__released_at__isnull=True))
    )
    .values_list(*_CLAIM_FIELDS, "holder__reviewer_id", *(f"verdicts__{name}" for name in _VERDICT_FIELDS))
    .order_by("-verdicts__claim_version")
)


def _locked_claim(claim_id: int, reviewer) -> LockedClaim | None:
    """The claim with who holds it, its newest verdicts and (unless that user object has them already)
    the deciding user's roles (a last column), in one statement.

    Run after the claim's UPDATE: under READ COMMITTED a statement reads the snapshot taken when it
    started, so only a statement that starts once we hold the row lock sees what the transaction we
    waited for committed (an assignment made by assign_claim, which takes the same lock)."""
    query = _CLAIM_HOLDER_HISTORY.filter(pk=claim_id)
    read_roles = not knows_roles(reviewer)
    if read_roles:
        query = query.annotate(role_names=roles_column(reviewer.pk))
    rows = list(query[:HISTORY_DEPTH])
    if not rows:
        return None
    n = len(_CLAIM_FIELDS)
    claim_values, holder_id = rows[0][:n], rows[0][n]
    verdicts = [row[n + 1 : n + 1 + len(_VERDICT_FIELDS)] for row in rows]
    return LockedClaim(
        claim=Claim.from_db(query.db, _CLAIM_FIELDS, claim_values),
        decided_at=claim_values[_CLAIM_FIELDS.index("decided_at")],
        holder_id=holder_id,
        # A claim without verdicts comes as one row whose verdict columns are all NULL.
        history=[
            Verdict.from_db(query.db, _VERDICT_FIELDS, values) for values in verdicts if values[0] is not None
        ],
        role_names=rows[0][-1] if read_roles else None,
    )


def _check_state(*, reviewer, label: str, lead: bool, override: bool, holder_id, previous) -> None:
    """The rules that depend on the claim's state, read under its lock (PermissionDenied, ValidationError)."""
    if holder_id is not None and holder_id != reviewer.pk and not lead:
        holder = get_user_model().objects.get(pk=holder_id)
        raise PermissionDenied(f"This claim is assigned to {holder}; only they or a lead may decide it.")
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


def _check_input(*, claim_id: int, label: str, rationale: str, source_ids: list[int] | None) -> list[Source]:
    """The label, the rationale and the cited sources (ValidationError); the sources, in rank order."""
    if label not in VerdictLabel.values:
        raise ValidationError(
            f"The label must be one of {', '.join(VerdictLabel.values)}.", code="invalid_label"
        )
    if not rationale:
        raise ValidationError(
            "A rationale is required: say why the evidence supports this label.", code="rationale_required"
        )
    if not source_ids:
        return []
    source_ids = sorted(set(source_ids))
    sources = list(Source.objects.filter(claim_id=claim_id, pk__in=source_ids).order_by("rank", "id"))
    if len(sources) != len(source_ids):
        raise ValidationError(
            "Every cited source must be one of this claim's sources.", code="invalid_source"
        )
    return sources


def _check_decider(reviewer, *, override: bool) -> bool:
    """PermissionDenied unless the reviewer may decide (and override); whether they lead."""
    lead = can_lead(reviewer)
    if not lead and not can_decide(reviewer):
        raise PermissionDenied("Only reviewers and leads may record verdicts.")
    if override and not lead:
        raise PermissionDenied("Only leads may override: your verdict counts as one review.")
    return lead


def record_verdict(
    *,
    claim: Claim | int,
    reviewer,
    label: str,
    rationale: str,
    source_ids: list[int] | None = None,
    expected_version: int | tuple[int, ...] | None = None,
    override: bool = False,
) -> Verdict:
    """Record a reviewer's verdict on a claim; it becomes the claim's current verdict.

    `claim` is the Claim decided on, or only its id (the API does not read the claim first). Atomic.
    Optimistic concurrency: the verdict is written only if the claim is still at `expected_version`
    (default: the version of the Claim passed in; with an id, whatever version the claim is at);
    otherwise VersionConflict is raised and nothing changes (a tuple of versions: any one of them, as an
    If-Match listing several ETags asks, RFC 9110 13.1.1). Claim.DoesNotExist when there is no such
    claim. Earlier verdicts are kept as history. The rules that depend on the claim's state (who holds
    it, a pending disagreement) are checked after the claim row is locked, so they cannot change
    underneath; the verdict's time is taken under that lock too (RELIABILITY A3: time order, version
    order and the supersedes chain agree). Any open assignment of the claim is released. The verdict's
    `claim` is the Claim passed in (its version and current verdict updated) or, with an id, the claim
    as locked.

    Errors come in this order: the input (label, rationale, cited sources: ValidationError), who may
    decide (PermissionDenied), the claim (Claim.DoesNotExist, VersionConflict), then its state.

    Costs a fixed number of SQL statements (pinned by tests/reviewers/test_verdicts.py): the conditional
    UPDATE that locks the claim, the claim with its holder, its history and the deciding user's roles
    (one statement, after the lock; the roles only when this user object has none cached), the INSERT,
    the release (only when someone held the claim), plus what verdict_recorded receivers add.
    """
    loaded, claim_id = (claim, claim.pk) if isinstance(claim, Claim) else (None, claim)
    rationale = (rationale or "").strip()
    sources = _check_input(claim_id=claim_id, label=label, rationale=rationale, source_ids=source_ids)
    if knows_roles(reviewer):  # else they come with the locked claim; a refusal rolls the UPDATE back
        _check_decider(reviewer, override=override)
    if expected_version is None and loaded is not None:
        expected_version = loaded.version
    try:
        with transaction.atomic():
            target = Claim.objects.filter(pk=claim_id)
            if isinstance(expected_version, tuple):
                target = target.filter(version__in=expected_version)
            elif expected_version is not None:
                target = target.filter(version=expected_version)
            written = target.update(
                version=F("version") + 1,
                verdict_label=label,
                decided_at=ClockTimestamp(),
                updated_at=ClockTimestamp(),
            )
            locked = _locked_claim(claim_id, reviewer)
            if locked is not None and locked.role_names is not None:
                remember_roles(reviewer, locked.role_names)
            # Who may decide comes before what the UPDATE found (without a claim, the roles are read
            # on their own unless this user object has them).
            lead = _check_decider(reviewer, override=override)
            if locked is None:
                raise Claim.DoesNotExist(f"There is no claim {claim_id}.")
            if not written:
                expected = max(expected_version) if isinstance(expected_version, tuple) else expected_version
                raise VersionConflict(claim_id, expected=expected, current=locked.claim.version)
            history, decided = locked.history, locked.claim
            previous = history[0] if history else None
            _check_state(
                reviewer=reviewer,
                label=label,
                lead=lead,
                override=override,
                holder_id=locked.holder_id,
                previous=previous,
            )
            state = decide_state(
                history=history, reviewer_id=reviewer.pk, label=label, lead=lead, override=override
            )
            verdict = Verdict.objects.create(
                claim=decided if loaded is None else loaded,
                label=label,
                rationale=rationale,
                cited_sources=[
                    {"id": s.pk, "url": s.url, "title": s.title, "provider": s.provider} for s in sources
                ],
                reviewer=reviewer,
                decided_at=locked.decided_at,
                claim_version=decided.version,
                supersedes=previous,
                state=state,
                override=override,
            )
            # What callers (the API response, webhook payloads) read of these objects is known already:
            # the new verdict has no successor yet, and the one it supersedes belongs to this claim.
            Verdict.superseded_by.related.set_cached_value(verdict, None)
            if previous is not None:
                previous.claim = verdict.claim
            if locked.holder_id is not None:
                # Nobody can assign the claim while we hold its row (assign_claim and take_next_claim
                # lock it first), so when nobody held it above, there is nothing to release.
                Assignment.objects.open().filter(claim_id=claim_id).update(
                    released_at=locked.decided_at, release_reason="decided"
                )
            verdict_recorded.send(sender=Verdict, verdict=verdict, superseded=previous)
    except IntegrityError as exc:  # the unique (claim, claim_version) caught a race the UPDATE did not
        raise VersionConflict(claim_id) from exc
    if loaded is not None:
        loaded.version, loaded.verdict_label, loaded.decided_at = decided.version, label, locked.decided_at
    return verdict


def held_claims(reviewer, *, article_id: int | None = None, language: str | None = None):
    """The claims `reviewer` holds (open assignments), most check-worthy first, optionally filtered."""
    held = Claim.objects.filter(assignments__reviewer=reviewer, assignments__released_at__isnull=True)
    if article_id is not None:
        held = held.filter(article_id=article_id)
    if language:
        held = held.filter(language=language)
    return held.order_by(*queues.ORDER)


def take_next_claim(
    *, reviewer, article_id: int | None = None, language: str | None = None, another: bool = False
) -> Claim | None:
    """The claim this reviewer should work on now, assigned to them (None: nothing left).

    A reviewer who already holds a claim (matching the filters) gets it back: asking twice never assigns
    two. With `another` the held claim goes back to the queue (a `skipped` event) and the next one is
    taken. Otherwise the most check-worthy claim that needs this reviewer is assigned to them: second
    reviews first (finish what others started), then claims nobody has decided yet; claims this reviewer
    skipped or sent back are left for others. Atomic. Calls of one reviewer are serialised (their user
    row is locked), so two at once cannot both find nothing held and take a claim each; two reviewers
    never get the same claim (candidates are locked with SKIP LOCKED, and the partial unique index on open
    assignments refuses a second holder even if two transactions picked the same row).
    """
    if not can_decide(reviewer):
        raise PermissionDenied("Only reviewers and leads may take claims.")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=reviewer.pk).values_list("pk").first()
        held = held_claims(reviewer, article_id=article_id, language=language).first()
        if held is not None and not another:
            return held
        if held is not None:
            _release(held, by=reviewer, reason=ClaimAction.SKIPPED)
        given_up = Assignment.objects.filter(
            claim=OuterRef("pk"),
            reviewer=reviewer,
            release_reason__in=[ClaimAction.SKIPPED, ClaimAction.SENT_BACK],
        )
        candidates = queues.next_for(reviewer, article_id=article_id, language=language).exclude(
            Exists(given_up)
        )
        for _ in range(5):
            try:
                with transaction.atomic():
                    claim = candidates.select_for_update(skip_locked=True, of=("self",)).first()
                    if claim is None:
                        return None
                    now = timezone.now()
                    Assignment.objects.create(
                        claim=claim, reviewer=reviewer, assigned_by=reviewer, assigned_at=now
                    )
                    log_event(
                        claim=claim, action=ClaimAction.ASSIGNED, actor=reviewer, reviewer=reviewer, at=now
                    )
                    return claim
            except IntegrityError:
                continue  # another reviewer took that claim between our read and our insert; pick again
    return None


def assign_claim(*, claim: Claim, reviewer, by) -> Assignment:
    """Give a claim to a reviewer. Reviewers may take an unassigned claim for themselves; leads may
    assign (and reassign) any claim to any reviewer or lead. Atomic; ClaimTaken when someone holds it.
    Logs `assigned`, or `reassigned` naming the previous holder."""
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
            previous = None
            if holder is not None:
                if holder.reviewer_id == reviewer.pk:
                    return holder
                if not can_lead(by):
                    raise ClaimTaken(claim, str(holder.reviewer))
                holder.released_at, holder.release_reason = now, "reassigned"
                holder.save(update_fields=["released_at", "release_reason"])
                previous = holder.reviewer_id
            assignment = Assignment.objects.create(
                claim=claim, reviewer=reviewer, assigned_by=by, assigned_at=now
            )
            log_event(
                claim=claim,
                action=ClaimAction.REASSIGNED if previous else ClaimAction.ASSIGNED,
                actor=by,
                reviewer=reviewer,
                previous_reviewer_id=previous,
                at=now,
            )
            return assignment
    except IntegrityError as exc:  # someone took it between our check and our insert
        holder = Assignment.objects.open().filter(claim=claim).select_related("reviewer").first()
        raise ClaimTaken(claim, str(holder.reviewer) if holder else "someone else") from exc


def release_claim(*, claim: Claim, by) -> bool:
    """Put a claim back into the queue. Its holder or a lead may. Returns False when nobody held it.
    Logs `released`."""
    holder = Assignment.objects.open().filter(claim=claim).first()
    if holder is None:
        return False
    if holder.reviewer_id != by.pk and not can_lead(by):
        raise PermissionDenied("Only the reviewer holding a claim or a lead may release it.")
    with transaction.atomic():
        return _release(claim, by=by, reason=ClaimAction.RELEASED, holder=holder)


def send_back_claim(*, claim: Claim, by, comment: str) -> Assignment:
    """Send a held claim back to the queue with a comment the next reviewer reads (its holder or a lead).

    Atomic. ValidationError without a comment or when nobody holds the claim. The claim is not offered to
    the same reviewer by 'take the next claim' again (take_next_claim). Returns the released assignment."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            "Say why you send the claim back: the next reviewer reads your comment.", code="comment_required"
        )
    if not can_decide(by):
        raise PermissionDenied("Only reviewers and leads may send claims back.")
    with transaction.atomic():
        Claim.objects.select_for_update().filter(pk=claim.pk).values_list("pk").first()
        holder = Assignment.objects.open().filter(claim=claim).first()
        if holder is None:
            raise ValidationError(
                "Nobody holds this claim, so there is nothing to send back; it is in the queue already.",
                code="not_assigned",
            )
        if holder.reviewer_id != by.pk and not can_lead(by):
            raise PermissionDenied("Only the reviewer holding a claim or a lead may send it back.")
        _release(claim, by=by, reason=ClaimAction.SENT_BACK, holder=holder, comment=comment)
    return holder


def _release(claim: Claim, *, by, reason: str, holder: Assignment | None = None, comment: str = "") -> bool:
    """Release the claim's open assignment with `reason` and log it (inside the caller's transaction).
    A conditional UPDATE: False when someone released it first."""
    holder = holder or Assignment.objects.open().filter(claim=claim).first()
    if holder is None:
        return False
    now = timezone.now()
    released = Assignment.objects.filter(pk=holder.pk, released_at__isnull=True).update(
        released_at=now, release_reason=reason
    )
    if released:
        holder.released_at, holder.release_reason = now, reason
        log_event(
            claim=claim, action=reason, actor=by, reviewer_id=holder.reviewer_id, comment=comment, at=now
        )
    return bool(released)


def log_event(*, claim: Claim, action: str, actor, at=None, **fields) -> ClaimEvent:
    """Append one entry to the claim's activity log (call it inside the use case's transaction)."""
    return ClaimEvent.objects.create(
        claim=claim, action=action, actor=actor, at=at or timezone.now(), **fields
    )


# --- who may decide, drafts --------------------------------------------------------------------------


def decision_blocker(*, user, holder_id: int | None, holder: str, newest_state: str | None) -> str:
    """Why `user` may not decide (or draft a verdict on) a claim in this state, '' when they may.

    The state rules of record_verdict, for the pages and actions that come before it: a claim someone else
    holds is theirs (or a lead's), and a disagreement is the leads'."""
    if not can_decide(user):
        return "Only reviewers and leads may record verdicts."
    if can_lead(user):
        return ""
    if holder_id is not None and holder_id != user.pk:
        return f"This claim is assigned to {holder}; only they or a lead may decide it."
    if newest_state == ReviewState.ESCALATED:
        return "Two reviewers disagree on this claim; a lead decides it."
    return ""


def save_draft(
    *, claim: Claim, reviewer, label: str = "", rationale: str = "", source_ids: list[int] | None = None
) -> VerdictDraft:
    """Save (or replace) this reviewer's draft verdict on the claim without deciding. Atomic; logs
    `drafted`. The same rules as deciding (decision_blocker); the label and sources are checked as a
    verdict's are, but everything may still be missing except all of it."""
    label = label or ""
    rationale = (rationale or "").strip()
    if label and label not in VerdictLabel.values:
        raise ValidationError(
            f"The label must be one of {', '.join(VerdictLabel.values)}.", code="invalid_label"
        )
    source_ids = sorted(set(source_ids or []))
    if not (label or rationale or source_ids):
        raise ValidationError(
            "The draft is empty: choose a label, write some rationale or tick a source first.",
            code="empty_draft",
        )
    if source_ids and Source.objects.filter(claim=claim, pk__in=source_ids).count() != len(source_ids):
        raise ValidationError(
            "Every cited source must be one of this claim's sources.", code="invalid_source"
        )
    holder = Assignment.objects.open().filter(claim=claim).select_related("reviewer").first()
    newest = claim.verdicts.order_by("-claim_version").values_list("state", flat=True).first()
    blocked = decision_blocker(
        user=reviewer,
        holder_id=holder.reviewer_id if holder else None,
        holder=str(holder.reviewer) if holder else "",
        newest_state=newest,
    )
    if blocked:
        raise PermissionDenied(blocked)
    now = timezone.now()
    with transaction.atomic():
        draft, _ = VerdictDraft.objects.update_or_create(
            claim=claim,
            reviewer=reviewer,
            defaults={"label": label, "rationale": rationale, "source_ids": source_ids, "updated_at": now},
        )
        log_event(claim=claim, action=ClaimAction.DRAFTED, actor=reviewer, at=now)
    return draft


def current_draft(*, claim: Claim | int, reviewer) -> VerdictDraft | None:
    """The reviewer's draft on the claim, unless they recorded a verdict on it since saving it. One query."""
    if not can_decide(reviewer):
        raise PermissionDenied("Only reviewers and leads have drafts.")
    claim_id = claim.pk if isinstance(claim, Claim) else claim
    decided_since = Verdict.objects.filter(
        claim_id=claim_id, reviewer=reviewer, decided_at__gte=OuterRef("updated_at")
    )
    return (
        VerdictDraft.objects.filter(claim_id=claim_id, reviewer=reviewer)
        .exclude(Exists(decided_since))
        .first()
    )


def discard_draft(*, claim: Claim | int, reviewer) -> bool:
    """Delete the reviewer's draft on the claim. Returns False when there was none."""
    if not can_decide(reviewer):
        raise PermissionDenied("Only reviewers and leads have drafts.")
    claim_id = claim.pk if isinstance(claim, Claim) else claim
    deleted, _ = VerdictDraft.objects.filter(claim_id=claim_id, reviewer=reviewer).delete()
    return bool(deleted)


# --- the pipeline, for leads ------------------------------------------------------------------------


def rerun_claim_search(*, claim: Claim, user) -> bool:
    """Search the sources of one claim again (leads only): after a provider failed, or to look again.
    Returns False when its search is still running (nothing changed). Atomic; logs `search_rerun`."""
    if not can_lead(user):
        raise PermissionDenied("Only leads may re-run source searches.")
    with transaction.atomic():
        restarted = claim_services.retry_claim_sources(claim_id=claim.pk)
        if restarted:
            log_event(claim=claim, action=ClaimAction.SEARCH_RERUN, actor=user)
    return restarted


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
