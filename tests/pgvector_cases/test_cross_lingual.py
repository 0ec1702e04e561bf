"""Claim matching across languages on a server with pgvector (the embedded PostgreSQL 18).

Run by tests/claims/test_vector_matching.py in a pytest process of its own pointed at that server; every
test here asserts that the vectors are really in use, so a run against a server without pgvector fails."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from claims import vectors
from claims.matching import find_matches, link_article_claims
from claims.models import ClaimMatch
from publishing.models import EventType, WebhookMessage
from reviewers.services import record_verdict
from tests.conftest import ARTIFACTS, WorkerProcess, client_for, worker_env
from tests.factories import make_article
from tests.publishing.conftest import Receiver, deliver_through_worker
from tests.publishing.test_webhook_delivery import receiver_snippet
from tests.support.matching import (
    DE,
    DE_LOOSE,
    DE_OTHER_FIGURE,
    DE_SAME_SUBJECT,
    DE_UNRELATED,
    EN,
    FR,
    SAME_SUBJECT_EN,
    indexes_read,
    stored_claim,
    young_database,
)
from tests.support.redisdb import claim_private_db, release

pytestmark = pytest.mark.django_db


def stored_vector_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE match_vector IS NOT NULL")
        return cursor.fetchone()[0]


def test_the_migration_made_the_vector_column_and_its_hnsw_index():
    assert vectors.available()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'claims_claim_match_vector_hnsw'")
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone()
    assert "USING hnsw (match_vector vector_ip_ops)" in definition


@pytest.mark.parametrize(("text", "language"), [(DE, "de"), (FR, "fr")])
def test_a_claim_in_another_language_matches_the_claim_checked_earlier(text, language):
    earlier = stored_claim(text=EN)
    link_article_claims(article_id=earlier.article_id)  # stores its vector
    later = stored_claim(text=text, language=language)
    assert link_article_claims(article_id=later.article_id) == 1
    (link,) = ClaimMatch.objects.filter(claim=later)
    assert link.matched_id == earlier.pk
    assert vectors.VECTOR_THRESHOLD <= link.similarity <= 1.0
    assert stored_vector_count() == 2


@pytest.mark.parametrize("text", [DE_OTHER_FIGURE, DE_UNRELATED])
def test_other_figures_or_another_subject_in_another_language_do_not_match(text):
    earlier = stored_claim(text=EN)
    link_article_claims(article_id=earlier.article_id)
    later = stored_claim(text=text, language="de")
    assert link_article_claims(article_id=later.article_id) == 0
    assert stored_vector_count() == 2  # the candidate was there, and refused


def stored_subject() -> list:
    """SAME_SUBJECT_EN stored with their vectors, each in an article of its own."""
    earlier = [stored_claim(text=text) for text in SAME_SUBJECT_EN]
    for claim in earlier:
        link_article_claims(article_id=claim.article_id)
    return earlier


def test_a_looser_translation_below_the_threshold_matches_as_it_stands_out_of_its_neighbours():
    earlier = stored_subject()
    later = stored_claim(text=DE_LOOSE, language="de")
    assert link_article_claims(article_id=later.article_id) == 1
    (link,) = ClaimMatch.objects.filter(claim=later)
    assert link.matched_id == earlier[2].pk
    assert vectors.VECTOR_FLOOR <= link.similarity < vectors.VECTOR_THRESHOLD  # the margin rule found it
    vector = vectors.text_vector(DE_LOOSE)
    found = find_matches(DE_LOOSE, language="de", exclude_article_id=later.article_id, vector=vector)
    assert [m.claim_id for m in found] == [earlier[2].pk]


@pytest.mark.parametrize("text", DE_SAME_SUBJECT)
def test_another_claim_on_the_same_subject_in_another_language_does_not_match(text):
    stored_subject()
    later = stored_claim(text=text, language="de")
    assert link_article_claims(article_id=later.article_id) == 0
    found = find_matches(
        text, language="de", exclude_article_id=later.article_id, vector=vectors.text_vector(text)
    )
    assert found == []
    assert stored_vector_count() == len(SAME_SUBJECT_EN) + 1  # the candidates were there, and refused


def test_the_claim_page_shows_the_earlier_verdict_of_a_claim_in_another_language(reviewer, consumer_client):
    earlier = stored_claim(make_article(title="Council vote, English report"), text=EN)
    record_verdict(claim=earlier, reviewer=reviewer, label="disputed", rationale="Minutes say 10 million.")
    link_article_claims(article_id=earlier.article_id)
    later = stored_claim(text=DE, language="de")
    link_article_claims(article_id=later.article_id)

    browser = Client()
    browser.force_login(reviewer)
    html = browser.get(reverse("admin:claims_claim_change", args=[later.pk])).content.decode()
    section = html.split("Earlier claims saying the same", 1)[1]
    assert section.count('class="earlier-claim"') == 1
    assert reverse("admin:claims_claim_change", args=[earlier.pk]) in section
    assert "Disputed" in section or "disputed" in section
    (match,) = consumer_client.get(f"/api/v1/claims/{later.pk}/").json()["matches"]
    assert match["id"] == earlier.pk and match["verdict"]["label"] == "disputed"


def test_the_matches_endpoint_answers_a_german_text_with_the_english_verdict(consumer_client, reviewer):
    decided = stored_claim(text=EN)
    link_article_claims(article_id=decided.article_id)
    record_verdict(claim=decided, reviewer=reviewer, label="verified", rationale="The minutes say so.")
    answer = consumer_client.post("/api/v1/matches/", {"text": DE}, format="json")  # language detected
    assert answer.status_code == 200, answer.content
    (result,) = answer.json()["results"]
    assert result["claim"] == decided.pk and result["language"] == "en"
    assert vectors.VECTOR_THRESHOLD <= result["score"] <= 1.0 and result["verdict"]["label"] == "verified"
    assert (
        consumer_client.post("/api/v1/matches/", {"text": DE_UNRELATED}, format="json").json()["results"]
        == []
    )
    assert [m.claim_id for m in find_matches(FR, language="fr", vector=vectors.text_vector(FR))] == [
        decided.pk
    ]


def test_backfill_adds_the_vectors_of_claims_stored_before():
    claims = [stored_claim(text=EN), stored_claim(text=DE, language="de")]
    assert stored_vector_count() == 0
    out = StringIO()
    call_command("backfill_match_vectors", stdout=out)
    assert stored_vector_count() == 2 and "2 updated" in out.getvalue()
    call_command("backfill_match_vectors", stdout=out)  # nothing left to do
    assert stored_vector_count() == 2 and "0 claims checked" in out.getvalue().splitlines()[-1]
    vector = vectors.claim_vector(claims[1])
    found = find_matches(DE, language="de", exclude_article_id=claims[1].article_id, vector=vector)
    assert [m.claim_id for m in found] == [claims[0].pk]


def test_check_and_health_report_vectors_in_use(anonymous_client):
    out, err = StringIO(), StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=err)
    assert "claims.W001" not in out.getvalue() + err.getvalue()
    body = anonymous_client.get("/health/").json()
    assert body["matching"] == "vectors" and body["warnings"] == []


@pytest.mark.django_db(transaction=True)
def test_a_german_watch_hears_of_the_english_claim_decided_later(
    allow_loopback_servers, consumer, reviewer, django_capture_on_commit_callbacks
):
    broker = claim_private_db(settings.CELERY_BROKER_URL)
    with Receiver() as receiver:
        env = worker_env(extra={"REDIS_URL": broker, "FACTCHECK_FETCH_ALLOW_PORTS": str(receiver.port)})
        worker = WorkerProcess(env, ARTIFACTS / "celery-pgvector-watch-worker.log", concurrency=1).start()
        try:
            answer = client_for(consumer).post(
                "/api/v1/watches/", {"text": DE, "url": receiver.url}, format="json"
            )
            assert answer.status_code == 201 and answer.json()["language"] == "de"
            claim = stored_claim(text=EN)
            with django_capture_on_commit_callbacks(execute=False):
                record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="Minutes: 10.")
            (message,) = WebhookMessage.objects.filter(event_type=EventType.CLAIM_MATCHED_VERDICT)
            deliver_through_worker(
                broker, message, timeout=60, what="the cross-lingual claim.matched_verdict webhook"
            )
        finally:
            worker.stop()
            release(broker)
    (request,) = receiver.requests
    event = receiver_snippet()["verify_webhook"](
        answer.json()["secret"], request.headers, request.body, set()
    )
    assert event["type"] == "claim.matched_verdict"
    assert event["data"]["claim"] == claim.pk and event["data"]["watched_text"] == DE
    assert event["data"]["score"] >= vectors.VECTOR_THRESHOLD and event["data"]["language"] == "en"


def test_on_a_young_database_the_vector_candidates_come_through_the_hnsw_index():
    """A few thousand claims: the planner would read every row in key order and sort them by distance,
    detoasting each vector (15 ms where the index takes 3 ms; docs/benchmarks.md, P10)."""
    young_database(3000, with_vectors=True)
    read = indexes_read(lambda: find_matches(DE, language="de", vector=vectors.text_vector(DE)))
    assert "claims_claim_match_vector_hnsw" in read, read
    assert "claim_match_keys_gin" in read, read
