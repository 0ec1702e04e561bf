"""Webhook deliveries to a real receiver on loopback: outbox, signatures, retries, 3xx, 410, S14, F10, A7."""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from claims.signals import article_finished
from outbound.fetcher import fetch
from outbound.policy import fetch_policy
from publishing import services, signing
from publishing.models import (
    EventType,
    MessageStatus,
    WebhookDelivery,
    WebhookMessage,
    WebhookSubscription,
)
from reviewers.services import record_verdict
from tests.factories import make_article, make_claim
from tests.publishing.conftest import subscribe

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def receiver_snippet() -> dict:
    """Execute the verification snippet exactly as docs/webhooks.md shows it; return its namespace."""
    code = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.DOTALL)[0]
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - the documented code is under test
    return namespace


def deliver_all() -> list[services.Outcome]:
    return [
        services.deliver_message(message_id=pk) for pk in WebhookMessage.objects.values_list("pk", flat=True)
    ]


def make_due(message: WebhookMessage) -> None:
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def deliver_when_due(message: WebhookMessage, *, times: int) -> list[str]:
    """Make the message due and deliver it, `times` times over; the status of each attempt."""
    statuses = []
    for _ in range(times):
        make_due(message)
        statuses.append(services.deliver_message(message_id=message.pk).status)
    return statuses


def test_a_verdict_writes_outbox_messages_in_its_transaction_and_publishes_after_commit(
    receiver, reviewer, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, ["verdict.created"])
    subscribe(receiver.url, ["article.ready"])  # not interested in verdicts
    claim = make_claim()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="Minutes.")
    message = WebhookMessage.objects.get()
    assert message.event_type == "verdict.created"
    assert len(callbacks) == 1

    claim.refresh_from_db()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="Rolled back.")
        raise RuntimeError
    assert WebhookMessage.objects.count() == 1  # F8: no event for a change that never happened


def test_outbox_bodies_are_canonical_json_naming_their_own_message(reviewer, second_reviewer):
    """One INSERT writes a message per (event, active subscription to its type), each with a fresh
    msg_… id and a body that is exactly the canonical JSON (sorted keys, no spaces, UTF-8 as is) of its
    type, timestamp, id and data."""
    both = [EventType.VERDICT_CREATED, EventType.VERDICT_SUPERSEDED]
    a, b, _, off = (
        WebhookSubscription.objects.create(url=f"https://hooks.example.org/{n}", events=events, secret="s")
        for n, events in enumerate((both, ["verdict.created"], ["article.ready"], both))
    )
    WebhookSubscription.objects.filter(pk=off.pk).update(active=False)
    claim = make_claim(text="Der Stadtrat beschloss 12 Millionen Euro – „zu wenig“, sagen Kritiker.")
    first = record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="Protokoll.")
    second = record_verdict(claim=claim, reviewer=second_reviewer, label="disputed", rationale="Neu.")
    messages = list(WebhookMessage.objects.order_by("id"))
    created, superseded = EventType.VERDICT_CREATED, EventType.VERDICT_SUPERSEDED
    assert [(m.subscription_id, m.event_type) for m in messages] == [
        (a.pk, created),
        (b.pk, created),
        (a.pk, created),
        (b.pk, created),
        (a.pk, superseded),
    ]
    assert len({m.msg_id for m in messages}) == len(messages)
    for message in messages:
        payload = json.loads(message.body)
        assert message.body == json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        assert re.fullmatch(r"msg_[0-9a-f]{32}", message.msg_id) and payload["id"] == message.msg_id
        assert (payload["type"], payload["timestamp"]) == (message.event_type, message.created_at.isoformat())
        assert (message.status, message.attempts, message.last_error) == (MessageStatus.PENDING, 0, "")
        assert message.next_attempt_at == message.created_at and message.finished_at is None
    assert json.loads(messages[2].body)["data"] == services.verdict_data(second)
    assert json.loads(messages[4].body)["data"] == {
        **services.verdict_data(first, superseded_by=second),
        "replacement": services.verdict_data(second),
    }
    assert "„zu wenig“" in messages[4].body


