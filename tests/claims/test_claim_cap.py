"""The per-article cap on claims offered (FACTCHECK_CLAIMS_PER_ARTICLE): every claim is kept and ranked by
score, those past the cap are marked below the cut; the review queue offers only the others, the admin and
the API reach both. The page is one written for these tests, served on loopback as an article site would."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from reviewers import queues
from reviewers.services import record_verdict
from tests.conftest import client_for
from tests.factories import make_article, make_claim
from tests.support.loopback import LoopbackServer, Request, Response
from tests.support.pipeline import fetched_and_extracted

pytestmark = pytest.mark.django_db

SENTENCES = [
    "The city council approved a budget of 12 million euros for new schools on Monday.",
    "Unemployment in the region fell to 4.2 percent in March, the statistics office reported.",
    "The company sold 3.1 million cars in 2024, up 8 percent from the year before.",
    "Last year 41,000 people moved to the city, according to the registry office.",
    "The new bridge cost 230 million dollars and opened in May 2023 after six years of work.",
    "The hospital treated 18,500 patients in 2025, a record, its director said.",
    "Rents in the capital rose by 9 percent between 2022 and 2024, the tenants' association said.",
    "The airport handled 27 million passengers in 2024, still 10 percent fewer than in 2019.",
]
PAGE = (
    "<html lang='en'><head><title>The city in figures</title></head><body><article>"
    "<h1>The city in figures</h1>" + "".join(f"<p>{s}</p>" for s in SENTENCES) + "</article></body></html>"
).encode()


class ArticleSite(LoopbackServer):
    def route(self, request: Request) -> Response:
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE


@pytest.fixture
def article_site(allow_loopback_servers):
    with ArticleSite() as server:
        yield server


def extracted_with_cap(site, settings, cap: int):
    settings.FACTCHECK_CLAIMS_PER_ARTICLE = cap
    article = fetched_and_extracted(f"{site.base_url}/city-{cap}.html")
    return article, list(Claim.objects.filter(article=article).order_by("rank"))


def test_claims_past_the_cap_are_kept_ranked_by_score_and_marked_below_the_cut(article_site, settings):
    article, claims = extracted_with_cap(article_site, settings, 3)
    assert len(claims) >= 6  # nothing is dropped by the cap
    assert [c.rank for c in claims] == list(range(1, len(claims) + 1))
    scores = [c.score for c in claims]
    assert scores == sorted(scores, reverse=True)
    assert [c.below_cut for c in claims] == [False] * 3 + [True] * (len(claims) - 3)


def test_a_cap_of_zero_offers_every_claim(article_site, settings):
    _, claims = extracted_with_cap(article_site, settings, 0)
    assert claims and not any(c.below_cut for c in claims)


def below_and_above(n_above: int = 2, n_below: int = 3):
    article = make_article()
    above = [make_claim(article, start=i * 100, score=0.9 - i / 100, rank=i + 1) for i in range(n_above)]
    below = [
        make_claim(
            article, start=(n_above + i) * 100, score=0.5 - i / 100, rank=n_above + i + 1, below_cut=True
        )
        for i in range(n_below)
    ]
    return article, above, below


def test_take_next_and_the_queue_counts_offer_only_claims_above_the_cut(reviewer):
    article, above, below = below_and_above()
    client = client_for(reviewer)
    taken = []
    for _ in range(len(above) + len(below)):
        response = client.post("/api/v1/claims/next/", {"another": bool(taken)}, format="json")
        if response.status_code == 204:
            break
        taken.append(response.json()["id"])
    assert set(taken) <= {c.pk for c in above}
    assert not set(taken) & {c.pk for c in below}
    assert queues.counts(reviewer)[queues.UNASSIGNED] <= len(above)


def test_a_claim_below_the_cut_decided_anyway_still_gets_its_second_review(
    settings, reviewer, second_reviewer
):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    _, _, below = below_and_above(n_above=0, n_below=1)
    record_verdict(claim=below[0], reviewer=reviewer, label="verified", rationale="Checked the registry.")
    offered = client_for(second_reviewer).post("/api/v1/claims/next/", {}, format="json")
    assert offered.status_code == 200
    assert offered.json()["id"] == below[0].pk


def test_the_api_lists_claims_below_the_cut_with_a_filter(reviewer):
    article, above, below = below_and_above()
    client = client_for(reviewer)
    listed = client.get(f"/api/v1/claims/?article={article.pk}&below_cut=true").json()["results"]
    assert {c["id"] for c in listed} == {c.pk for c in below}
    assert all(c["below_cut"] and c["rank"] > len(above) for c in listed)
    offered = client.get(f"/api/v1/claims/?article={article.pk}&below_cut=false").json()["results"]
    assert {c["id"] for c in offered} == {c.pk for c in above}
    everything = client.get(f"/api/v1/claims/?article={article.pk}").json()["results"]
    assert len(everything) == len(above) + len(below)


def test_the_admin_filters_claims_below_the_cut_and_marks_them_on_the_article_page(admin_user):
    article, above, below = below_and_above()
    browser = Client()
    browser.force_login(admin_user)
    changelist = reverse("admin:claims_claim_changelist")
    page = browser.get(f"{changelist}?article__id__exact={article.pk}&cut=below").content.decode()
    assert "Below the cut" in page
    assert all(f"/{c.pk}/change/" in page for c in below)
    assert not any(f"/{c.pk}/change/" in page for c in above)
    article_page = browser.get(reverse("admin:claims_article_change", args=[article.pk])).content.decode()
    assert article_page.count("below the cut</span>") == len(below)
    assert f"{len(below)} more are below the cut" in article_page


def test_the_migration_ranks_stored_claims_and_marks_undecided_ones_past_the_cap(settings):
    settings.FACTCHECK_CLAIMS_PER_ARTICLE = 2
    migration = importlib.import_module("claims.migrations.0010_claim_rank_below_cut")
    article = make_article()
    scores = [0.4, 0.9, 0.7, 0.2]
    claims = [make_claim(article, start=i * 100, score=score) for i, score in enumerate(scores)]
    Claim.objects.filter(pk=claims[3].pk).update(verdict_label="verified")  # decided: stays offered
    with connection.schema_editor() as editor:
        migration.rank_existing(django_apps, editor)
    stored = {c.pk: (c.rank, c.below_cut) for c in Claim.objects.filter(article=article)}
    assert [stored[c.pk] for c in claims] == [(3, True), (1, False), (2, False), (4, False)]
