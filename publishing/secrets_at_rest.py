"""Webhook signing secrets encrypted at rest (issue 16.8): Fernet (AES-128-CBC + HMAC-SHA256) under
FACTCHECK_SECRETS_KEY, a comma-separated list of Fernet keys. The first encrypts; every one decrypts, so
rotating is: put the new key first, keep the old one after it, run `manage.py reencrypt_secrets`, then
drop the old key (docs/webhooks.md). Without the setting (development) the key is derived from SECRET_KEY.

Stored values are `fernet:<token>`; a value without the prefix is read as it is (a row written before
migration publishing 0002, which encrypts them).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


def keys() -> tuple[str, ...]:
    configured = tuple(k.strip() for k in settings.FACTCHECK_SECRETS_KEY if k.strip())
    if configured:
        return configured
    derived = hashlib.sha256(b"factcheck-secrets:" + settings.SECRET_KEY.encode()).digest()
    return (base64.urlsafe_b64encode(derived).decode(),)


@cache
def _fernet(key_list: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in key_list])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FACTCHECK_SECRETS_KEY must list Fernet keys (Fernet.generate_key(), 32 url-safe base64 bytes)."
        ) from exc


def encrypt(value: str) -> str:
    return PREFIX + _fernet(keys()).encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet(keys()).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A webhook secret cannot be decrypted with FACTCHECK_SECRETS_KEY: keep the old key in the "
            "list until `manage.py reencrypt_secrets` has run."
        ) from exc


class EncryptedSecretField(models.TextField):
    """A text column holding a secret: encrypted on the way in, decrypted on the way out. Not searchable
    (every encryption of a value differs)."""

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value in (None, "") else encrypt(value)
