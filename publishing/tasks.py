"""Celery wiring for webhooks (queue "webhooks"): deliver one outbox message; sweep what the broker lost."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from publishing import services

# A countdown longer than the broker's visibility timeout would make Redis deliver the task twice;
# longer waits are split into hops (each re-checks the database first).
MAX_COUNTDOWN = 300.0


@shared_task(ignore_result=True, acks_late=True)
def deliver_webhook_task(message_id: int) -> None:
    """Attempt one delivery of a message if it is due; schedule the next attempt when it failed."""
    outcome = services.deliver_message(message_id=message_id)
    wait = outcome.retry_in
    if outcome.status == "skipped":
        wait = services.seconds_until_due(message_id=message_id)
        if wait is None or wait == 0.0:
            return  # delivered, given up, deleted, or another worker holds its lease
    if wait is not None:
        deliver_webhook_task.apply_async((message_id,), countdown=min(wait, MAX_COUNTDOWN))


@shared_task(ignore_result=True)
def sweep_webhooks_task() -> None:
    """Re-publish pending messages whose attempt is overdue (broker restarted, worker killed)."""
    overdue = timedelta(seconds=settings.FACTCHECK_WEBHOOK_SWEEP_OVERDUE)
    for message_id in services.due_message_ids(overdue=overdue):
        deliver_webhook_task.delay(message_id)