def test_the_documented_snippet_verifies_a_real_delivery_and_rejects_replays(receiver, reviewer):
    subscription = subscribe(receiver.url)
    claim = make_claim()
    verdict = record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="Minutes say 10.")
    assert deliver_all() == [services.Outcome("delivered")]

    request = receiver.requests[0]
    assert request.method == "POST" and request.path == "/hooks/factcheck"
    snippet = receiver_snippet()
    seen: set[str] = set()
    event = snippet["verify_webhook"](subscription.secret, request.headers, request.body, seen)
    assert event["type"] == "verdict.created"
    assert event["id"] == request.headers["webhook-id"]
    assert event["data"]["id"] == verdict.pk
    assert event["data"]["label"] == "disputed"
    assert event["data"]["claim"] == claim.pk

    with pytest.raises(snippet["DuplicateWebhook"]):  # the same delivery again
        snippet["verify_webhook"](subscription.secret, request.headers, request.body, seen)
    with pytest.raises(snippet["InvalidWebhook"]):  # replayed ten minutes later
        snippet["verify_webhook"](
            subscription.secret, request.headers, request.body, set(), now=time.time() + 600
        )
    with pytest.raises(snippet["InvalidWebhook"]):  # tampered body
        snippet["verify_webhook"](
            subscription.secret, request.headers, request.body.replace(b"disputed", b"verified"), set()
        )
    with pytest.raises(snippet["InvalidWebhook"]):  # another subscription's secret
        snippet["verify_webhook"](signing.generate_secret(), request.headers, request.body, set())


def test_signatures_follow_standard_webhooks_with_a_secret_per_subscription(receiver, reviewer):
    first, second = subscribe(receiver.url), subscribe(receiver.url)
    assert first.secret != second.secret
    assert first.secret.startswith("whsec_") and len(base64.b64decode(first.secret[6:])) >= 24
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    deliver_all()
    by_id = {m.msg_id: m.subscription for m in WebhookMessage.objects.select_related("subscription")}
    for request in receiver.requests:
        msg_id, timestamp = request.headers["webhook-id"], request.headers["webhook-timestamp"]
        assert abs(int(timestamp) - time.time()) < 60
        expected = signing.sign(
            by_id[msg_id].secret, msg_id=msg_id, timestamp=int(timestamp), body=request.body
        )
        assert request.headers["webhook-signature"] == expected
        key = base64.b64decode(by_id[msg_id].secret.removeprefix("whsec_"))
        import hashlib  # noqa: PLC0415 - spelled out here to pin the exact construction
        import hmac  # noqa: PLC0415

        raw = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + request.body, hashlib.sha256).digest()
        assert expected == "v1," + base64.b64encode(raw).decode()


def test_during_rotation_both_secrets_sign(receiver, reviewer):
    subscription = subscribe(receiver.url)
    old = subscription.secret
    services.rotate_secret(subscription=subscription)
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    deliver_all()
    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verify = receiver_snippet()["verify_webhook"]
    assert verify(old, request.headers, request.body, set())["type"] == "verdict.created"
    assert verify(subscription.secret, request.headers, request.body, set())["type"] == "verdict.created"


def test_superseding_a_verdict_sends_both_events(receiver, reviewer, second_reviewer):
    subscribe(receiver.url, ["verdict.created", "verdict.superseded"])
    claim = make_claim()
    first = record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="a")
    claim.refresh_from_db()
    second = record_verdict(claim=claim, reviewer=second_reviewer, label="disputed", rationale="b")
    deliver_all()
    events = [json.loads(r.body) for r in receiver.requests]
    superseded = [e for e in events if e["type"] == "verdict.superseded"]
    assert len(events) == 3 and len(superseded) == 1
    assert superseded[0]["data"]["id"] == first.pk
    assert superseded[0]["data"]["superseded_by"] == second.pk
    assert superseded[0]["data"]["replacement"]["id"] == second.pk


@pytest.mark.parametrize("status, event_type", [("ready", "article.ready"), ("failed", "article.failed")])
def test_finished_articles_are_announced(receiver, status, event_type):
    subscribe(receiver.url, ["article.ready", "article.failed"])
    article = make_article(status=status, **({"error_code": "http_404"} if status == "failed" else {}))
    with transaction.atomic():
        article_finished.send(sender=type(article), article_id=article.pk, status=status)
    deliver_all()
    event = json.loads(receiver.requests[0].body)
    assert event["type"] == event_type
    assert event["data"]["id"] == article.pk


