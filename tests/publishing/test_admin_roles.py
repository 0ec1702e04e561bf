"""The webhook pages of the admin obey the API's rule (reviewers/roles.py): the integrations role only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing import services
from publishing.models import WebhookSubscription
from reviewers.roles import INTEGRATIONS
from tests.conftest import make_user
from tests.support.admin import browser_for

pytestmark = pytest.mark.django_db


def test_staff_reviewers_leads_and_roleless_staff_see_no_webhook_pages(reviewer, lead):
    subscription = services.create_subscription(url="https://hooks.example.org/p", events=["verdict.created"])
    pages = [
        reverse("admin:publishing_webhooksubscription_changelist"),
        reverse("admin:publishing_webhooksubscription_change", args=[subscription.pk]),
        reverse("admin:publishing_webhookmessage_changelist"),
        reverse("admin:publishing_webhookdelivery_changelist"),
    ]
    for user in (reviewer, lead, make_user("staff-only", staff=True)):
        browser = browser_for(user)
        assert [browser.get(page).status_code for page in pages] == [403] * 4, user.username
        assert "publishing" not in browser.get(reverse("admin:index")).content.decode()


def test_the_integrations_role_manages_subscriptions_in_the_admin_within_the_limit(settings):
    settings.FACTCHECK_WEBHOOKS_PER_ACCOUNT = 1
    ops = make_user("ops", INTEGRATIONS, staff=True)
    browser = browser_for(ops)
    add = reverse("admin:publishing_webhooksubscription_add")
    form = {"url": "https://hooks.example.org/a", "events": ["verdict.created"], "description": ""}
    assert browser.post(add, form | {"active": "on"}).status_code == 302
    again = browser.post(add, form | {"active": "on"})
    assert again.status_code == 200  # the form again, with the error
    assert "at most 1 webhook subscriptions" in again.content.decode()
    assert WebhookSubscription.objects.filter(created_by=ops).count() == 1
