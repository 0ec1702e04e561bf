"""Webhook subscriptions, the outbox of messages to deliver, and every delivery attempt.

A message is written in the same transaction as the change it announces (see receivers.py), once per
subscription, with its id and body fixed at that moment: every retry sends the same `webhook-id` and the
same bytes, so receivers can deduplicate. Attempts are rows of their own, never overwritten.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

from publishing.secrets_at_rest import EncryptedSecretField


class EventType(models.TextChoices):
    VERDICT_CREATED = "verdict.created", "A verdict was recorded"
    VERDICT_SUPERSEDED = "verdict.superseded", "A verdict was replaced by a newer one"
    ARTICLE_READY = "article.ready", "An article finished its pipeline"
    ARTICLE_FAILED = "article.failed", "An article's pipeline failed"
    CLAIM_MATCHED_VERDICT = "claim.matched_verdict", "A claim matching a watched text was decided"


# What staff may subscribe to at /api/v1/webhooks/; claim.matched_verdict goes only to a watch's own target.
SUBSCRIBABLE = [c for c in EventType.choices if c[0] != EventType.CLAIM_MATCHED_VERDICT]


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def for_event(self, event_type: str):
        return self.active().filter(events__contains=[event_type])


class WebhookSubscription(models.Model):
    url = models.CharField("target URL", max_length=2048)
    events = models.JSONField(default=list, help_text="Event types sent to this URL.")
    description = models.CharField(max_length=255, blank=True)
    secret = EncryptedSecretField(editable=False, help_text="Signing secret (whsec_…), encrypted at rest.")
    previous_secret = EncryptedSecretField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, *, now=None) -> list[str]:
        """The current secret, plus the previous one while a rotation's grace period lasts."""
        now = now or timezone.now()
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            keys.append(self.previous_secret)
        return keys


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class MessageQuerySet(models.QuerySet):
    def due(self, *, now=None):
        return self.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now or timezone.now())


class WebhookMessage(models.Model):
    """The outbox: one event for one subscription, delivered until it succeeds or is given up."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="messages")
    msg_id = models.CharField(max_length=64, unique=True, default=new_message_id, editable=False)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    body = models.TextField(help_text="The exact JSON bytes sent (and signed) on every attempt.")
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_message_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class WebhookDelivery(models.Model):
    """One attempt to deliver a message: what was sent when, and what came back."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    url = models.CharField(max_length=2048)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=64, blank=True, help_text="Error code; empty on success.")
    error_message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField()
    response_snippet = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "attempt"], name="webhook_delivery_unique_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.message.msg_id} attempt {self.attempt}"


class Watch(models.Model):
    """A text an outsider wants to hear about (POST /api/v1/watches/): when a claim that matches it — the
    claim matching of claims/matching.py, in any language — is decided, a `claim.matched_verdict` message
    goes to the watch's own subscription (its URL and secret)."""

    subscription = models.OneToOneField(WebhookSubscription, on_delete=models.CASCADE, related_name="watch")
    text = models.TextField()
    language = models.CharField(max_length=16, help_text="Given, or detected from the text.")
    fingerprint = models.CharField(max_length=64, db_index=True, help_text="Hash of the normalised text.")
    match_keys = ArrayField(models.BigIntegerField(), default=list, blank=True, help_text="LSH band keys.")
    vector = models.BinaryField(
        null=True, help_text="The text's centred unit vector (claims/vectors.py); null for another encoder."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [GinIndex(fields=["match_keys"], name="watch_match_keys_gin")]

    def __str__(self) -> str:
        return self.text[:80]
