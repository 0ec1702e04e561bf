"""The Django admin as a logged-in person sees it."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def browser_for(user) -> Client:
    """A test client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def claim_url(claim) -> str:
    """The admin page of one claim."""
    return reverse("admin:claims_claim_change", args=[claim.pk])
