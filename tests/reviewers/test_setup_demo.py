"""setup_demo: accounts with tokens, passwords and token keys printed when set, and --reset-passwords /
--new-tokens for a later run."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from rest_framework.test import APIClient

from api.authentication import forget_tokens

pytestmark = pytest.mark.django_db


def setup_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


def tokens_in(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\w+)\s+password \S+\s+API token (\S+)", output, re.MULTILINE))


def status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/verdicts/").status_code


def passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\w+)\s+password (\S+)", output, re.MULTILINE))


def test_passwords_are_printed_once_and_a_later_run_says_how_to_get_new_ones():
    first = passwords(setup_demo())
    assert set(first) == {"admin", "reviewer", "consumer", "integrations"}
    assert all(authenticate(username=name, password=pw) for name, pw in first.items())

    again = setup_demo("--reset-hint", "make reset-passwords")
    assert set(passwords(again).values()) == {"(unchanged)"}
    assert "New ones: make reset-passwords" in again
    assert authenticate(username="reviewer", password=first["reviewer"])


def test_reset_passwords_gives_the_existing_accounts_new_ones_and_keeps_their_tokens():
    first_output = setup_demo()
    first = passwords(first_output)
    tokens = tokens_in(first_output)

    reset_output = setup_demo("--reset-passwords")
    reset = passwords(reset_output)
    assert set(reset) == set(first) and "(unchanged)" not in reset.values()
    assert all(reset[name] != first[name] for name in first)
    assert all(authenticate(username=name, password=pw) for name, pw in reset.items())
    assert not authenticate(username="admin", password=first["admin"])
    assert set(tokens_in(reset_output).values()) == {"(unchanged)"}  # kept, and never shown again
    assert all(status_with(key) == 200 for key in tokens.values())
    assert "New ones: make" not in reset_output and "Passwords are printed" not in reset_output


def test_api_tokens_are_printed_when_made_and_new_tokens_replaces_them():
    """Issue 16.8: only a digest of each key is stored, so a key is shown once; --new-tokens makes new
    ones (printed) and the old ones stop working."""
    first = tokens_in(setup_demo())
    assert set(first) == {"admin", "reviewer", "consumer", "integrations"}
    assert all(len(key) == 40 for key in first.values())
    again = setup_demo()
    assert set(tokens_in(again).values()) == {"(unchanged)"}
    assert "setup_demo --new-tokens" in again
    renewed = tokens_in(setup_demo("--new-tokens"))
    assert all(renewed[name] != first[name] and len(renewed[name]) == 40 for name in first)
    forget_tokens()
    assert [status_with(key) for key in first.values()] == [401] * 4
    assert [status_with(key) for key in renewed.values()] == [200] * 4


def test_setup_demo_creates_an_integrations_account_with_only_that_role():
    setup_demo()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="integrations")
    assert set(user.groups.values_list("name", flat=True)) == {"integrations"}
    assert not user.is_superuser
