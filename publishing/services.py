"""Webhook use cases: managing subscriptions, writing the outbox, delivering one message.

Deliveries go through the project's one outbound fetcher with the same address rules as every other
fetch (RELIABILITY S14): a target is checked when it is registered and again on every attempt.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.utils import timezone

from claims.models import Article
from factcheck.retry import backoff
from outbound.fetcher import FetchError, FetchPolicy, fetch, validate_url
from outbound.policy import allow_hint, fetch_policy
from publishing import signing
from publishing.models import (
    SUBSCRIBABLE,
    EventType,
    MessageStatus,
    WebhookDelivery,
    WebhookMessage,
    WebhookSubscription,
    new_message_id,
)
from reviewers.models import ReviewState, Verdict

# Fetch errors that no retry can fix: the target itself is not acceptable.
PERMANENT_ERRORS = frozenset(
    {"invalid_url", "unsupported_scheme", "userinfo_not_allowed", "blocked_port", "blocked_address"}
)
SNIPPET_CHARS = 500


# --------------------------------------------------------------------------- subscriptions


class TargetRefused(ValidationError):
    """A webhook URL the fetcher's address rules refuse; `hint` names the setting that would allow it
    (outbound.policy.allow_hint)."""

    hint: str | None = None


def check_target(url: str) -> str:
    """Validate a webhook URL against the fetcher's address rules; return its normalised form."""
    try:
        return validate_url(url, fetch_policy())
    except FetchError as exc:
        refused = TargetRefused(exc.message, code=exc.code)
        refused.hint = allow_hint(exc)  # shown to staff only (api/exceptions.py); subscriptions are staff's
        raise refused from None


def check_events(events: list[str]) -> list[str]:
    allowed = [value for value, _label in SUBSCRIBABLE]
    unknown = sorted(set(events) - set(allowed))
    if not events or unknown:
        raise ValidationError(
            f"Events must be a non-empty list of {', '.join(allowed)}.", code="invalid_events"
        )
    return sorted(set(events))


def check_quota(account) -> None:
    """ValidationError when `account` has FACTCHECK_WEBHOOKS_PER_ACCOUNT subscriptions already (a watch's
    own subscription counts against FACTCHECK_WATCHES_PER_ACCOUNT instead)."""
    limit = settings.FACTCHECK_WEBHOOKS_PER_ACCOUNT
    mine = WebhookSubscription.objects.filter(created_by=account, watch__isnull=True)
    if account is not None and mine.count() >= limit:
        raise ValidationError(
            f"An account may have at most {limit} webhook subscriptions; delete one first.",
            code="too_many_subscriptions",
        )


def create_subscription(
    *, url: str, events: list[str], description: str = "", created_by=None
) -> WebhookSubscription:
    """Register a webhook target with a fresh secret (the caller shows `secret` once). At most
    FACTCHECK_WEBHOOKS_PER_ACCOUNT per creating account (ValidationError too_many_subscriptions)."""
    check_quota(created_by)
    return WebhookSubscription.objects.create(
        url=check_target(url),
        events=check_events(events),
        description=description,
        secret=signing.generate_secret(),
        created_by=created_by,
    )


