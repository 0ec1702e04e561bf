"""Managing webhook subscriptions over the API (the integrations role only), and a delivery seen through the API."""

from __future__ import annotations

import base64

import pytest

from publishing import services
from publishing.models import WebhookMessage, WebhookSubscription
from reviewers.roles import INTEGRATIONS
from reviewers.services import record_verdict
from tests.conftest import client_for, make_user
from tests.factories import make_claim
from tests.publishing.conftest import Receiver

pytestmark = pytest.mark.django_db
HOOKS = "/api/v1/webhooks/"


@pytest.fixture
def staff_client(db):
    """An account with the integrations role (not staff: staff status grants nothing in the API)."""
    return client_for(make_user("ops", INTEGRATIONS))


def test_only_the_integrations_role_manages_webhooks(reviewer, lead, consumer):
    """Issue 16: a (staff) reviewer, a (staff) lead, a consumer and a staff user without a role can neither
    list, create, change, rotate nor delete subscriptions; the integrations role can."""
    subscription = services.create_subscription(url="https://hooks.example.org/p", events=["verdict.created"])
    body = {"url": "https://attacker.example.net/", "events": ["verdict.created"]}
    for user in (reviewer, lead, consumer, make_user("staff-only", staff=True)):
        client = client_for(user)
        assert client.get(HOOKS).status_code == 403
        assert client.post(HOOKS, body, format="json").status_code == 403
        assert client.patch(f"{HOOKS}{subscription.pk}/", body, format="json").status_code == 403
        assert client.post(f"{HOOKS}{subscription.pk}/rotate-secret/").status_code == 403
        assert client.get(f"{HOOKS}{subscription.pk}/deliveries/").status_code == 403
        assert client.delete(f"{HOOKS}{subscription.pk}/").status_code == 403
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.org/p"
    assert WebhookSubscription.objects.count() == 1
    assert client_for(make_user("ops", INTEGRATIONS)).get(HOOKS).status_code == 200


def test_an_account_may_create_only_so_many_subscriptions(staff_client, settings):
    settings.FACTCHECK_WEBHOOKS_PER_ACCOUNT = 2
    body = {"url": "https://hooks.example.org/fc", "events": ["verdict.created"]}
    assert [staff_client.post(HOOKS, body, format="json").status_code for _ in range(2)] == [201, 201]
    refused = staff_client.post(HOOKS, body, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "too_many_subscriptions"
    other = client_for(make_user("other-ops", INTEGRATIONS))
    assert other.post(HOOKS, body, format="json").status_code == 201  # the limit is per account
    assert WebhookSubscription.objects.count() == 3


def test_staff_register_a_webhook_and_see_the_secret_once(staff_client):
    response = staff_client.post(
        HOOKS, {"url": "https://hooks.example.org/fc", "events": ["verdict.created"]}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) >= 24
    assert body["active"] is True and body["events"] == ["verdict.created"]
    assert "secret" not in staff_client.get(f"{HOOKS}{body['id']}/").json()
    assert "secret" not in staff_client.get(HOOKS).json()["results"][0]
    assert WebhookSubscription.objects.get().secret == body["secret"]


@pytest.mark.parametrize(
    "url, code",
    [
        ("http://127.0.0.1/hook", "blocked_address"),
        ("http://169.254.169.254/latest/", "blocked_address"),
        ("http://[::1]/hook", "blocked_address"),
        ("http://10.0.0.5/hook", "blocked_address"),
        ("http://redis/hook", "blocked_address"),
        ("http://hooks.example.org:6379/", "blocked_port"),
        ("ftp://hooks.example.org/", "unsupported_scheme"),
        ("not a url", "unsupported_scheme"),
    ],
)
def test_internal_targets_are_refused_at_registration(staff_client, url, code):
    response = staff_client.post(HOOKS, {"url": url, "events": ["verdict.created"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not WebhookSubscription.objects.exists()


def test_events_must_be_known(staff_client):
    for events in ([], ["verdict.deleted"], "verdict.created"):
        response = staff_client.post(
            HOOKS, {"url": "https://hooks.example.org/", "events": events}, format="json"
        )
        assert response.status_code == 400, events


def test_update_rotate_and_delete(staff_client):
    created = staff_client.post(
        HOOKS, {"url": "https://hooks.example.org/a", "events": ["verdict.created"]}, format="json"
    ).json()
    path = f"{HOOKS}{created['id']}/"
    patched = staff_client.patch(path, {"active": False, "events": ["article.ready"]}, format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert (
        staff_client.patch(path, {"url": "http://127.0.0.1/"}, format="json").json()["code"]
        == "blocked_address"
    )
    rotated = staff_client.post(f"{path}rotate-secret/").json()
    assert rotated["secret"] != created["secret"]
    subscription = WebhookSubscription.objects.get()
    assert subscription.signing_secrets() == [rotated["secret"], created["secret"]]
    assert staff_client.put(path, {}, format="json").status_code == 405
    assert staff_client.delete(path).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_server_fields_cannot_be_mass_assigned(staff_client):
    response = staff_client.post(
        HOOKS,
        {
            "url": "https://hooks.example.org/",
            "events": ["verdict.created"],
            "secret": "whsec_AAAA",
            "active": False,
            "disabled_reason": "x",
            "id": 999,
        },
        format="json",
    )
    subscription = WebhookSubscription.objects.get()
    assert response.json()["id"] == subscription.pk != 999
    assert subscription.secret != "whsec_AAAA" and subscription.active and not subscription.disabled_reason


def test_only_staff_manage_webhooks(consumer_client, anonymous_client, db):
    subscription = services.create_subscription(url="https://hooks.example.org/", events=["verdict.created"])
    non_staff_reviewer = client_for(make_user("plain-reviewer", "reviewers"))
    for client, expected in ((consumer_client, 403), (non_staff_reviewer, 403), (anonymous_client, 401)):
        assert client.get(HOOKS).status_code == expected
        assert (
            client.post(
                HOOKS, {"url": "https://x.example.org/", "events": ["verdict.created"]}, format="json"
            ).status_code
            == expected
        )
        assert client.delete(f"{HOOKS}{subscription.pk}/").status_code == expected
        assert client.post(f"{HOOKS}{subscription.pk}/rotate-secret/").status_code == expected


def test_delivery_attempts_are_visible(staff_client, reviewer, allow_loopback_servers):
    with Receiver() as receiver:
        created = staff_client.post(
            HOOKS, {"url": receiver.url, "events": ["verdict.created"]}, format="json"
        )
        assert created.status_code == 201, created.content
        receiver.answer((500, {}, b"not now"))
        record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
        message = WebhookMessage.objects.get()
        services.deliver_message(message_id=message.pk)
        WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        services.deliver_message(message_id=message.pk)
    attempts = staff_client.get(f"{HOOKS}{created.json()['id']}/deliveries/").json()["results"]
    assert [(a["attempt"], a["status_code"], a["succeeded"]) for a in attempts] == [
        (2, 204, True),
        (1, 500, False),
    ]
    assert attempts[1]["response_snippet"] == "not now"
    assert attempts[0]["msg_id"] == message.msg_id and attempts[0]["event_type"] == "verdict.created"
