"""Watches: "tell me when a claim that says this is decided" (POST /api/v1/watches/, docs/api.md).

A watch is a text, its language, its match keys and centred vector (claims/matching.py, claims/vectors.py)
and its own webhook subscription (URL and secret, event `claim.matched_verdict` only). When a verdict is
recorded (reviewers.signals.verdict_recorded, inside the verdict's transaction), the claim is compared with
the active watches the way claim matching compares claims — lexical candidates by fingerprint or a shared
band key (GIN), cross-lingual candidates by centred cosine over the watches in other languages — and one
outbox message per matching watch goes to that watch's subscription only, delivered and retried like every
other webhook (publishing/services.py).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

import encoder
from claims import vectors
from claims.matching import Probe, match_keys, pair_score
from claims.models import Claim
from publishing import signing
from publishing.models import (
    EventType,
    MessageStatus,
    Watch,
    WebhookMessage,
    WebhookSubscription,
    new_message_id,
)
from publishing.services import canonical_json, check_target
from reviewers.models import Verdict
from textkit.similarity import fingerprint


def check_watch_quota(account) -> None:
    """ValidationError when `account` keeps FACTCHECK_WATCHES_PER_ACCOUNT watches already."""
    limit = settings.FACTCHECK_WATCHES_PER_ACCOUNT
    if account is not None and Watch.objects.filter(subscription__created_by=account).count() >= limit:
        raise ValidationError(
            f"An account may keep at most {limit} watches; delete one first.", code="too_many_watches"
        )


def create_watch(*, text: str, language: str, url: str, created_by=None) -> Watch:
    """Register a watch with a fresh secret on its own subscription (the caller shows the secret once).
    At most FACTCHECK_WATCHES_PER_ACCOUNT per account (ValidationError too_many_watches)."""
    check_watch_quota(created_by)
    target = check_target(url)
    vector = vectors.text_vector(text)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            url=target,
            events=[EventType.CLAIM_MATCHED_VERDICT],
            description=f"watch: {text[:200]}",
            secret=signing.generate_secret(),
            created_by=created_by,
        )
        return Watch.objects.create(
            subscription=subscription,
            text=text,
            language=language,
            fingerprint=fingerprint(text),
            match_keys=match_keys(text, language),
            vector=encoder.to_bytes(vector) if vector is not None else None,
        )


def delete_watch(watch: Watch) -> None:
    """Stop a watch: its subscription goes, and the watch with it (messages not yet sent are dropped)."""
    watch.subscription.delete()


def _probe(watch: Watch) -> Probe:
    vector = encoder.from_bytes(watch.vector) if watch.vector is not None else None
    return Probe(watch.text, watch.language, vector)


def _cross_lingual_ids(claim_vector: np.ndarray, language: str) -> list[int]:
    """Active watches in other languages whose centred cosine to the claim reaches the threshold."""
    rows = list(
        Watch.objects.filter(subscription__active=True, vector__isnull=False)
        .exclude(language=language)
        .values_list("pk", "vector")
    )
    if not rows:
        return []
    # No vector is null here (the filter above), which the stubs cannot see.
    matrix = np.stack([encoder.from_bytes(cast("bytes | memoryview", vector)) for _pk, vector in rows])
    close = matrix @ claim_vector >= vectors.VECTOR_THRESHOLD
    return [pk for (pk, _vector), hit in zip(rows, close, strict=True) if hit]


def matching_watches(claim: Claim) -> list[tuple[Watch, float]]:
    """The active watches whose text matches the claim, with the score, best first."""
    if not Watch.objects.filter(subscription__active=True).exists():
        return []  # the common case: one cheap query per verdict
    language = claim.language or "en"
    probe = Probe(claim.text, language, vectors.claim_vector(claim))
    keys = claim.match_keys or match_keys(claim.text, language)
    near = Q(fingerprint=fingerprint(claim.text)) | Q(match_keys__overlap=keys)
    if probe.vector is not None:
        near |= Q(pk__in=_cross_lingual_ids(probe.vector, language))
    found = []
    for watch in Watch.objects.filter(near, subscription__active=True):
        score = pair_score(probe, _probe(watch))
        if score > 0:
            found.append((watch, score))
    found.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return found


def claimreview_url(claim_id: int) -> str:
    """The claim's ClaimReview, absolute when FACTCHECK_PUBLIC_URL says where the API is served."""
    path = reverse("claim-claimreview", kwargs={"pk": claim_id})
    base = settings.FACTCHECK_PUBLIC_URL.rstrip("/")
    return f"{base}{path}" if base else path


def verdict_summary(verdict: Verdict) -> dict:
    return {
        "label": verdict.label,
        "state": verdict.state,
        "final": verdict.final,
        "decided_at": verdict.decided_at.isoformat(),
    }


def matched_verdict_data(watch: Watch, verdict: Verdict, score: float) -> dict:
    claim = verdict.claim
    return {
        "watch": watch.pk,
        "watched_text": watch.text,
        "claim": claim.pk,
        "text": claim.text,
        "language": claim.language,
        "score": score,
        "verdict": verdict_summary(verdict),
        "claimreview": claimreview_url(claim.pk),
    }


def enqueue_matched_verdicts(*, verdict: Verdict) -> list[int]:
    """One outbox message per watch the verdict's claim matches, each for that watch's subscription only.
    Call inside the verdict's transaction (the messages exist exactly when the verdict does)."""
    found = matching_watches(verdict.claim)
    if not found:
        return []
    now = timezone.now()
    messages = []
    for watch, score in found:
        msg_id = new_message_id()
        body = {
            "data": matched_verdict_data(watch, verdict, score),
            "id": msg_id,
            "timestamp": now.isoformat(),
            "type": EventType.CLAIM_MATCHED_VERDICT.value,
        }
        messages.append(
            WebhookMessage(
                subscription_id=watch.subscription_id,
                msg_id=msg_id,
                event_type=EventType.CLAIM_MATCHED_VERDICT,
                body=canonical_json(body),
                status=MessageStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return [m.pk for m in WebhookMessage.objects.bulk_create(messages)]
