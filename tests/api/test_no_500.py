"""No input gets a 500 (issue 16.6, RELIABILITY.md A11): JSON nested deeper than the parser's bound,
integers beyond 64 bits in the body, the URL and If-Match, and values in the admin's list filters that
the database cannot take. Each case failed with a 500 (RecursionError, DataError) before."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from api.parsers import MAX_JSON_DEPTH
from reviewers.services import record_verdict
from tests.conftest import client_for
from tests.factories import make_claim

pytestmark = pytest.mark.django_db

BEYOND_64_BITS = 2**64 + 7  # also beyond PostgreSQL's bigint
HUGE = "99999999999999999999999"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def superuser_client(db):
    return client_for(User.objects.create_superuser("root", "root@example.org", "pw-root"))


def write_endpoints(claim_id: int) -> list[tuple[str, str]]:
    return [
        ("post", "/api/v1/articles/"),
        ("post", f"/api/v1/claims/{claim_id}/verdict/"),
        ("post", "/api/v1/claims/next/"),
        ("post", f"/api/v1/claims/{claim_id}/assign/"),
        ("post", f"/api/v1/claims/{claim_id}/send-back/"),
        ("put", f"/api/v1/claims/{claim_id}/draft/"),
        ("post", "/api/v1/webhooks/"),
    ]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_on_every_write_endpoint(superuser_client, depth):
    claim = make_claim()
    for method, path in write_endpoints(claim.pk):
        body = '{"url": ' + nested(depth) + "}"
        response = getattr(superuser_client, method)(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert "nested" in response.json()["detail"], path


def test_json_within_the_depth_bound_is_parsed_as_before(superuser_client):
    body = '{"label": "verified", "rationale": "x", "sources": ' + nested(MAX_JSON_DEPTH - 2) + "}"
    response = superuser_client.post(
        f"/api/v1/claims/{make_claim().pk}/verdict/", body, content_type="application/json"
    )
    assert response.status_code == 400  # parsed; the serializer then refuses the nested lists
    assert "sources" in response.json()


def test_a_version_beyond_64_bits_in_the_body_is_a_400(reviewer_client):
    claim = make_claim()
    response = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "verified", "rationale": "x", "version": BEYOND_64_BITS},
        format="json",
    )
    assert response.status_code == 400
    assert "version" in response.json()


def test_source_ids_beyond_64_bits_in_the_body_are_a_400(reviewer_client):
    response = reviewer_client.post(
        f"/api/v1/claims/{make_claim().pk}/verdict/",
        {"label": "verified", "rationale": "x", "sources": [BEYOND_64_BITS]},
        format="json",
    )
    assert response.status_code == 400
    assert "sources" in response.json()  # refused by the serializer, before any query


@pytest.mark.parametrize(
    "if_match",
    [
        pytest.param('"claim-{pk}-v' + str(BEYOND_64_BITS) + '"', id="version"),
        pytest.param(f'"claim-{BEYOND_64_BITS}-v0"', id="claim_id"),
    ],
)
def test_a_number_beyond_64_bits_in_if_match_is_a_412(reviewer_client, if_match):
    claim = make_claim()
    response = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "verified", "rationale": "x"},
        format="json",
        HTTP_IF_MATCH=if_match.format(pk=claim.pk),
    )
    assert response.status_code == 412


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "/api/v1/claims/{id}/verdict/", {"label": "verified", "rationale": "x"}),
        ("post", "/api/v1/claims/{id}/assign/", {}),
        ("post", "/api/v1/claims/{id}/send-back/", {"reason": "x"}),
        ("put", "/api/v1/claims/{id}/draft/", {"label": "verified", "rationale": "x"}),
        ("post", "/api/v1/claims/{id}/search/", {}),
        ("get", "/api/v1/claims/{id}/", None),
        ("get", "/api/v1/claims/{id}/verdicts/", None),
        ("get", "/api/v1/claims/{id}/activity/", None),
        ("get", "/api/v1/claims/{id}/claimreview/", None),
        ("get", "/api/v1/claims/{id}/draft/", None),
        ("get", "/api/v1/articles/{id}/", None),
        ("get", "/api/v1/webhooks/{id}/", None),
        ("get", "/api/v1/webhooks/{id}/deliveries/", None),
    ],
)
@pytest.mark.parametrize("claim_id", [str(BEYOND_64_BITS), HUGE, "-" + HUGE])
def test_ids_beyond_64_bits_in_the_url_are_a_404(superuser_client, method, path, body, claim_id):
    make_claim()
    response = getattr(superuser_client, method)(path.format(id=claim_id), body, format="json")
    assert response.status_code == 404, response.content[:300]


def test_a_verdict_with_a_64_bit_version_that_is_stale_is_still_412(reviewer, reviewer_client):
    claim = make_claim()
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    response = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "verified", "rationale": "x", "version": 2**63 - 1},
        format="json",
    )
    assert response.status_code == 412


# --- the admin's list filters ---------------------------------------------------------------------------
@pytest.fixture
def admin_browser(db) -> Client:
    browser = Client()
    browser.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw-admin"))
    return browser


ADMIN_LISTS = [
    "/admin/claims/article/",
    "/admin/claims/claim/",
    "/admin/reviewers/verdict/",
]


@pytest.mark.parametrize("path", ADMIN_LISTS)
@pytest.mark.parametrize(
    "query",
    [
        "language=%00",
        "language=a%00b",
        "status=%00",
        "created_at__year=99999999999",
        "created_at__year=%00",
        "created_at__gte=99999-99-99",
        "text__regex=(((",
        "url__regex=(((",
        "id__gt=" + HUGE,
        "id=" + HUGE,
        "pk__in=1,%00",
        "q=%00",
        "q=a%00",
        "o=99999999999999999999",
    ],
)
def test_admin_list_filters_never_answer_500(admin_browser, path, query):
    make_claim()
    response = admin_browser.get(f"{path}?{query}")
    assert response.status_code in (200, 302, 400), (path, query, response.status_code)


@pytest.mark.parametrize(
    "path", ["/api/v1/claims/?language=%00", "/api/v1/articles/?status=a%00", "/api/v1/verdicts/?cursor=%00"]
)
def test_a_nul_character_in_an_api_query_is_a_400(reviewer_client, path):
    response = reviewer_client.get(path)
    assert response.status_code == 400
    assert response.json() == {"detail": "A query parameter contains a NUL character.", "code": "bad_query"}


def test_the_depth_error_is_the_documented_body(reviewer_client):
    response = reviewer_client.post("/api/v1/articles/", nested(1000), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - nested deeper than 400 levels.",
        "code": "parse_error",
    }
