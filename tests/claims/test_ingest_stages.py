"""Bad input through the real stages (RELIABILITY.md B9, B12, B13) and snapshot retention."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from celery.signals import before_task_publish
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import messages, services, stages
from claims.models import Article, ArticleStatus, Snapshot
from tests.support.loopback import LoopbackServer, Request, Response, html_response
from tests.support.pipeline import fetched_and_extracted

ITALIAN = (
    "<html><head><title>Il bilancio del comune</title></head><body><article>"
    + "<p>Il consiglio comunale ha approvato ieri un bilancio di 12 milioni di euro per il 2024. "
    "Secondo il sindaco, la spesa per le scuole è aumentata del 15 per cento rispetto all'anno scorso.</p>"
    * 6
    + "</article></body></html>"
)
PAGES = {
    "/deep": "<html><body>"
    + "<div>" * 100_000
    + "Die Regierung gab 2020 rund 5 Milliarden Euro aus. "
    + "</div>" * 100_000
    + "</body></html>",
    "/many": "<html><body><article>"
    + "".join(
        f"<p>Die Regierung hat im Jahr {1900 + n % 120} rund {n} Millionen Euro für Schule {n} ausgegeben.</p>"
        for n in range(8_000)
    )
    + "</article></body></html>",
    "/empty": "<html><head><title>Startseite</title></head><body><nav><a href='/'>Start</a></nav></body></html>",
    "/italian": ITALIAN,
    **{
        f"/claims-{n}": "<html><body><article>"
        + "".join(
            f"<p>Der Stadtrat von Ort {i} hat am Montag {i + 3} Millionen Euro für {i + 10} Schulen beschlossen.</p>"
            for i in range(n)
        )
        + "</article></body></html>"
        for n in (3, 40)
    },
}


class BadPages(LoopbackServer):
    def route(self, request: Request) -> Response:
        if request.path in PAGES:
            return html_response(PAGES[request.path])
        return 404, {"Content-Type": "text/plain"}, b"not found"


@pytest.fixture
def bad_pages(allow_loopback_servers):
    with BadPages() as server:
        yield server


@pytest.mark.django_db
def test_b9_deeply_nested_html_finishes_quickly_without_claims_or_fails_with_parse_error(bad_pages):
    started = time.monotonic()
    article = fetched_and_extracted(f"{bad_pages.base_url}/deep")
    assert time.monotonic() - started < 60
    assert (article.status, article.error_code) in {
        (ArticleStatus.READY, ""),
        (ArticleStatus.FAILED, "parse_error"),
    }
    if article.status == ArticleStatus.READY and not article.claims.exists():
        assert article.notes


@pytest.mark.django_db
def test_b9_a_huge_text_is_cut_at_the_cap_with_a_note(bad_pages, settings):
    settings.FACTCHECK_MAX_TEXT_CHARS = 20_000
    article = fetched_and_extracted(f"{bad_pages.base_url}/many")
    assert article.status == ArticleStatus.SOURCING
    assert len(article.text) <= 20_000
    assert "Only the first 20,000 characters" in article.notes
    assert all(claim.end <= len(article.text) for claim in article.claims.all())


@pytest.mark.django_db
def test_b13_a_page_without_text_ends_ready_with_zero_claims_and_a_reason(bad_pages):
    article = fetched_and_extracted(f"{bad_pages.base_url}/empty")
    assert article.status == ArticleStatus.READY
    assert not article.claims.exists()
    assert article.notes


@pytest.mark.django_db
def test_b13_an_unsupported_language_is_detected_stored_and_explained(bad_pages):
    article = fetched_and_extracted(f"{bad_pages.base_url}/italian")
    assert article.language == "it"
    assert article.language_note  # the reviewer is told how Italian is handled
    assert article.status in (ArticleStatus.SOURCING, ArticleStatus.READY)
    for claim in article.claims.all():
        assert claim.language == "it"
        assert article.text[claim.start : claim.end] == claim.text


@pytest.mark.django_db(transaction=True)
def test_b12_twenty_concurrent_submissions_and_variants_make_one_article_and_one_pipeline_run():
    variants = [
        "https://news.example.com/story",
        "https://NEWS.example.com/story",
        "https://news.example.com:443/story#comments",
        "https://news.example.com/story?utm_source=twitter&utm_medium=social",
        "https://news.example.com/story?fbclid=abc",
    ]
    published: list[str] = []

    def count(sender=None, **kwargs):
        if sender == messages.FETCH_ARTICLE:
            published.append(sender)

    before_task_publish.connect(count)
    barrier = threading.Barrier(20)
    results: list[tuple[int, bool]] = []

    def submit(n: int) -> None:
        barrier.wait()
        try:
            article, created = services.submit_article(url=variants[n % len(variants)])
            results.append((article.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        before_task_publish.disconnect(count)
    assert len(results) == 20
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Article.objects.count() == 1
    assert len(published) == 1


@pytest.mark.django_db
def test_raw_bytes_are_dropped_after_the_retention_but_provenance_stays(bad_pages, settings):
    settings.FACTCHECK_SNAPSHOT_RETENTION_DAYS = 30
    article = fetched_and_extracted(f"{bad_pages.base_url}/italian")
    snapshot = Snapshot.objects.get(article=article)
    assert snapshot.body is not None
    assert services.drop_expired_snapshot_bodies(now=timezone.now() + timedelta(days=29)) == 0
    assert services.drop_expired_snapshot_bodies(now=timezone.now() + timedelta(days=31)) == 1
    snapshot.refresh_from_db()
    assert snapshot.body is None
    assert (snapshot.final_url, snapshot.http_status, len(snapshot.content_hash)) == (
        f"{bad_pages.base_url}/italian",
        200,
        64,
    )


@pytest.mark.django_db
def test_extraction_costs_the_same_number_of_sql_statements_for_few_or_many_claims(bad_pages):
    counts = {}
    for n in (3, 40):
        article, _ = services.submit_article(url=f"{bad_pages.base_url}/claims-{n}")
        stages.fetch_article(article_id=article.pk)
        with CaptureQueriesContext(connection) as queries:
            claim_ids = stages.extract_article(article_id=article.pk)
        counts[len(claim_ids)] = len(queries)
    few, many = sorted(counts)
    assert many >= 10 * few
    # the same statements, plus at most the one INSERT of matches (the second page resembles the first)
    assert 0 <= counts[many] - counts[few] <= 1, counts
