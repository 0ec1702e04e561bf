"""End to end through a real Celery worker: a verdict's webhook is delivered, signed, retried with the same
id after a failure, while the verdict itself never waits (F10)."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from publishing.models import WebhookDelivery, WebhookMessage
from reviewers.roles import REVIEWERS
from reviewers.services import record_verdict
from tests.conftest import ARTIFACTS, WorkerProcess, make_user, worker_env
from tests.factories import make_claim
from tests.publishing.conftest import Receiver, deliver_through_worker, subscribe
from tests.publishing.test_webhook_delivery import receiver_snippet
from tests.support.redisdb import claim_private_db, release

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_delivers_a_signed_webhook_and_retries_with_the_same_id(
    allow_loopback_servers, django_capture_on_commit_callbacks
):
    # A broker database of its own, so the session's shared worker (which may not reach this receiver's
    # port) never takes these messages.
    broker = claim_private_db(settings.CELERY_BROKER_URL)
    with Receiver() as receiver:
        env = worker_env(
            extra={
                "REDIS_URL": broker,
                "FACTCHECK_FETCH_ALLOW_PORTS": str(receiver.port),
                "FACTCHECK_WEBHOOK_RETRY_BASE": "0.2",
            }
        )
        worker = WorkerProcess(env, ARTIFACTS / "celery-webhook-worker.log", concurrency=1).start()
        try:
            subscription = subscribe(receiver.url, ["verdict.created"])
            receiver.answer((503, {}, b"busy"))
            reviewer = make_user("worker-reviewer", REVIEWERS)
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=False):
                record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
            assert time.monotonic() - started < 1.0
            message = WebhookMessage.objects.get()
            deliver_through_worker(broker, message, timeout=30, what="the webhook to be delivered")
        finally:
            worker.stop()
            release(broker)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [message.msg_id] * 2
    assert list(WebhookDelivery.objects.order_by("attempt").values_list("status_code", flat=True)) == [
        503,
        204,
    ]
    last = receiver.requests[-1]
    event = receiver_snippet()["verify_webhook"](subscription.secret, last.headers, last.body, set())
    assert event["type"] == "verdict.created" and json.loads(last.body)["id"] == message.msg_id
