"""End to end: an outsider's watch (POST /api/v1/watches/) gets a signed claim.matched_verdict webhook from a
real Celery worker when a claim matching its text is decided; a decided claim that does not match sends
nothing. (Across languages: tests/pgvector_cases/test_cross_lingual.py.)"""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from factcheck.celery import app
from publishing.models import EventType, MessageStatus, WebhookMessage
from publishing.tasks import deliver_webhook_task
from reviewers.roles import REVIEWERS
from reviewers.services import record_verdict
from tests.conftest import ARTIFACTS, WorkerProcess, client_for, make_user, wait_for, worker_env
from tests.publishing.conftest import Receiver
from tests.publishing.test_webhook_delivery import receiver_snippet
from tests.support.matching import EN, EN_EDITED, EN_UNRELATED, stored_claim
from tests.support.redisdb import claim_private_db, release

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def deliver_through(worker_broker: str, messages: list[WebhookMessage]) -> None:
    with app.connection_for_write(worker_broker) as connection:
        for message in messages:
            deliver_webhook_task.apply_async((message.pk,), connection=connection)


def watch_and_decide(client, receiver, *, watched: str, decided: str, language: str, capture):
    """POST a watch for `watched`, decide a stored claim saying `decided`; the outbox messages it wrote."""
    answer = client.post(
        "/api/v1/watches/", {"text": watched, "url": receiver.url, "language": language}, format="json"
    )
    assert answer.status_code == 201, answer.content
    reviewer = make_user("watch-reviewer", REVIEWERS)
    unrelated = stored_claim(text=EN_UNRELATED)
    claim = stored_claim(text=decided, language="en")
    with capture(execute=False):
        record_verdict(claim=unrelated, reviewer=reviewer, label="verified", rationale="Scientists agree.")
    assert not WebhookMessage.objects.filter(event_type=EventType.CLAIM_MATCHED_VERDICT).exists()
    with capture(execute=False):
        verdict = record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="Minutes: 10.")
    return (
        answer.json(),
        claim,
        verdict,
        list(WebhookMessage.objects.filter(event_type=EventType.CLAIM_MATCHED_VERDICT)),
    )


def check_delivery(receiver, watch: dict, claim, verdict, messages) -> dict:
    (message,) = messages
    assert message.subscription_id and message.subscription.watch.pk == watch["id"]
    wait_for(
        lambda: WebhookMessage.objects.filter(pk=message.pk, status=MessageStatus.DELIVERED).exists(),
        timeout=60,
        message="the claim.matched_verdict webhook to be delivered",
    )
    (request,) = receiver.requests
    event = receiver_snippet()["verify_webhook"](watch["secret"], request.headers, request.body, set())
    assert event["type"] == "claim.matched_verdict" and event["id"] == message.msg_id
    data = event["data"]
    assert (data["watch"], data["watched_text"], data["claim"]) == (watch["id"], watch["text"], claim.pk)
    assert data["verdict"]["label"] == "disputed" and data["verdict"]["state"] == verdict.state
    assert data["claimreview"].endswith(f"/api/v1/claims/{claim.pk}/claimreview/")
    assert json.loads(request.body) == event
    return data


def test_a_watch_hears_when_a_matching_claim_is_decided(
    allow_loopback_servers, consumer, django_capture_on_commit_callbacks
):
    broker = claim_private_db(settings.CELERY_BROKER_URL)
    with Receiver() as receiver:
        env = worker_env(extra={"REDIS_URL": broker, "FACTCHECK_FETCH_ALLOW_PORTS": str(receiver.port)})
        worker = WorkerProcess(env, ARTIFACTS / "celery-watch-worker.log", concurrency=1).start()
        try:
            watch, claim, verdict, messages = watch_and_decide(
                client_for(consumer),
                receiver,
                watched=EN_EDITED,
                decided=EN,
                language="en",
                capture=django_capture_on_commit_callbacks,
            )
            deliver_through(broker, messages)
            data = check_delivery(receiver, watch, claim, verdict, messages)
        finally:
            worker.stop()
            release(broker)
    assert 0.5 <= data["score"] <= 1.0
