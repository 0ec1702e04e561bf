"""A lead re-runs a claim's source search after a provider failed: a real Celery worker searches again
(the archive and the MediaWiki stand-in), and the new search's sources and provider reports replace the old
ones."""

from __future__ import annotations

import pytest

from claims.models import ArticleStatus, Claim, ClaimStatus, Source
from reviewers.models import ClaimAction, ClaimEvent
from tests.conftest import client_for, wait_for
from tests.factories import make_article, make_claim, make_source

TEXT = "Greta Thunberg segelte im Jahr 2019 über den Atlantik zum UN-Klimagipfel in New York."


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_rerun_search_replaces_a_failed_providers_report_and_the_sources(celery_worker, lead, reviewer):
    article = make_article(language="de", status=ArticleStatus.READY, text=TEXT)
    claim = make_claim(
        article,
        text=TEXT,
        language="de",
        provider_reports=[
            {"provider": "archive", "state": "no_results", "detail": "", "queries": [], "count": 0},
            {"provider": "wikipedia", "state": "unavailable", "detail": "Wikipedia: dns_error", "count": 0},
        ],
    )
    stale = make_source(claim, title="Found by the first search", provider="archive")
    before = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/").json()["search"]
    assert [(p["provider"], p["outcome"], p["failure"]) for p in before["providers"]] == [
        ("archive", "nothing_found", None),
        ("wikipedia", "failed", "dns"),
    ]

    assert client_for(lead).post(f"/api/v1/claims/{claim.pk}/search/").status_code == 202

    def searched_again():
        claim = Claim.objects.get(pk=claim_id)
        return claim if claim.status != ClaimStatus.PENDING else None

    claim_id = claim.pk
    done = wait_for(searched_again, timeout=120, message="the re-run search to finish")
    assert done.status == ClaimStatus.SOURCED
    wikipedia = next(r for r in done.provider_reports if r["provider"] == "wikipedia")
    assert wikipedia["state"] == "ok", done.provider_reports
    assert not Source.objects.filter(pk=stale.pk).exists()
    assert Source.objects.filter(claim=done, provider="wikipedia").exists()
    after = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/").json()["search"]
    assert ("wikipedia", "found") in [(p["provider"], p["outcome"]) for p in after["providers"]]
    article.refresh_from_db()
    assert article.status == ArticleStatus.READY
    assert ClaimEvent.objects.filter(claim=claim, action=ClaimAction.SEARCH_RERUN, actor=lead).exists()