def update_subscription(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookSubscription:
    """Change a subscription; re-activating clears the reason it was disabled."""
    fields = ["updated_at"]
    if url is not None:
        subscription.url = check_target(url)
        fields.append("url")
    if events is not None:
        subscription.events = check_events(events)
        fields.append("events")
    if description is not None:
        subscription.description = description
        fields.append("description")
    if active is not None:
        subscription.active = active
        if active:
            subscription.disabled_reason = ""
        fields += ["active", "disabled_reason"]
    subscription.save(update_fields=fields)
    return subscription


def rotate_secret(
    *, subscription: WebhookSubscription, grace: timedelta | None = None
) -> WebhookSubscription:
    """Give the subscription a new secret; the old one keeps signing (as a second signature) for `grace`."""
    if grace is None:
        grace = timedelta(seconds=settings.FACTCHECK_WEBHOOK_SECRET_GRACE)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + grace
    subscription.secret = signing.generate_secret()
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return subscription


# --------------------------------------------------------------------------- the outbox


def verdict_data(verdict: Verdict, *, superseded_by: Verdict | None = None) -> dict:
    claim = verdict.claim
    return {
        "id": verdict.pk,
        "claim": claim.pk,
        "article": claim.article_id,
        "claim_text": claim.text,
        "language": claim.language,
        "label": verdict.label,
        "rationale": verdict.rationale,
        "sources": verdict.cited_sources,
        "decided_at": verdict.decided_at.isoformat(),
        "claim_version": verdict.claim_version,
        "state": verdict.state,  # provisional / escalated / final (docs/webhooks.md)
        "final": verdict.state == ReviewState.FINAL,
        "supersedes": verdict.supersedes_id,
        "superseded_by": superseded_by.pk if superseded_by else None,
    }


def article_data(article: Article) -> dict:
    return {
        "id": article.pk,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "language": article.language,
        "status": article.status,
        "error": article.error,
        "claims": article.claims.count(),
    }


def canonical_json(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def active_subscriptions() -> list[tuple[int, list[str], bool]]:
    """Every active subscription as (id, events, has a watch): one statement, read once per verdict by
    the receiver, for the verdict events and the watches alike."""
    rows = WebhookSubscription.objects.active().values_list("id", "events", "watch__id")
    return [(pk, events, watch_id is not None) for pk, events, watch_id in rows]


def enqueue_events(
    events: Sequence[tuple[str, dict]], subscriptions: list[tuple[int, list[str], bool]] | None = None
) -> list[int]:
    """Write one outbox message per (event, active subscription to its type); return their ids.

    Call it inside the transaction making the change: the messages exist exactly when the change does.
    Two statements at most, however many events and subscribers: the subscriptions, then one INSERT
    (none when nobody subscribed). Each body is the canonical JSON of {"data", "id", "timestamp",
    "type"}: sorted keys, no spaces (tests/publishing pins it).
    """
    if not events:
        return []
    if subscriptions is None:
        wanted = Q()
        for event_type, _ in events:
            wanted |= Q(events__contains=[event_type])
        subscriptions = list(
            WebhookSubscription.objects.active().filter(wanted).values_list("id", "events", Value(False))
        )
    now = timezone.now()
    messages = []
    for event_type, data in events:
        for subscription_id, subscribed, _watched in subscriptions:
            if event_type in subscribed:
                msg_id = new_message_id()
                body = {"data": data, "id": msg_id, "timestamp": now.isoformat(), "type": event_type}
                messages.append(
                    WebhookMessage(
                        subscription_id=subscription_id,
                        msg_id=msg_id,
                        event_type=event_type,
                        body=canonical_json(body),
                        status=MessageStatus.PENDING,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    if not messages:
        return []
    return [message.pk for message in WebhookMessage.objects.bulk_create(messages)]


def enqueue_event(*, event_type: str, data: dict) -> list[int]:
    return enqueue_events([(event_type, data)])


def enqueue_verdict_events(
    *,
    verdict: Verdict,
    superseded: Verdict | None,
    subscriptions: list[tuple[int, list[str], bool]] | None = None,
) -> list[int]:
    events = [(EventType.VERDICT_CREATED, verdict_data(verdict))]
    if superseded is not None:
        data = verdict_data(superseded, superseded_by=verdict)
        data["replacement"] = events[0][1]
        events.append((EventType.VERDICT_SUPERSEDED, data))
    return enqueue_events(events, subscriptions)


def enqueue_article_event(*, article_id: int, status: str) -> list[int]:
    event_type = {"ready": EventType.ARTICLE_READY, "failed": EventType.ARTICLE_FAILED}.get(status)
    if event_type is None or not WebhookSubscription.objects.for_event(event_type).exists():
        return []
    article = Article.objects.get(pk=article_id)
    return enqueue_event(event_type=event_type, data=article_data(article))


def due_message_ids(*, overdue: timedelta, limit: int = 500) -> list[int]:
    """Pending messages whose attempt is overdue (the broker lost them, or a worker died mid-attempt)."""
    cutoff = timezone.now() - overdue
    return list(
        WebhookMessage.objects.due(now=cutoff)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


# --------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class Outcome:
    """What one call of deliver_message did; `retry_in` is set when another attempt is due later."""

    status: str  # "delivered", "retry", "failed", "skipped"
    retry_in: float | None = None


def retry_delay(attempt: int) -> float:
    """Seconds before delivery attempt `attempt + 1` (factcheck.retry.backoff with the webhook settings)."""
    return backoff(
        attempt - 1, base=settings.FACTCHECK_WEBHOOK_RETRY_BASE, cap=settings.FACTCHECK_WEBHOOK_RETRY_MAX
    )


def delivery_policy() -> FetchPolicy:
    return dataclasses.replace(
        fetch_policy(),
        total_timeout=settings.FACTCHECK_WEBHOOK_TIMEOUT,
        read_timeout=min(settings.FACTCHECK_WEBHOOK_TIMEOUT, settings.FACTCHECK_FETCH_READ_TIMEOUT),
        max_bytes=64 * 1024,  # a receiver's answer is only kept as a snippet
    )


def _finish(message: WebhookMessage, status: str, error: str = "") -> None:
    WebhookMessage.objects.filter(pk=message.pk).update(
        status=status, last_error=error[:255], finished_at=timezone.now()
    )


def deliver_message(*, message_id: int) -> Outcome:
    """Make one delivery attempt of an outbox message if it is due; record the attempt.

    Safe to call twice at once or for a deleted message: a conditional UPDATE leases the attempt to one
    caller (for the fetch timeout plus a margin), so a message is never sent twice in parallel. The same
    id and body go out on every attempt; only the timestamp and signature are fresh.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.FACTCHECK_WEBHOOK_TIMEOUT + 30)
    leased = (
        WebhookMessage.objects.due(now=now)
        .filter(pk=message_id)
        .update(attempts=F("attempts") + 1, next_attempt_at=now + lease)
    )
    if not leased:
        return Outcome("skipped")
    message = WebhookMessage.objects.select_related("subscription").get(pk=message_id)
    subscription = message.subscription
    if not subscription.active:
        _finish(message, MessageStatus.FAILED, "The subscription is disabled.")
        return Outcome("failed")

    body = message.body.encode("utf-8")
    timestamp = int(time.time())
    headers = signing.headers(
        subscription.signing_secrets(now=now), msg_id=message.msg_id, timestamp=timestamp, body=body
    )
    started = time.monotonic()
    status_code: int | None = None
    error = error_message = snippet = ""
    retry_after: float | None = None
    permanent = False
    try:
        # Checked again on every attempt: DNS or the rules may have changed since registration.
        url = validate_url(subscription.url, delivery_policy())
        response = fetch(
            url,
            policy=delivery_policy(),
            method="POST",
            body=body,
            headers=headers,
            raise_for_status=False,
            follow_redirects=False,
        )
        status_code = response.status
        snippet = response.text()[:SNIPPET_CHARS]
        if not 200 <= status_code < 300:
            # A redirect is a failure too: following it would send a signed event somewhere unregistered.
            error = f"http_{status_code}"
            error_message = f"The receiver answered with HTTP status {status_code}."
            if status_code == 429:
                retry_after = _retry_after(response.headers.get("retry-after"))
    except FetchError as exc:
        error, error_message, status_code = exc.code, exc.message, exc.status
        permanent = exc.code in PERMANENT_ERRORS
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = not error
    WebhookDelivery.objects.create(
        message=message,
        attempt=message.attempts,
        attempted_at=now,
        url=subscription.url,
        status_code=status_code,
        error=error,
        error_message=error_message,
        duration_ms=duration_ms,
        response_snippet=snippet,
        succeeded=succeeded,
    )

    if succeeded:
        _finish(message, MessageStatus.DELIVERED)
        return Outcome("delivered")
    if status_code == 410:
        with transaction.atomic():
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                active=False, disabled_reason="The receiver answered 410 Gone.", updated_at=timezone.now()
            )
            _finish(message, MessageStatus.FAILED, error_message)
        return Outcome("failed")
    if permanent or message.attempts >= settings.FACTCHECK_WEBHOOK_MAX_ATTEMPTS:
        _finish(message, MessageStatus.FAILED, error_message)
        return Outcome("failed")
    delay = max(retry_delay(message.attempts), retry_after or 0.0)
    WebhookMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=delay), last_error=error_message[:255]
    )
    return Outcome("retry", retry_in=delay)


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return min(float(value.strip()), settings.FACTCHECK_WEBHOOK_RETRY_MAX)
    return None


def seconds_until_due(*, message_id: int) -> float | None:
    """How long until a pending message's next attempt (None when it is no longer pending)."""
    pending = WebhookMessage.objects.filter(pk=message_id, status=MessageStatus.PENDING)
    row = pending.values("next_attempt_at").first()
    if row is None:
        return None
    return max(0.0, (row["next_attempt_at"] - timezone.now()).total_seconds())


def resend_message(*, message: WebhookMessage) -> WebhookMessage:
    """Queue a finished message again (same id and body), e.g. after the receiver was fixed."""
    WebhookMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING, next_attempt_at=timezone.now(), finished_at=None
    )
    message.refresh_from_db()
    return message
