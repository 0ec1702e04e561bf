"""The whole reviewer flow in a real browser: headless Chromium (Debian's package, see conftest.py) driven
by Playwright against a live server. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import json

import pytest

from claims.models import ArticleStatus
from reviewers.models import Verdict
from tests.conftest import ARTIFACTS, make_user
from tests.factories import make_article, make_claim, make_source

SHOTS = ARTIFACTS / "browser"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_reviewer_takes_the_next_claim_reads_its_sources_and_records_a_disputed_verdict(
    browser_page, live_server
):
    page = browser_page
    make_user("reviewer", "reviewers", staff=True)
    article = make_article(
        title="Council passes the budget",
        author="Jane Doe",
        sitename="Daily Example",
        status=ArticleStatus.READY,
        text="On Monday the council met in the town hall. The city council approved a budget of 12 million "
        "euros on Monday. Critics said it was too small.",
    )
    text = "The city council approved a budget of 12 million euros on Monday."
    start = article.text.index(text)
    claim = make_claim(article, text=text, start=start, score=0.92)
    make_claim(
        article, text="Critics said it was too small.", start=article.text.index("Critics"), score=0.55
    )
    minutes = make_source(
        claim,
        title="Council minutes, 3 March",
        publisher="City of Example",
        stance="refutes",
        stance_reason="The minutes give 10 million euros.",
        passages=["The council approved a budget of 10 million euros after a long debate."],
        rank=1,
    )
    make_source(claim, title="Budget 2026 overview", stance="unclear", rank=2)

    # Log in as the reviewer.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "reviewer")
    page.fill("#id_password", "pw-reviewer")
    page.click("input[type=submit]")
    page.wait_for_selector("#review-overview")

    # The queue, then take the next claim: the most check-worthy one.
    page.goto(f"{live_server.url}/admin/claims/claim/?queue=unassigned")
    assert "Unassigned, not yet reviewed" in page.inner_text("#content")
    shot(page, "01-queue")
    page.click("#take-next")
    page.wait_for_selector("#claim-text")
    assert page.inner_text("#claim-text") == text
    assert "assigned to reviewer" in page.inner_text("#assignee")
    assert page.inner_text("#claim-mark") == text  # highlighted inside its article

    # Read the sources: ranked, with the best passage, provider, stance hint and a link.
    sources = page.inner_text("#sources")
    assert "Council minutes, 3 March" in sources
    assert "The council approved a budget of 10 million euros after a long debate." in sources
    assert "Refutes" in sources and "The minutes give 10 million euros." in sources
    assert page.get_attribute("#sources a >> nth=0", "href") == minutes.url
    shot(page, "02-claim-page")

    # Record a disputed verdict with a rationale and the source relied on.
    page.check("input[name=label][value=disputed]")
    page.fill("textarea[name=rationale]", "The council minutes record 10 million euros, not 12 million.")
    page.check(f"input[name=sources][value='{minutes.pk}']")
    page.click("#record-verdict")
    page.wait_for_selector("text=Verdict recorded.")
    history = page.inner_text("#history")
    assert "Disputed" in history
    assert "The council minutes record 10 million euros, not 12 million." in history
    assert "Council minutes, 3 March" in history
    page.locator("#history").scroll_into_view_if_needed()
    shot(page, "03-verdict-in-history")

    # The verdict is in the feed consumers poll.
    page.goto(f"{live_server.url}/api/v1/verdicts/")
    shot(page, "04-api-verdict-feed")
    feed = page.request.get(f"{live_server.url}/api/v1/verdicts/", headers={"Accept": "application/json"})
    assert feed.status == 200
    results = json.loads(feed.text())["results"]
    assert [(v["claim"], v["label"], v["reviewer"], v["final"]) for v in results] == [
        (claim.pk, "disputed", "reviewer", True)
    ]
    assert results[0]["sources"][0]["id"] == minutes.pk

    # And on the overview of the admin index.
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("#review-overview svg")
    shot(page, "05-admin-overview")
    assert Verdict.objects.get().reviewer.username == "reviewer"