def test_a_failing_receiver_is_retried_with_the_same_id_and_every_attempt_is_recorded(
    receiver, reviewer, fast_retries
):
    subscribe(receiver.url, ["verdict.created"])
    receiver.answer((500, {}, b"boom"), (503, {}, b"later"))
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    message = WebhookMessage.objects.get()
    assert deliver_when_due(message, times=3) == ["retry", "retry", "delivered"]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    attempts = list(
        WebhookDelivery.objects.order_by("attempt").values_list("attempt", "status_code", "error")
    )
    assert attempts == [(1, 500, "http_500"), (2, 503, "http_503"), (3, 204, "")]
    assert WebhookDelivery.objects.get(attempt=1).response_snippet == "boom"
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_backoff_is_exponential_with_jitter_and_attempts_are_bounded(receiver, reviewer, settings):
    settings.FACTCHECK_WEBHOOK_RETRY_BASE = 10.0
    settings.FACTCHECK_WEBHOOK_MAX_ATTEMPTS = 3
    delays = {n: [services.retry_delay(n) for _ in range(200)] for n in (1, 2, 3)}
    for n, values in delays.items():
        full = 10.0 * 2 ** (n - 1)
        assert all(full / 2 <= v <= full for v in values)
        assert len(set(values)) > 100  # jittered
    assert min(delays[3]) > max(delays[1])

    subscribe(receiver.url, ["verdict.created"])
    receiver.mode = "500"
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    message = WebhookMessage.objects.get()
    assert deliver_when_due(message, times=4) == ["retry", "retry", "failed", "skipped"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)


def test_a_redirect_is_a_failure_and_is_not_followed(receiver, reviewer, fast_retries):
    subscribe(receiver.url, ["verdict.created"])
    receiver.answer((302, {"Location": "/elsewhere"}, b""))
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    assert deliver_all()[0].status == "retry"
    assert [r.path for r in receiver.requests] == ["/hooks/factcheck"]
    assert WebhookDelivery.objects.get().error == "http_302"


def test_the_fetcher_can_leave_redirects_alone(receiver):
    receiver.answer((301, {"Location": "/next"}, b""), (301, {"Location": "/next"}, b""), (200, {}, b"ok"))
    response = fetch(receiver.url, policy=fetch_policy(), follow_redirects=False, raise_for_status=False)
    assert (response.status, response.headers["location"], response.redirects) == (301, "/next", [])
    followed = fetch(receiver.url, policy=fetch_policy())
    assert (followed.status, followed.content) == (200, b"ok")


def test_410_disables_the_subscription(receiver, reviewer):
    subscription = subscribe(receiver.url, ["verdict.created"])
    receiver.answer((410, {}, b"gone"))
    for _ in range(2):
        record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    outcomes = deliver_all()
    subscription.refresh_from_db()
    assert not subscription.active and "410" in subscription.disabled_reason
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert len(receiver.requests) == 1  # the second message is not sent to a disabled subscription
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    assert WebhookMessage.objects.count() == 2  # nor are new events queued for it


def test_a_hanging_receiver_never_delays_a_verdict_and_times_out(receiver, reviewer, fast_retries):
    subscribe(receiver.url, ["verdict.created"])
    receiver.mode = "hang"
    started = time.monotonic()
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    outcome = deliver_all()[0]
    assert outcome.status == "retry"
    assert time.monotonic() - started < 5.0
    assert WebhookDelivery.objects.get().error == "timeout"


def test_internal_targets_are_refused_at_every_delivery(receiver, reviewer):
    """S14: the rules apply again at delivery (the URL was changed, or DNS now points inside)."""
    subscription = subscribe(receiver.url, ["verdict.created"])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.3)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        url=f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    )
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    assert deliver_all()[0].status == "failed"
    assert WebhookDelivery.objects.get().error == "blocked_address"
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_two_workers_delivering_the_same_message_send_it_once(receiver, reviewer):
    subscribe(receiver.url, ["verdict.created"])
    record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    message = WebhookMessage.objects.get()
    WebhookMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert services.deliver_message(message_id=message.pk).status == "delivered"
    assert services.deliver_message(message_id=message.pk).status == "skipped"
    assert services.deliver_message(message_id=message.pk + 1000).status == "skipped"  # deleted: no error
    assert len(receiver.requests) == 1


def test_the_sweeper_finds_overdue_messages_only(receiver, reviewer, settings):
    subscribe(receiver.url, ["verdict.created"])
    for _ in range(2):
        record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    old, fresh = WebhookMessage.objects.order_by("id")
    WebhookMessage.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now() - timezone.timedelta(minutes=5)
    )
    assert services.due_message_ids(overdue=timezone.timedelta(seconds=60)) == [old.pk]
