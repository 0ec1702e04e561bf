"""Review use cases: recording verdicts. Permissions are enforced here for the API and the admin."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from claims.models import Claim, Source, VerdictLabel
from reviewers.models import Verdict
from reviewers.roles import can_decide
from reviewers.signals import verdict_recorded


class VersionConflict(Exception):
    """The claim changed since the caller read it (another verdict won). Nothing was written."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(
            f"Claim {claim.pk} was decided by someone else in the meantime; reload it and decide again."
        )
        self.claim = claim


def record_verdict(
    *,
    claim: Claim,
    reviewer,
    label: str,
    rationale: str,
    source_ids: list[int] | None = None,
    expected_version: int | None = None,
) -> Verdict:
    """Record a reviewer's verdict on a claim; it becomes the claim's current verdict.

    Atomic. Optimistic concurrency: the verdict is written only if the claim is still at
    `expected_version` (default: the version of the `claim` instance passed in); otherwise
    VersionConflict is raised and nothing changes. Earlier verdicts are kept as history.
    """
    if not can_decide(reviewer):
        raise PermissionDenied("Only reviewers and leads may record verdicts.")
    if label not in VerdictLabel.values:
        raise ValidationError(
            f"The label must be one of {', '.join(VerdictLabel.values)}.", code="invalid_label"
        )
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError("A rationale is required: say why the evidence supports this label.",
                              code="rationale_required")
    source_ids = sorted(set(source_ids or []))
    sources = list(Source.objects.filter(claim=claim, pk__in=source_ids).order_by("rank", "id"))
    if len(sources) != len(source_ids):
        raise ValidationError("Every cited source must be one of this claim's sources.", code="invalid_source")
    version = claim.version if expected_version is None else expected_version

    now = timezone.now()
    try:
        with transaction.atomic():
            bumped = Claim.objects.filter(pk=claim.pk, version=version).update(
                version=F("version") + 1, verdict_label=label, decided_at=now, updated_at=now
            )
            if not bumped:
                raise VersionConflict(claim)
            previous = Verdict.objects.filter(claim=claim).order_by("-claim_version").first()
            verdict = Verdict.objects.create(
                claim=claim,
                label=label,
                rationale=rationale,
                cited_sources=[
                    {"id": s.pk, "url": s.url, "title": s.title, "provider": s.provider} for s in sources
                ],
                reviewer=reviewer,
                decided_at=now,
                claim_version=version + 1,
                supersedes=previous,
            )
            verdict_recorded.send(sender=Verdict, verdict=verdict, superseded=previous)
    except IntegrityError as exc:  # the unique (claim, claim_version) caught a race the UPDATE did not
        raise VersionConflict(claim) from exc
    claim.version = version + 1
    claim.verdict_label = label
    claim.decided_at = now
    return verdict
