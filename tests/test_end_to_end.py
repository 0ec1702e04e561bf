"""The whole path with real processes: API submission → a real Celery worker fetches the article from a
loopback site, extracts claims, gathers sources from the archive and a MediaWiki stand-in → a reviewer's
verdict over the API → the verdict feed."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from claims.models import Article
from tests.conftest import wait_for

ARTICLE = "zeit.de.zugverkehr.html"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_submitted_article_flows_to_claims_sources_and_verdict_feed(
    celery_worker, page_server, allow_loopback_servers, reviewer_client, consumer_client
):
    response = reviewer_client.post("/api/v1/articles/", {"url": page_server.url(ARTICLE)}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    article_id = response.json()["id"]

    def finished():
        body = reviewer_client.get(f"/api/v1/articles/{article_id}/").json()
        return body if body["status"] in ("ready", "failed") else None

    article = wait_for(finished, timeout=180, message="the article to finish its pipeline")
    assert article["status"] == "ready", article
    assert article["language"] == "de"
    assert article["title"]
    assert article["progress"]["claims"] > 0
    assert article["progress"]["sourced"] == article["progress"]["claims"]

    claims = reviewer_client.get("/api/v1/claims/", {"article": article_id}).json()["results"]
    assert claims, "the article should yield claims"
    details = [reviewer_client.get(f"/api/v1/claims/{c['id']}/").json() for c in claims]
    with_sources = [d for d in details if d["sources"]]
    assert with_sources, "at least one claim should have sources from the MediaWiki stand-in"
    assert {s["provider"] for d in with_sources for s in d["sources"]} >= {"wikipedia"}
    for detail in details:
        assert {r["provider"] for r in detail["provider_reports"]} == {"archive", "wikipedia"}

    claim = with_sources[0]
    etag = reviewer_client.get(f"/api/v1/claims/{claim['id']}/")["ETag"]
    verdict_body = {
        "label": "disputed",
        "rationale": "The Wikipedia article gives a different figure.",
        "sources": [claim["sources"][0]["id"]],
    }
    refused = consumer_client.post(f"/api/v1/claims/{claim['id']}/verdict/", verdict_body, format="json")
    assert refused.status_code == 403

    created = reviewer_client.post(
        f"/api/v1/claims/{claim['id']}/verdict/", verdict_body, format="json", HTTP_IF_MATCH=etag
    )
    assert created.status_code == 201, created.content
    verdict = created.json()
    assert verdict["label"] == "disputed"
    assert verdict["sources"][0]["url"] == claim["sources"][0]["url"]

    stale = reviewer_client.post(
        f"/api/v1/claims/{claim['id']}/verdict/", verdict_body, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412

    feed = consumer_client.get("/api/v1/verdicts/").json()["results"]
    assert [v["id"] for v in feed] == [verdict["id"]]
    assert feed[0]["claim"] == claim["id"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_submit_article_wait_counts_stages_and_claims_sourced_honestly(
    celery_worker, page_server, allow_loopback_servers
):
    err, out = io.StringIO(), io.StringIO()
    call_command(
        "submit_article", page_server.url(ARTICLE), "--wait", "--timeout", "180", stdout=out, stderr=err
    )
    frames = re.findall(
        r"(\w+) \(stage (\d)/4\) \|[^|]*\| (\d+)/(\d+|\?) claims sourced", err.getvalue().replace("\r", "\n")
    )
    assert frames, err.getvalue()
    stages = [int(stage) for _, stage, _, _ in frames]
    assert stages == sorted(stages) and stages[-1] == 4
    for status, stage, done, total in frames:
        assert status == ["queued", "fetching", "extracting", "sourcing", "ready"][int(stage)]
        if total == "?":
            assert int(stage) < 3 and done == "0"  # claims are not counted before they are known
        else:
            assert int(stage) >= 3 and int(done) <= int(total)
    claims = Article.objects.get().claims.count()
    assert claims > 0 and frames[-1][2:] == (str(claims), str(claims))
    assert "/s" not in err.getvalue() and "%" not in err.getvalue()
    assert "Article" in out.getvalue() and ": ready" in out.getvalue()
