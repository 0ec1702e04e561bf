"""setup_demo: accounts with tokens, passwords printed when set, and --reset-passwords for a later run."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def setup_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


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
    tokens = re.findall(r"API token (\w+)", first_output)

    reset_output = setup_demo("--reset-passwords")
    reset = passwords(reset_output)
    assert set(reset) == set(first) and "(unchanged)" not in reset.values()
    assert all(reset[name] != first[name] for name in first)
    assert all(authenticate(username=name, password=pw) for name, pw in reset.items())
    assert not authenticate(username="admin", password=first["admin"])
    assert re.findall(r"API token (\w+)", reset_output) == tokens
    assert "New ones:" not in reset_output


def test_setup_demo_creates_an_integrations_account_with_only_that_role():
    setup_demo()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="integrations")
    assert set(user.groups.values_list("name", flat=True)) == {"integrations"}
    assert not user.is_superuser
