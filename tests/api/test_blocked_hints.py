"""A refused address or port says which setting would allow it, to staff and in development only: an
ordinary or anonymous API client in production learns nothing about the network (RELIABILITY A8, S1)."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

from claims.models import Article
from reviewers.roles import REVIEWERS
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ordinary_reviewer_client(db):
    return client_for(make_user("plain-reviewer", REVIEWERS, staff=False))


def submit(client, url):
    return client.post("/api/v1/articles/", {"url": url}, format="json")


def test_leads_are_told_which_setting_allows_a_private_address_and_the_setting_works(lead, settings):
    reviewer_client = client_for(lead)
    settings.DEBUG = False
    body = submit(reviewer_client, "http://10.20.30.40/story").json()
    assert body["code"] == "blocked_address"
    assert body["hint"] == (
        "The address can be allowed with FACTCHECK_FETCH_ALLOW_NETWORKS=10.20.30.40/32 (or its network)."
    )
    settings.FACTCHECK_FETCH_ALLOW_NETWORKS = [re.search(r"=(\S+)", body["hint"]).group(1)]
    assert submit(reviewer_client, "http://10.20.30.40/story").status_code == 202


def test_leads_are_told_which_setting_allows_a_port_and_the_setting_works(lead, settings):
    reviewer_client = client_for(lead)
    settings.DEBUG = False
    body = submit(reviewer_client, "https://example.org:8443/story").json()
    assert body["code"] == "blocked_port"
    assert body["hint"] == "Port 8443 can be allowed with FACTCHECK_FETCH_ALLOW_PORTS=8443."
    settings.FACTCHECK_FETCH_ALLOW_PORTS = [8443]
    assert submit(reviewer_client, "https://example.org:8443/story").status_code == 202


def test_staff_status_alone_gets_no_hint(reviewer_client, settings):
    """Issue 16: staff status grants nothing in the API; a (staff) reviewer is told no setting names."""
    settings.DEBUG = False
    body = submit(reviewer_client, "http://10.20.30.40/story").json()
    assert body["code"] == "blocked_address"
    assert "hint" not in body


@pytest.mark.parametrize("url", ["http://10.20.30.40/story", "http://[fd00::1]/", "http://example.org:6379/"])
def test_an_ordinary_client_in_production_gets_no_hint(ordinary_reviewer_client, settings, url):
    settings.DEBUG = False
    response = submit(ordinary_reviewer_client, url)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code"}
    assert "FACTCHECK" not in response.content.decode()
    assert not Article.objects.exists()


def test_in_development_every_client_gets_the_hint(ordinary_reviewer_client, settings):
    settings.DEBUG = True
    body = submit(ordinary_reviewer_client, "http://[fd00::1]/").json()
    assert (
        body["hint"]
        == "The address can be allowed with FACTCHECK_FETCH_ALLOW_NETWORKS=fd00::1/128 (or its network)."
    )


def test_a_local_name_gets_no_hint_because_no_setting_allows_it(reviewer_client):
    body = submit(reviewer_client, "http://redis/").json()
    assert body["code"] == "blocked_address" and "hint" not in body


def test_the_command_line_names_the_setting(settings):
    with pytest.raises(
        CommandError, match=r"blocked_address: .* FACTCHECK_FETCH_ALLOW_NETWORKS=10\.9\.8\.7/32"
    ):
        call_command("submit_article", "http://10.9.8.7/x")
