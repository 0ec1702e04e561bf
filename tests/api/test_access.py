"""RELIABILITY.md A1-A7 across the API: credentials, read-only consumers, mass assignment, CSRF,
throttling with 429 + Retry-After, deploy checks. (A7, webhook signatures: tests/publishing/.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from api import authentication
from api.authentication import forget_tokens
from claims.models import Article
from factcheck import proxies
from publishing.models import WebhookSubscription
from reviewers.models import Verdict
from reviewers.tokens import ApiToken
from tests.conftest import client_for, make_user
from tests.factories import make_claim

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]

READS = [
    "/api/v1/articles/",
    "/api/v1/articles/1/",
    "/api/v1/claims/",
    "/api/v1/claims/1/",
    "/api/v1/claims/1/verdicts/",
    "/api/v1/claims/1/claimreview/",
    "/api/v1/verdicts/",
    "/api/v1/verdicts/1/",
    "/api/v1/claimreviews/",
    "/api/v1/webhooks/",
    "/api/v1/webhooks/1/",
    "/api/v1/webhooks/1/deliveries/",
]
WRITES = [
    ("post", "/api/v1/articles/"),
    ("post", "/api/v1/claims/1/verdict/"),
    ("post", "/api/v1/webhooks/"),
    ("patch", "/api/v1/webhooks/1/"),
    ("delete", "/api/v1/webhooks/1/"),
    ("post", "/api/v1/webhooks/1/rotate-secret/"),
]


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("path", READS)
def test_a1_every_read_needs_credentials(anonymous_client, path):
    response = anonymous_client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("method, path", WRITES)
def test_a1_every_write_needs_credentials(anonymous_client, method, path):
    assert getattr(anonymous_client, method)(path, {}, format="json").status_code == 401


def test_a1_health_schema_and_docs_are_public(anonymous_client):
    for path in ("/health/", "/api/v1/schema/", "/api/v1/docs/"):
        assert anonymous_client.get(path).status_code == 200, path
    # Swagger UI is served locally: every script and stylesheet comes from this server, none from a CDN.
    page = anonymous_client.get("/api/v1/docs/").content.decode()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert any(asset.startswith("/static/") for asset in assets)
    assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == []


def test_a1_a_wrong_token_is_401(anonymous_client):
    anonymous_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert anonymous_client.get("/api/v1/verdicts/").status_code == 401


def test_a1_revoked_tokens_stop_working_once_the_token_cache_time_has_passed(settings, monkeypatch):
    """Valid tokens are remembered per process for FACTCHECK_TOKEN_CACHE_SECONDS; revocation takes effect
    within that time: a deleted token, a deactivated user, a deleted user. The cache's clock is moved
    forward instead of waiting."""
    now = [1000.0]
    monkeypatch.setattr(authentication, "clock", lambda: now[0])
    settings.FACTCHECK_TOKEN_CACHE_SECONDS = 2.0
    forget_tokens()
    users = [User.objects.create_user(f"revoked-{n}") for n in range(3)]
    clients = [client_for(user) for user in users]
    assert [c.get("/api/v1/verdicts/").status_code for c in clients] == [200] * 3
    ApiToken.objects.filter(user=users[0]).delete()
    users[1].is_active = False
    users[1].save(update_fields=["is_active"])
    users[2].delete()
    # Still remembered (so the cache is in effect and this test can fail) ...
    now[0] += 1.9
    assert [c.get("/api/v1/verdicts/").status_code for c in clients] == [200] * 3
    # ... and refused once the time has passed.
    now[0] += 0.2
    assert [c.get("/api/v1/verdicts/").status_code for c in clients] == [401] * 3


def test_a1_without_the_token_cache_a_revoked_token_is_refused_at_once(consumer, settings):
    settings.FACTCHECK_TOKEN_CACHE_SECONDS = 0
    forget_tokens()
    client = client_for(consumer)
    assert client.get("/api/v1/verdicts/").status_code == 200
    ApiToken.objects.filter(user=consumer).delete()
    assert client.get("/api/v1/verdicts/").status_code == 401


@pytest.mark.parametrize("method, path", WRITES)
def test_a2_consumers_tokens_are_read_only(consumer_client, method, path):
    claim = make_claim()
    articles = Article.objects.count()
    path = path.replace("/1/", f"/{claim.pk}/") if "claims" in path else path
    response = getattr(consumer_client, method)(
        path, {"label": "verified", "rationale": "x", "url": "https://news.example.com/x"}, format="json"
    )
    assert response.status_code == 403
    assert not Verdict.objects.exists() and Article.objects.count() == articles
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("method, path", WRITES)
def test_a8_staff_status_alone_writes_nothing(method, path):
    """Issue 16 (low): a staff user without a role could submit articles. Staff status grants nothing in
    the API: every write (articles, verdicts, webhooks) is 403 and leaves nothing behind."""
    claim = make_claim()
    client = client_for(make_user("staff-without-role", staff=True))
    path = path.replace("/1/", f"/{claim.pk}/") if "claims" in path else path
    response = getattr(client, method)(
        path, {"label": "verified", "rationale": "x", "url": "https://news.example.com/x"}, format="json"
    )
    assert response.status_code == 403
    assert not Verdict.objects.exists() and not Article.objects.exclude(pk=claim.article_id).exists()
    assert not WebhookSubscription.objects.exists()


def test_a3_mass_assignment_of_server_fields_is_ignored(reviewer_client, consumer):
    claim = make_claim()
    response = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {
            "label": "verified",
            "rationale": "x",
            "reviewer": consumer.pk,
            "decided_at": "2001-01-01T00:00:00Z",
            "status": "final",
            "claim_version": 99,
            "supersedes": 1,
        },
        format="json",
    )
    assert response.status_code == 201
    verdict = Verdict.objects.get()
    assert (verdict.reviewer.username, verdict.claim_version, verdict.supersedes_id) == ("reviewer", 1, None)
    assert verdict.decided_at.year != 2001


def test_a4_session_writes_need_the_csrf_token(reviewer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(reviewer)
    claim = make_claim()
    body = {"label": "verified", "rationale": "Session write."}
    assert client.get("/api/v1/verdicts/").status_code == 200  # reads need no token
    refused = client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Verdict.objects.exists()
    client.get("/admin/password_change/")  # a form page: sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def throttle_rates(settings, **rates):
    framework = dict(settings.REST_FRAMEWORK)
    framework["DEFAULT_THROTTLE_RATES"] = {**framework["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = framework


def test_a5_bursts_are_throttled_with_429_and_retry_after(consumer_client, settings):
    throttle_rates(settings, user="3/min")
    statuses = [consumer_client.get("/api/v1/verdicts/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = consumer_client.get("/api/v1/claimreviews/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_a5_token_guessing_is_throttled_per_address(consumer, settings):
    throttle_rates(settings, auth_failure="5/min")
    guesser = APIClient(REMOTE_ADDR="192.0.2.7")
    statuses = []
    for n in range(7):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {n:040d}")
        statuses.append(guesser.get("/api/v1/verdicts/").status_code)
    assert statuses == [401] * 5 + [429] * 2
    right = ApiToken.issue(consumer).key
    guesser.credentials(HTTP_AUTHORIZATION=f"Token {right}")
    locked = guesser.get("/api/v1/verdicts/")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    other = APIClient(REMOTE_ADDR="192.0.2.8")  # another address is unaffected
    other.credentials(HTTP_AUTHORIZATION=f"Token {right}")
    assert other.get("/api/v1/verdicts/").status_code == 200
    spoofed = APIClient(REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="203.0.113.9")  # no trusted proxy
    spoofed.credentials(HTTP_AUTHORIZATION="Token " + "9" * 40)
    assert spoofed.get("/api/v1/verdicts/").status_code == 429


def test_a5_a_strangers_wrong_tokens_do_not_lock_out_valid_tokens_from_the_same_address(consumer, settings):
    """Issue 16.4: behind one address (a NAT, the TLS proxy), a stranger's wrong tokens lock the address
    for tokens it has not seen valid lately — guessing stops — but not for the valid clients behind it,
    whether their token is remembered by this process or only by Redis (another process's cache)."""
    throttle_rates(settings, auth_failure="3/min", user="100/min")
    right = ApiToken.issue(consumer).key
    client = APIClient(REMOTE_ADDR="192.0.2.9")
    client.credentials(HTTP_AUTHORIZATION=f"Token {right}")
    assert client.get("/api/v1/verdicts/").status_code == 200  # now known to be valid
    stranger = APIClient(REMOTE_ADDR="192.0.2.9")
    for n in range(3):
        stranger.credentials(HTTP_AUTHORIZATION=f"Token {n:040d}")
        assert stranger.get("/api/v1/verdicts/").status_code == 401
    stranger.credentials(HTTP_AUTHORIZATION="Token")  # a malformed header counts as a failure too
    assert stranger.get("/api/v1/verdicts/").status_code == 429
    stranger.credentials(HTTP_AUTHORIZATION="Token " + "7" * 40)
    locked = stranger.get("/api/v1/verdicts/")
    assert locked.status_code == 429 and 0 < int(locked["Retry-After"]) <= 60
    assert client.get("/api/v1/verdicts/").status_code == 200  # remembered in the process
    forget_tokens()
    assert client.get("/api/v1/verdicts/").status_code == 200  # known in Redis: looked up, let in
    unseen = ApiToken.issue(User.objects.create_user("never-used")).key
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {unseen}")
    assert stranger.get("/api/v1/verdicts/").status_code == 429  # a token never seen valid: not looked up


def test_a5_requests_with_a_remembered_token_count_against_the_account_once(consumer, settings):
    throttle_rates(settings, user="4/min")
    client = client_for(consumer)
    statuses = [client.get("/api/v1/verdicts/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def deploy_check(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "FACTCHECK_ENV")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a6_check_deploy_is_clean_in_production_and_refuses_to_start_without_a_secret():
    production = {"FACTCHECK_ENV": "production", "ALLOWED_HOSTS": "factcheck.example.org"}
    result = deploy_check(**production, SECRET_KEY="k" * 20 + "-Zq8#xV!p2Lr5@wN9$tB3^mC6&yH1*eJ4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr
    refused = deploy_check(**production)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


@pytest.mark.slow
def test_a6_check_deploy_warns_when_a_proxy_header_arrives_with_no_proxy_count(consumer_client):
    """Issue 16.4: the middleware notes an X-Forwarded-For seen while FACTCHECK_NUM_PROXIES is 0, and
    `manage.py check --deploy` (another process) warns factcheck.W001; with the count set it does not."""
    production = {
        "FACTCHECK_ENV": "production",
        "ALLOWED_HOSTS": "factcheck.example.org",
        "SECRET_KEY": "k" * 20 + "-Zq8#xV!p2Lr5@wN9$tB3^mC6&yH1*eJ4",
    }
    proxies.forget()
    try:
        assert consumer_client.get("/api/v1/verdicts/").status_code == 200
        assert "factcheck.W001" not in deploy_check(**production).stderr  # no proxy header yet
        proxied = consumer_client.get("/api/v1/verdicts/", HTTP_X_FORWARDED_FOR="203.0.113.9")
        assert proxied.status_code == 200
        warned = deploy_check(**production)
        assert warned.returncode != 0 and "factcheck.W001" in warned.stderr, warned.stderr
        assert "FACTCHECK_NUM_PROXIES" in warned.stderr
        fixed = deploy_check(**production, FACTCHECK_NUM_PROXIES="1")
        assert fixed.returncode == 0, fixed.stderr
    finally:
        proxies.forget()
