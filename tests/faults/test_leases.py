"""Per-stage leases (claims/leases.py, docs/reliability.md F11): the sweeper re-publishes exactly the stages
whose lease ran out, once; a running stage keeps renewing its lease from a thread of its own."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from claims import leases, services
from claims.models import Article, ArticleStatus, Claim, ClaimStatus
from tests.factories import make_article, make_claim


def with_lease(row, seconds: float):
    type(row).objects.filter(pk=row.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=seconds))
    return row


def published(client, queue: str) -> list[tuple[str, list]]:
    messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    return sorted((m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages)


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_republishes_the_stages_whose_lease_ran_out_once(private_redis):
    dead_fetch = with_lease(make_article(status=ArticleStatus.FETCHING, attempts=1, text=""), -1)
    dead_extract = with_lease(make_article(status=ArticleStatus.EXTRACTING, attempts=1), -1)
    slow_fetch = with_lease(make_article(status=ArticleStatus.FETCHING, attempts=1, text=""), 30)
    waiting = make_article(status=ArticleStatus.QUEUED, text="")  # no lease: in the queue, not running
    sourcing = make_article(status=ArticleStatus.SOURCING)
    dead_search = with_lease(make_claim(sourcing, status=ClaimStatus.PENDING), -1)
    slow_search = with_lease(make_claim(sourcing, status=ClaimStatus.PENDING, start=500), 30)

    counts = services.sweep_stale_articles()

    assert counts["lease_expired"] == 3 and counts["republished"] == 0
    client = private_redis.client()
    assert published(client, "ingest") == sorted(
        [
            ("claims.tasks.fetch_article_task", f"[{dead_fetch.pk}]"),
            ("claims.tasks.extract_article_task", f"[{dead_extract.pk}]"),
        ]
    )
    assert published(client, "sources") == [("claims.tasks.gather_sources_task", f"[{dead_search.pk}]")]
    assert Article.objects.get(pk=dead_fetch.pk).lease_expires_at is None
    assert Claim.objects.get(pk=dead_search.pk).lease_expires_at is None
    assert Article.objects.get(pk=slow_fetch.pk).lease_expires_at > timezone.now()
    assert Claim.objects.get(pk=slow_search.pk).lease_expires_at > timezone.now()
    assert Article.objects.get(pk=waiting.pk).status == ArticleStatus.QUEUED
    # Once: the lease was cleared with the publish; the delivery that starts the stage takes a new one.
    assert services.sweep_stale_articles()["lease_expired"] == 0


class SteppedClock:
    """Time that passes only while the renewing thread pauses: each pause moves it on by the pause's length.
    After `pauses` of them the thread is held until the stage ends."""

    def __init__(self, pauses: int) -> None:
        self.now = timezone.now()
        self.pauses = 0
        self.limit = pauses
        self.held = threading.Event()

    def __call__(self):
        return self.now

    def pause(self, stop: threading.Event, seconds: float) -> bool:
        if stop.is_set():
            return True
        self.now += timedelta(seconds=seconds)
        self.pauses += 1
        if self.pauses < self.limit:
            return False
        self.held.set()
        return stop.wait(10)


@pytest.mark.django_db(transaction=True)
def test_a_running_stage_renews_its_lease_until_it_ends(settings, monkeypatch):
    settings.FACTCHECK_LEASE_SECONDS = 3  # renewed every second
    clock = SteppedClock(pauses=5)  # 5 s: longer than the lease, which without renewals would have run out
    monkeypatch.setattr(leases, "clock", clock)
    monkeypatch.setattr(leases, "pause", clock.pause)
    article = make_article(status=ArticleStatus.FETCHING, attempts=1, text="")
    Article.objects.filter(pk=article.pk).update(lease_expires_at=leases.expiry())
    first = Article.objects.get(pk=article.pk).lease_expires_at
    with leases.renewed(Article, article.pk):
        assert clock.held.wait(10)
        assert Article.objects.get(pk=article.pk).lease_expires_at > clock()
    renewed = Article.objects.get(pk=article.pk).lease_expires_at
    assert renewed == first + timedelta(seconds=4)  # renewed at each of the first four seconds
    assert not [t for t in threading.enumerate() if t.name == f"lease-Article-{article.pk}"]  # it stopped
    clock.now += timedelta(seconds=5)
    assert Article.objects.get(pk=article.pk).lease_expires_at == renewed


@pytest.mark.django_db
def test_every_move_out_of_a_stage_ends_its_lease_and_a_start_takes_one():
    article = with_lease(make_article(status=ArticleStatus.EXTRACTING, attempts=1), 30)
    assert Article.objects.transition(article.pk, from_=ArticleStatus.EXTRACTING, to=ArticleStatus.SOURCING)
    assert Article.objects.get(pk=article.pk).lease_expires_at is None
    claim = with_lease(make_claim(article, status=ClaimStatus.PENDING), 30)
    Claim.objects.filter(pk=claim.pk).transition(from_=ClaimStatus.PENDING, to=ClaimStatus.SOURCED)
    assert Claim.objects.get(pk=claim.pk).lease_expires_at is None
    assert leases.renew(Claim, claim.pk) is False  # nothing held, nothing renewed
