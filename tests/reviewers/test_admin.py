"""The admin as the reviewers' workplace: queues, take-next, the claim page, the verdict form (with the
conflict message), the overview charts on the index, and the article pipeline page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims.matching import link_article_claims, match_keys
from claims.models import ArticleStatus, ClaimMatch, ClaimStatus
from reviewers.models import Assignment, Verdict
from reviewers.services import record_verdict
from tests.conftest import make_user
from tests.factories import make_article, make_claim, make_source
from tests.support.admin import browser_for, claim_url
from textkit.similarity import fingerprint

pytestmark = pytest.mark.django_db


def test_the_claim_list_has_queues_and_take_next(reviewer):
    make_claim(score=0.7)
    page = browser_for(reviewer).get(reverse("admin:claims_claim_changelist") + "?queue=unassigned")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Take the next claim" in html
    assert "Awaiting second review" in html


def test_take_next_assigns_and_opens_the_claim_and_gives_it_back_until_another_is_asked_for(reviewer):
    claim = make_claim()
    client = browser_for(reviewer)
    response = client.post(reverse("admin:claims_claim_take_next"))
    assert response.status_code == 302 and response["Location"] == claim_url(claim)
    assert Assignment.objects.open().get(claim=claim).reviewer == reviewer
    again = client.post(reverse("admin:claims_claim_take_next"))
    assert again["Location"] == claim_url(claim)
    assert Assignment.objects.filter(reviewer=reviewer).count() == 1
    empty = client.post(reverse("admin:claims_claim_take_next"), {"another": ""}, follow=True)
    assert "Nothing left to take" in empty.content.decode()
    assert not Assignment.objects.open().exists()


def test_the_claim_page_shows_article_sources_fact_checks_matches_and_history(reviewer):
    article = make_article(author="Jane Doe", sitename="Daily Example")
    claim = make_claim(article)
    make_source(
        claim,
        title="Council minutes",
        stance="refutes",
        stance_reason="says 10 million",
        passages=["The council approved 10 million euros."],
    )
    make_source(claim, title="Fact-check: the budget", rating="False", provider="factchecktools")
    earlier = make_claim(text=claim.text, fingerprint=claim.fingerprint)
    record_verdict(claim=earlier, reviewer=reviewer, label="disputed", rationale="Minutes say 10 million.")
    ClaimMatch.objects.create(claim=claim, matched=earlier, similarity=1.0)
    html = browser_for(reviewer).get(claim_url(claim)).content.decode()
    assert (
        '<mark id="claim-mark">The city council approved a budget of 12 million euros on Monday.</mark>'
        in html
    )
    assert "Jane Doe" in html and "Daily Example" in html
    assert "Council minutes" in html and "The council approved 10 million euros." in html
    assert "Refutes" in html and "says 10 million" in html
    assert "rated <strong>False</strong>" in html
    assert "Minutes say 10 million." in html  # the earlier claim's verdict
    assert 'name="record_verdict"' in html
    assert "No verdict yet." in html


def keyed(article, text: str):
    return make_claim(article, text=text, fingerprint=fingerprint(text), match_keys=match_keys(text))


def test_earlier_claims_are_the_stored_matches_with_their_article_and_current_verdict(reviewer, lead):
    """Edited wording (another fingerprint) is found; a same-fingerprint claim that is no match is not."""
    first = keyed(
        make_article(title="Budget vote, first report"),
        "The city council approved a budget of 12 million euros for new cycle lanes on Monday.",
    )
    record_verdict(claim=first, reviewer=reviewer, label="disputed", rationale="Minutes say 10 million.")
    first.refresh_from_db()
    record_verdict(
        claim=first,
        reviewer=lead,
        label="unsupported",
        rationale="The minutes say 10 million.",
        override=True,
    )
    undecided = keyed(
        make_article(title="Budget vote, wire copy"),
        "On Monday the city council approved a budget of 12 million euros for new cycle lanes.",
    )
    claim = keyed(
        make_article(), "On Monday, the City Council approved a 12 million euro budget for new cycle lanes!"
    )
    later = keyed(make_article(title="A later copy"), claim.text)  # same fingerprint, but not earlier
    assert link_article_claims(article_id=claim.article_id) == 2
    assert claim.fingerprint != first.fingerprint

    html = browser_for(reviewer).get(claim_url(claim)).content.decode()
    section = html.split("Earlier claims saying the same", 1)[1]
    assert section.count('class="earlier-claim"') == 2
    assert reverse("admin:claims_claim_change", args=[first.pk]) in section
    assert reverse("admin:claims_claim_change", args=[undecided.pk]) in section
    assert reverse("admin:claims_claim_change", args=[later.pk]) not in section
    assert "Budget vote, first report" in section and "Budget vote, wire copy" in section
    assert reverse("admin:claims_article_change", args=[first.article_id]) in section
    # the current verdict is the lead's newer one, not the first review
    assert "The minutes say 10 million." in section and "Minutes say 10 million." not in section
    assert "no verdict yet" in section


def test_recording_a_verdict_in_the_admin(reviewer):
    claim = make_claim()
    source = make_source(claim)
    response = browser_for(reviewer).post(
        claim_url(claim),
        {
            "record_verdict": "1",
            "label": "disputed",
            "rationale": "Minutes say 10m.",
            "sources": [str(source.pk)],
            "version": "0",
        },
        follow=True,
    )
    assert "Verdict recorded." in response.content.decode()
    verdict = Verdict.objects.get(claim=claim)
    assert (verdict.label, verdict.reviewer, verdict.cited_sources[0]["id"]) == (
        "disputed",
        reviewer,
        source.pk,
    )
    assert "Minutes say 10m." in response.content.decode()  # in the history below


def test_a_missing_rationale_is_shown_as_a_form_error(reviewer):
    claim = make_claim()
    response = browser_for(reviewer).post(
        claim_url(claim), {"record_verdict": "1", "label": "verified", "rationale": "", "version": "0"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Verdict.objects.exists()


def test_a_stale_form_gets_a_clear_conflict_message_and_keeps_the_input(reviewer, second_reviewer):
    claim = make_claim()
    record_verdict(claim=claim, reviewer=second_reviewer, label="verified", rationale="Looks right.")
    response = browser_for(reviewer).post(
        claim_url(claim),
        {"record_verdict": "1", "label": "disputed", "rationale": "My careful rationale.", "version": "0"},
        follow=True,
    )
    html = response.content.decode()
    assert "Conflict — not saved: second-reviewer recorded “Verified”" in html
    assert "My careful rationale." in html  # nothing the reviewer typed is lost
    assert 'name="version" value="1"' in html  # submitting again now deliberately supersedes
    assert Verdict.objects.filter(claim=claim).count() == 1


def test_consumers_and_reviewers_without_rights_cannot_decide_in_the_admin(reviewer, second_reviewer):
    claim = make_claim()
    Assignment.objects.create(
        claim=claim, reviewer=reviewer, assigned_by=reviewer, assigned_at=claim.created_at
    )
    client = browser_for(second_reviewer)
    assert "only they or a lead may decide it" in client.get(claim_url(claim)).content.decode()
    response = client.post(
        claim_url(claim),
        {"record_verdict": "1", "label": "verified", "rationale": "x", "version": "0"},
        follow=True,
    )
    assert "Not saved: This claim is assigned to reviewer" in response.content.decode()
    assert not Verdict.objects.exists()


def test_take_release_and_assign_buttons(reviewer, second_reviewer, lead):
    claim = make_claim()
    url = reverse("admin:claims_claim_assignment", args=[claim.pk])
    browser_for(reviewer).post(url, {"take": "1"})
    assert Assignment.objects.open().get().reviewer == reviewer
    refused = browser_for(second_reviewer).post(url, {"release": "1"}, follow=True)
    assert "Not changed" in refused.content.decode()
    browser_for(lead).post(url, {"assign": "1", "reviewer": str(second_reviewer.pk)})
    assert Assignment.objects.open().get().reviewer == second_reviewer


def test_the_admin_index_shows_the_overview_charts(reviewer, second_reviewer):
    for user, label in [(reviewer, "verified"), (second_reviewer, "disputed"), (reviewer, "unsupported")]:
        record_verdict(claim=make_claim(), reviewer=user, label=label, rationale="x")
    make_claim()
    html = browser_for(reviewer).get(reverse("admin:index")).content.decode()
    assert 'id="review-overview"' in html
    assert html.count("<svg") >= 4
    assert "<title>Unassigned, not yet reviewed: 1</title>" in html
    assert "verified: 1</title>" in html and "disputed: 1</title>" in html
    assert "Final verdicts per reviewer" in html
    assert 'id="median-time"' in html and "—" not in html.split('id="median-time"')[1][:40]


def test_the_overview_is_hidden_from_accounts_that_cannot_see_claims():
    staff = make_user("staff-without-role", staff=True)
    html = browser_for(staff).get(reverse("admin:index")).content.decode()
    assert 'id="review-overview"' not in html


def test_the_article_list_shows_stage_bars_and_error_codes(lead):
    make_article(status=ArticleStatus.FAILED, error_code="http_404", error_message="Not found.")
    sourcing = make_article(status=ArticleStatus.SOURCING)
    make_claim(sourcing, status=ClaimStatus.SOURCED)
    make_claim(sourcing, start=100, status=ClaimStatus.PENDING)
    html = browser_for(lead).get(reverse("admin:claims_article_changelist")).content.decode()
    assert "http_404" in html and "in fetch" in html
    assert "sources 1/2" in html
    assert "Re-run the failed stage" in html


def test_only_leads_see_and_use_the_rerun_action(reviewer, lead):
    failed = make_article(status=ArticleStatus.FAILED, error_code="timeout", error_message="Timed out.")
    url = reverse("admin:claims_article_changelist")
    assert "Re-run the failed stage" not in browser_for(reviewer).get(url).content.decode()
    response = browser_for(lead).post(
        url, {"action": "rerun_failed_stage", "_selected_action": [failed.pk]}, follow=True
    )
    assert "Re-queued" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == ArticleStatus.QUEUED


def test_deleting_an_article_with_verdicts_is_refused_in_the_admin(reviewer, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="pw")
    claim = make_claim()
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    url = reverse("admin:claims_article_delete", args=[claim.article_id])
    page = browser_for(admin).get(url)
    assert "Cannot delete article" in page.content.decode()
    browser_for(admin).post(url, {"post": "yes"})
    assert Verdict.objects.filter(claim=claim).exists()


def test_a_final_verdict_is_said_to_stay_current_until_a_new_one_would_supersede_it(reviewer):
    claim = make_claim()
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="Minutes agree.")
    html = browser_for(reviewer).get(claim_url(claim)).content.decode()
    banner = html[html.index('id="review-state"') :][:600]
    assert (
        "It stays the current verdict until someone records a new one, which would then supersede it."
        in banner
    )
    assert "A new verdict supersedes it." not in html


def test_the_claims_list_cuts_long_claims_at_a_word_with_the_whole_text_on_hover(reviewer):
    long_text = "The city council approved " + "a considerably larger budget " * 12 + "on Monday."
    make_claim(text=long_text)
    html = browser_for(reviewer).get(reverse("admin:claims_claim_changelist")).content.decode()
    assert f'title="{long_text}"' in html
    shown = html.split(f'title="{long_text}">', 1)[1].split("</span>", 1)[0]
    assert shown.endswith("…") and len(shown) <= 220
    assert long_text.startswith(shown[:-1]) and long_text[len(shown) - 1] == " "  # cut between words


def test_the_login_page_and_header_carry_the_product_name(reviewer):
    login = Client().get(reverse("admin:login")).content.decode()
    assert "Factcheck review" in login and "Django administration" not in login
    assert "<title>Log in | Factcheck</title>" in login
    index = browser_for(reviewer).get(reverse("admin:index")).content.decode()
    assert '<div id="site-name"><a href="/admin/">Factcheck review</a></div>' in index
    assert "Review workplace" in index


def test_the_article_page_lists_each_claim_once(reviewer):
    article = make_article()
    claim = make_claim(article)
    html = (
        browser_for(reviewer).get(reverse("admin:claims_article_change", args=[article.pk])).content.decode()
    )
    section = html[html.index('id="article-claims"') :]
    assert section.count(claim.text) == 2  # the link's hover title and its text: one row
    assert section.count(f'href="/admin/claims/claim/{claim.pk}/change/"') == 1
