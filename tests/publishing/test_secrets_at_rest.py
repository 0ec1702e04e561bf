"""Issue 16.8: webhook signing secrets are encrypted at rest under FACTCHECK_SECRETS_KEY, and a key
rotation re-encrypts them (manage.py reencrypt_secrets) without changing what they sign with."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from publishing import services
from publishing.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def stored(subscription) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret, previous_secret FROM publishing_webhooksubscription WHERE id = %s",
            [subscription.pk],
        )
        return cursor.fetchone()


def test_secrets_are_stored_encrypted_and_read_back_in_clear(settings):
    settings.FACTCHECK_SECRETS_KEY = [Fernet.generate_key().decode()]
    subscription = services.create_subscription(url="https://hooks.example.org/a", events=["verdict.created"])
    first = subscription.secret
    services.rotate_secret(subscription=subscription)
    secret, previous = stored(subscription)
    assert secret.startswith("fernet:") and previous.startswith("fernet:")
    assert first not in secret + previous and subscription.secret not in secret + previous
    fresh = WebhookSubscription.objects.get(pk=subscription.pk)
    assert (fresh.secret, fresh.previous_secret) == (subscription.secret, first)
    assert fresh.secret.startswith("whsec_")


def test_rotating_the_key_re_encrypts_every_secret(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FACTCHECK_SECRETS_KEY = [old]
    subscription = services.create_subscription(url="https://hooks.example.org/a", events=["verdict.created"])
    before = stored(subscription)[0]
    settings.FACTCHECK_SECRETS_KEY = [new, old]  # the new key first, the old one still readable
    out = io.StringIO()
    call_command("reencrypt_secrets", stdout=out)
    assert "1 subscription(s)" in out.getvalue()
    assert stored(subscription)[0] != before
    settings.FACTCHECK_SECRETS_KEY = [new]  # the old key dropped: everything still reads
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == subscription.secret
    settings.FACTCHECK_SECRETS_KEY = [old]  # and the old key alone no longer does
    with pytest.raises(ImproperlyConfigured):
        WebhookSubscription.objects.get(pk=subscription.pk)
