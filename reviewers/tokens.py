"""API tokens, stored as a SHA-256 digest of the key (issue 16, item 8).

The key is shown once, when the token is made (the admin's add page, `setup_demo`, `manage.py
issue_token`); what the database keeps is its digest and its first eight characters (`prefix`, to tell
tokens apart in the admin: 32 of the key's 160 random bits, not enough to guess the rest). A key is 40 hex
characters from the OS's random source, as DRF's tokens were, so the keys of tokens made before hashing
(migration 0008 hashed them) keep working. An unsalted digest suffices for random 160-bit keys: nobody can
try them all, and a salt would make a token unfindable by its key without reading every row.

A user may hold several tokens (one per client); rotation is issuing a new one and deleting the old.
Clients still send `Authorization: Token <key>` (api/authentication.py).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_hex(20)


class ApiToken(models.Model):
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the key.")
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The key's first characters, to tell tokens apart."
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created = models.DateTimeField(auto_now_add=True)

    # The key itself: set on the instance that made it, never stored.
    key: str | None = None

    class Meta:
        app_label = "reviewers"
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def save(self, *args, **kwargs) -> None:
        if not self.digest:
            self.key = new_key()
            self.digest = digest_of(self.key)
            self.prefix = self.key[:8]
        super().save(*args, **kwargs)

    @classmethod
    def issue(cls, user, *, replace: bool = False) -> ApiToken:
        """A new token for `user`; its `key` is readable on the returned instance only. With `replace`,
        the user's other tokens stop working."""
        if replace:
            cls.objects.filter(user=user).delete()
        return cls.objects.create(user=user)

    @classmethod
    def find(cls, key: str) -> models.QuerySet[ApiToken]:
        return cls.objects.filter(digest=digest_of(key))
