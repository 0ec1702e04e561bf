"""The workflow fact-checkers ask for (issue 17): leads reassign a held claim, a reviewer sends a claim back
to the queue with a comment, draft verdicts saved and resumed, the activity log of a claim, 'take the next
claim' that gives back the claim you hold, and a lead re-running a claim's source search. Each through the
API and through the admin, which call the same services (reviewers/services.py)."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.urls import reverse

from claims.models import ArticleStatus, Claim, ClaimStatus
from reviewers.models import Assignment, ClaimAction, ClaimEvent, Verdict, VerdictDraft
from reviewers.services import assign_claim, record_verdict, save_draft, take_next_claim
from tests.conftest import client_for
from tests.factories import make_article, make_claim, make_source
from tests.support.admin import browser_for, claim_url

pytestmark = pytest.mark.django_db


def assignment_url(claim) -> str:
    return reverse("admin:claims_claim_assignment", args=[claim.pk])


def actions(claim) -> list[str]:
    return list(ClaimEvent.objects.filter(claim=claim).values_list("action", flat=True))


# --- reassignment --------------------------------------------------------------------------------


def test_a_lead_reassigns_a_held_claim_over_the_api_and_the_log_names_both_reviewers(
    reviewer, second_reviewer, lead
):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    taken = client_for(second_reviewer).post(f"/api/v1/claims/{claim.pk}/assign/", {}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "already_assigned")
    refused = client_for(reviewer).post(
        f"/api/v1/claims/{claim.pk}/assign/", {"reviewer": "second-reviewer"}, format="json"
    )
    assert refused.status_code == 403  # only leads hand claims to someone else
    moved = client_for(lead).post(
        f"/api/v1/claims/{claim.pk}/assign/", {"reviewer": "second-reviewer"}, format="json"
    )
    assert (moved.status_code, moved.json()["reviewer"]) == (200, "second-reviewer")
    assert Assignment.objects.open().get(claim=claim).reviewer == second_reviewer
    log = client_for(lead).get(f"/api/v1/claims/{claim.pk}/activity/").json()
    assert [(e["action"], e["actor"], e["reviewer"], e["previous_reviewer"]) for e in log] == [
        ("assigned", "reviewer", "reviewer", None),
        ("reassigned", "lead", "second-reviewer", "reviewer"),
    ]


def test_a_lead_reassigns_a_held_claim_in_the_admin(reviewer, second_reviewer, lead):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    page = browser_for(lead).get(claim_url(claim)).content.decode()
    assert 'id="assign-claim"' in page and ">Reassign<" in page
    browser_for(lead).post(assignment_url(claim), {"assign": "", "reviewer": second_reviewer.pk})
    assert Assignment.objects.open().get(claim=claim).reviewer == second_reviewer
    assert actions(claim) == [ClaimAction.ASSIGNED, ClaimAction.REASSIGNED]
    # A reviewer has no reassign control, and posting it by hand changes nothing.
    assert 'id="assign-claim"' not in browser_for(reviewer).get(claim_url(claim)).content.decode()
    browser_for(reviewer).post(assignment_url(claim), {"assign": "", "reviewer": reviewer.pk})
    assert Assignment.objects.open().get(claim=claim).reviewer == second_reviewer


# --- sending back --------------------------------------------------------------------------------


def test_a_reviewer_sends_a_claim_back_with_a_comment_over_the_api(reviewer, second_reviewer, lead):
    claim = make_claim()
    api = client_for(reviewer)
    assert api.post("/api/v1/claims/next/").json()["id"] == claim.pk
    empty = api.post(f"/api/v1/claims/{claim.pk}/send-back/", {"comment": "  "}, format="json")
    assert empty.status_code == 400
    stranger = client_for(second_reviewer).post(
        f"/api/v1/claims/{claim.pk}/send-back/", {"comment": "Not mine."}, format="json"
    )
    assert stranger.status_code == 403
    sent = api.post(
        f"/api/v1/claims/{claim.pk}/send-back/", {"comment": "Needs a German speaker."}, format="json"
    )
    assert sent.status_code == 200
    assert sent.json() == {"claim": claim.pk, "reviewer": None, "assigned_at": None}
    assert not Assignment.objects.open().filter(claim=claim).exists()
    event = ClaimEvent.objects.get(claim=claim, action=ClaimAction.SENT_BACK)
    assert (event.actor, event.reviewer, event.comment) == (reviewer, reviewer, "Needs a German speaker.")
    again = api.post(f"/api/v1/claims/{claim.pk}/send-back/", {"comment": "Again."}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "not_assigned")
    # The queue does not offer it to the reviewer who sent it back; the next reviewer gets it.
    assert api.post("/api/v1/claims/next/").status_code == 204
    assert client_for(second_reviewer).post("/api/v1/claims/next/").json()["id"] == claim.pk
    # A lead may send back a claim someone else holds.
    by_lead = client_for(lead).post(
        f"/api/v1/claims/{claim.pk}/send-back/", {"comment": "Wrong desk."}, format="json"
    )
    assert by_lead.status_code == 200
    assert not Assignment.objects.open().filter(claim=claim).exists()


def test_a_reviewer_sends_a_claim_back_in_the_admin_and_the_page_shows_why(reviewer, second_reviewer):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    page = browser_for(reviewer).get(claim_url(claim)).content.decode()
    assert 'id="send-back-claim"' in page
    no_comment = browser_for(reviewer).post(
        assignment_url(claim), {"send_back": "", "comment": ""}, follow=True
    )
    assert "say why in the comment" in no_comment.content.decode()
    assert Assignment.objects.open().filter(claim=claim).exists()
    browser_for(reviewer).post(
        assignment_url(claim), {"send_back": "", "comment": "The figures need the EU report."}
    )
    assert not Assignment.objects.open().filter(claim=claim).exists()
    shown = browser_for(second_reviewer).get(claim_url(claim)).content.decode()
    assert 'id="sent-back"' in shown and "The figures need the EU report." in shown
    assert 'id="send-back-claim"' not in shown  # nobody holds it now


# --- drafts --------------------------------------------------------------------------------------


def test_a_draft_is_saved_resumed_replaced_and_used_up_by_the_verdict_over_the_api(reviewer, consumer_client):
    claim = make_claim()
    source = make_source(claim)
    api = client_for(reviewer)
    url = f"/api/v1/claims/{claim.pk}/draft/"
    assert api.get(url).status_code == 404
    assert api.put(url, {}, format="json").json()["code"] == "empty_draft"
    foreign = make_source(make_claim())
    assert api.put(url, {"sources": [foreign.pk]}, format="json").status_code == 400
    saved = api.put(url, {"label": "disputed", "rationale": "Minutes say 10 million"}, format="json")
    assert saved.status_code == 200
    assert saved.json()["label"] == "disputed" and saved.json()["sources"] == []
    replaced = api.put(url, {"rationale": "Minutes say 10 million.", "sources": [source.pk]}, format="json")
    assert replaced.json()["label"] == "" and replaced.json()["sources"] == [source.pk]
    assert VerdictDraft.objects.filter(claim=claim, reviewer=reviewer).count() == 1
    assert Verdict.objects.count() == 0  # nothing decided
    assert api.get(url).json()["rationale"] == "Minutes say 10 million."
    assert consumer_client.get(url).status_code == 403
    assert consumer_client.put(url, {"label": "verified"}, format="json").status_code == 403

    decided = api.post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "disputed", "rationale": "Minutes say 10 million.", "sources": [source.pk]},
        format="json",
    )
    assert decided.status_code == 201
    assert api.get(url).status_code == 404  # used up by the verdict
    assert api.put(url, {"label": "verified"}, format="json").status_code == 200  # a new draft later
    assert api.delete(url).status_code == 204
    assert api.delete(url).status_code == 404


def test_a_draft_follows_the_rules_of_deciding(settings, reviewer, second_reviewer, lead):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    disagreement = make_claim()
    record_verdict(claim=disagreement.pk, reviewer=reviewer, label="verified", rationale="Yes.")
    record_verdict(claim=disagreement.pk, reviewer=second_reviewer, label="disputed", rationale="No.")
    escalated = client_for(reviewer).put(
        f"/api/v1/claims/{disagreement.pk}/draft/", {"label": "verified"}, format="json"
    )
    assert escalated.status_code == 403 and "a lead decides" in escalated.json()["detail"]
    claim = make_claim()
    assign_claim(claim=claim, reviewer=second_reviewer, by=second_reviewer)
    held = client_for(reviewer).put(f"/api/v1/claims/{claim.pk}/draft/", {"label": "verified"}, format="json")
    assert held.status_code == 403 and "assigned to second-reviewer" in held.json()["detail"]
    by_lead = client_for(lead).put(f"/api/v1/claims/{claim.pk}/draft/", {"label": "verified"}, format="json")
    assert by_lead.status_code == 200


def test_a_draft_is_saved_and_resumed_in_the_admin(reviewer):
    claim = make_claim()
    source = make_source(claim, title="Council minutes")
    client = browser_for(reviewer)
    response = client.post(
        claim_url(claim),
        {"save_draft": "", "label": "disputed", "rationale": "Half-way there", "sources": [str(source.pk)]},
    )
    assert response.status_code == 302
    draft = VerdictDraft.objects.get(claim=claim, reviewer=reviewer)
    assert (draft.label, draft.rationale, draft.source_ids) == ("disputed", "Half-way there", [source.pk])
    assert not Verdict.objects.exists()
    page = client.get(claim_url(claim)).content.decode()
    assert 'id="draft-note"' in page
    assert "Half-way there</textarea>" in page
    assert re.search(r'<input type="radio" name="label" value="disputed"[^>]* checked>', page)
    assert re.search(rf'<input type="checkbox" name="sources" value="{source.pk}"[^>]* checked>', page)
    client.post(claim_url(claim), {"discard_draft": ""})
    assert not VerdictDraft.objects.exists()
    empty = client.post(claim_url(claim), {"save_draft": "", "rationale": ""}, follow=True)
    assert "The draft is empty" in empty.content.decode()


# --- the activity log ------------------------------------------------------------------------------


def test_the_activity_log_lists_who_did_what_and_when_over_the_api(settings, reviewer, second_reviewer, lead):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    claim = make_claim()
    api = client_for(reviewer)
    api.post("/api/v1/claims/next/")
    api.post(f"/api/v1/claims/{claim.pk}/send-back/", {"comment": "Not my field."}, format="json")
    client_for(second_reviewer).post(f"/api/v1/claims/{claim.pk}/assign/", {}, format="json")
    client_for(second_reviewer).put(f"/api/v1/claims/{claim.pk}/draft/", {"label": "verified"}, format="json")
    record_verdict(
        claim=claim.pk, reviewer=second_reviewer, label="verified", rationale="Matches the minutes."
    )
    record_verdict(claim=claim.pk, reviewer=reviewer, label="disputed", rationale="The minutes say 10.")
    record_verdict(claim=claim.pk, reviewer=lead, label="disputed", rationale="Settled.", override=True)

    response = client_for(lead).get(f"/api/v1/claims/{claim.pk}/activity/")
    assert response.status_code == 200
    log = response.json()
    assert [(e["action"], e["actor"]) for e in log] == [
        ("assigned", "reviewer"),
        ("sent_back", "reviewer"),
        ("assigned", "second-reviewer"),
        ("drafted", "second-reviewer"),
        ("decided", "second-reviewer"),
        ("escalated", "reviewer"),
        ("overridden", "lead"),
    ]
    assert log[1]["comment"] == "Not my field."
    assert (log[4]["label"], log[4]["state"]) == ("verified", "provisional")
    assert log[-1]["verdict"] == Verdict.objects.latest("claim_version").pk
    times = [e["at"] for e in log]
    assert times == sorted(times)

    assert client_for(None).get(f"/api/v1/claims/{claim.pk}/activity/").status_code == 401
    assert response["ETag"]
    unchanged = client_for(lead).get(
        f"/api/v1/claims/{claim.pk}/activity/", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert unchanged.status_code == 304


def test_consumers_do_not_read_the_activity_log(consumer_client):
    claim = make_claim()
    assert consumer_client.get(f"/api/v1/claims/{claim.pk}/activity/").status_code == 403
    assert consumer_client.get(f"/api/v1/claims/{claim.pk + 1000}/activity/").status_code == 404


def test_the_claim_page_shows_the_activity(reviewer, lead):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=lead)
    save_draft(claim=claim, reviewer=reviewer, rationale="Started.")
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="The minutes agree.")
    page = browser_for(reviewer).get(claim_url(claim)).content.decode()
    section = page[page.index('id="activity"') : page.index('id="history"')]
    assert section.count('<tr class="activity-') == 3
    assert "Assigned → reviewer" in section and "Draft saved" in section and "Decided" in section
    assert "The minutes agree." in section


# --- the queue -------------------------------------------------------------------------------------


def test_take_next_gives_back_the_held_claim_until_another_is_asked_for(reviewer):
    article = make_article()
    first = make_claim(article, score=0.9, start=0)
    second = make_claim(article, score=0.8, start=100)
    assert take_next_claim(reviewer=reviewer) == first
    assert take_next_claim(reviewer=reviewer) == first
    assert Assignment.objects.filter(reviewer=reviewer).count() == 1
    assert take_next_claim(reviewer=reviewer, another=True) == second
    assert list(Assignment.objects.open().values_list("claim", flat=True)) == [second.pk]
    assert actions(first) == [ClaimAction.ASSIGNED, ClaimAction.SKIPPED]
    # The filters pick among held claims too: asking for another article's claims takes one of those.
    other = make_claim(make_article(language="de"), language="de", score=0.5)
    assert take_next_claim(reviewer=reviewer, language="de") == other


@pytest.mark.django_db(transaction=True)
def test_one_reviewer_asking_twice_at_once_is_given_one_claim(reviewer):
    make_claim(score=0.9)
    make_claim(score=0.8)
    got = []
    barrier = threading.Barrier(2)

    def ask():
        try:
            barrier.wait()
            got.append(take_next_claim(reviewer=reviewer))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(got) == 2 and got[0] == got[1]
    assert Assignment.objects.open().filter(reviewer=reviewer).count() == 1


# --- re-running a claim's search -----------------------------------------------------------------


FAILED_WIKIPEDIA = [
    {"provider": "archive", "state": "ok", "detail": "", "queries": ["budget"], "count": 1, "elapsed_ms": 5},
    {
        "provider": "wikipedia",
        "state": "unavailable",
        "detail": "Wikipedia: dns_error",
        "queries": ["budget"],
        "count": 0,
        "elapsed_ms": 9,
    },
]


def test_leads_rerun_a_claims_search_over_the_api(reviewer_client, lead, django_capture_on_commit_callbacks):
    article = make_article(status=ArticleStatus.READY)
    claim = make_claim(article, provider_reports=FAILED_WIKIPEDIA)
    assert reviewer_client.post(f"/api/v1/claims/{claim.pk}/search/").status_code == 403
    with django_capture_on_commit_callbacks() as published:
        response = client_for(lead).post(f"/api/v1/claims/{claim.pk}/search/")
    assert response.status_code == 202
    assert response.json() == {"claim": claim.pk, "status": "pending"}
    assert len(published) == 1  # the search message, sent once the transaction committed
    claim.refresh_from_db()
    article.refresh_from_db()
    assert (claim.status, claim.attempts, article.status) == (ClaimStatus.PENDING, 0, ArticleStatus.SOURCING)
    running = client_for(lead).post(f"/api/v1/claims/{claim.pk}/search/")
    assert (running.status_code, running.json()["code"]) == (409, "search_running")
    assert actions(claim) == [ClaimAction.SEARCH_RERUN]


def test_leads_rerun_a_claims_search_in_the_admin(reviewer, lead):
    claim = make_claim(provider_reports=FAILED_WIKIPEDIA)
    page = browser_for(lead).get(claim_url(claim)).content.decode()
    assert 'id="rerun-search"' in page
    assert 'id="rerun-search"' not in browser_for(reviewer).get(claim_url(claim)).content.decode()
    rerun = reverse("admin:claims_claim_rerun_search", args=[claim.pk])
    browser_for(reviewer).post(rerun)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SOURCED
    browser_for(lead).post(rerun)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PENDING
