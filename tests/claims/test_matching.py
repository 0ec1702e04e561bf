"""Claim matching: a claim that says what an earlier claim said links to it and shows its verdict."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services, stages, vectors
from claims.matching import find_matches, link_article_claims, match_keys
from claims.models import Claim, ClaimMatch
from reviewers.services import record_verdict
from tests.factories import make_article, make_claim
from tests.support.matching import indexes_read, young_database
from textkit.similarity import (
    MATCH_THRESHOLD,
    ClaimKey,
    band_keys,
    cross_lingual_veto,
    fingerprint,
    jaccard,
    similarity,
)

ORIGINAL = "The city council approved a budget of 12 million euros for new cycle lanes on Monday."
EDITED = "On Monday, the City Council approved a 12 million euro budget for new cycle lanes!"


def keyed_claim(article=None, text=ORIGINAL, **fields) -> Claim:
    return make_claim(
        article, text=text, fingerprint=fingerprint(text), match_keys=match_keys(text), **fields
    )


def test_edited_wording_is_similar_and_shares_lsh_bands():
    a, b = ClaimKey.of(ORIGINAL), ClaimKey.of(EDITED)
    score, veto = similarity(b, a)
    assert score >= MATCH_THRESHOLD and veto == ""
    assert set(band_keys(a.shingles)) & set(band_keys(b.shingles))


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        ("The city council approved a budget of 15 million euros for new cycle lanes on Monday.", "figures"),
        (
            "The city council did not approve a budget of 12 million euros for new cycle lanes on Monday.",
            "negates",
        ),
    ],
)
def test_other_figures_or_a_negation_are_not_the_same_claim(other, reason):
    score, veto = similarity(ClaimKey.of(other), ClaimKey.of(ORIGINAL))
    assert score == 0.0 and reason in veto


@pytest.mark.parametrize(
    ("text", "language", "translation", "language_of_translation"),
    [
        (  # "ne … pas" is two negation words, "not" one: the same negation
            "Le ministre a fait savoir qu'il ne démissionnerait pas.",
            "fr",
            "The minister said he would not resign.",
            "en",
        ),
        (  # "neither … nor" against "weder … noch" (one negation word)
            "He informed neither a party member nor an official.",
            "en",
            "Er hat weder ein Parteimitglied noch einen Funktionär informiert.",
            "de",
        ),
        (  # "7m" is no figure to the parser, "7 m" is
            "The ice sheet would raise sea levels by around 7m.",
            "en",
            "Der Eisschild würde den Meeresspiegel um rund 7 m anheben.",
            "de",
        ),
        (  # a figure one side writes as a word ("twentieth century" / "20. Jahrhundert")
            "Twentieth century global warming started in 1910.",
            "en",
            "Die Erderwärmung des 20. Jahrhunderts begann 1910.",
            "de",
        ),
    ],
)
def test_translations_are_not_vetoed_for_how_their_language_writes_figures_or_negation(
    text, language, translation, language_of_translation
):
    assert (
        cross_lingual_veto(ClaimKey.of(translation, language_of_translation), ClaimKey.of(text, language))
        == ""
    )


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (
            "Der Stadtrat hat am Montag ein Budget von 15 Millionen Euro für neue Radwege beschlossen.",
            "figures",
        ),
        ("Der Stadtrat hat am Montag kein Budget für neue Radwege beschlossen.", "negates"),
        (  # one figure shared (the year), the other not
            "Der Stadtrat hat 2024 ein Budget von 15 Millionen Euro für neue Radwege beschlossen.",
            "figures",
        ),
    ],
)
def test_other_figures_or_a_negation_in_another_language_are_vetoed(other, reason):
    assert reason in cross_lingual_veto(ClaimKey.of(other, "de"), ClaimKey.of(ORIGINAL, "en"))


def test_below_the_threshold_a_vector_candidate_must_stand_out_of_the_claims_neighbours():
    """claims/vectors.py: the reference is the mean of the neighbours ranked 6th to 10th; with fewer stored
    claims only the threshold applies."""
    floor, margin, threshold = vectors.VECTOR_FLOOR, vectors.VECTOR_MARGIN, vectors.VECTOR_THRESHOLD
    crowded = [0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44, 0.43, 0.42, 0.41]
    assert vectors.reference(crowded) == pytest.approx(0.43)
    assert not vectors.close_enough(0.5, vectors.reference(crowded))  # like everything near it
    alone = [0.5, 0.2, 0.19, 0.18, 0.17, 0.16, 0.15, 0.14, 0.13, 0.12]
    assert vectors.reference(alone) == pytest.approx(0.14)
    assert vectors.close_enough(0.5, vectors.reference(alone))  # a translation stands out
    young = [0.5, 0.2, 0.19, 0.18, 0.17, 0.16, 0.15, 0.14, 0.13]  # nine stored: no 10th neighbour
    assert not vectors.close_enough(0.5, vectors.reference(young))  # nothing to stand out of yet
    assert vectors.close_enough(threshold, vectors.reference(young))
    assert not vectors.close_enough(floor - 0.01, 0.0)  # never below the floor
    assert vectors.close_enough(threshold, 0.6)  # at the threshold whatever the neighbours
    assert not vectors.close_enough(threshold - 0.01, threshold - 0.01 - margin + 0.001)


@pytest.mark.parametrize(
    ("longer", "shorter"),
    [
        (ORIGINAL, "The city council approved a budget of 12 million euros."),
        (
            "The earth is currently in an interglacial, and the last glacial period ended about 10,000 years ago.",
            "The last glacial period ended about 10,000 years ago.",
        ),
    ],
)
def test_a_claim_that_says_clearly_more_is_not_the_same_claim(longer, shorter):
    """Most of the shorter one's shingles are in the longer one (Jaccard ≥ 0.5), but it leaves out a part."""
    a, b = ClaimKey.of(longer), ClaimKey.of(shorter)
    assert jaccard(a.shingles, b.shingles) >= MATCH_THRESHOLD
    for new, earlier in ((a, b), (b, a)):
        score, veto = similarity(new, earlier)
        assert score == 0.0 and veto == "one says more than the other"


def test_unrelated_claims_do_not_match():
    score, _ = similarity(
        ClaimKey.of("Polar bears are going extinct because of global warming."), ClaimKey.of(ORIGINAL)
    )
    assert score < 0.1


@pytest.mark.django_db
def test_a_claim_in_another_article_finds_the_earlier_claim_not_its_own_article():
    earlier = keyed_claim()
    keyed_claim(text="Unemployment in Germany rose to 5.7 percent in March.")
    later_article = make_article()
    sibling = keyed_claim(later_article, text=ORIGINAL, start=200)  # same article: never a match
    found = find_matches(EDITED, exclude_article_id=later_article.pk)
    assert [m.claim_id for m in found] == [earlier.pk]
    exact = find_matches(ORIGINAL.upper(), exclude_article_id=later_article.pk, before_id=sibling.pk)
    assert [(m.claim_id, m.similarity) for m in exact] == [(earlier.pk, 1.0)]


@pytest.mark.django_db
def test_extraction_stores_keys_and_links_claims_once(page_server, pipeline_settings):
    article, _ = services.submit_article(url=page_server.url("zeit.de.zugverkehr.html"))
    stages.fetch_article(article_id=article.pk)
    assert stages.extract_article(article_id=article.pk)
    first = Claim.objects.filter(article=article).order_by("start").first()
    assert first.match_keys == match_keys(first.text, first.language)

    later = make_article(language="de")
    copy = keyed_claim(later, text=first.text.replace(",", "").upper(), language="de")
    assert link_article_claims(article_id=later.pk) == 1
    assert link_article_claims(article_id=later.pk) == 1  # idempotent: found again, stored once
    (link,) = ClaimMatch.objects.filter(claim=copy)
    assert link.matched_id == first.pk and link.similarity == 1.0


@pytest.mark.django_db
def test_the_claim_detail_shows_the_earlier_claim_with_its_verdict(consumer_client, reviewer):
    earlier = keyed_claim()
    record_verdict(claim=earlier, reviewer=reviewer, label="disputed", rationale="Minutes say 10 million.")
    later = keyed_claim(make_article(), text=EDITED)
    link_article_claims(article_id=later.article_id)
    body = consumer_client.get(f"/api/v1/claims/{later.pk}/").json()
    (match,) = body["matches"]
    assert match["id"] == earlier.pk and match["text"] == ORIGINAL
    assert match["similarity"] >= MATCH_THRESHOLD
    assert match["verdict"]["label"] == "disputed"
    assert consumer_client.get(f"/api/v1/claims/{earlier.pk}/").json()["matches"] == []  # only earlier ones


@pytest.mark.django_db
def test_the_match_key_index_has_no_pending_list():
    """With fastupdate on, every key lookup scans the pending list whole (P3: 4 s for a 112-claim article)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'claim_match_keys_gin'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]


@pytest.mark.django_db
def test_on_a_young_database_the_candidates_come_through_the_match_key_index():
    """A few thousand claims: the planner would test every key against every row (64 ms where the index
    takes 3 ms; docs/benchmarks.md, P10), so matching turns sequential scans off for its statement."""
    young_database(3000)
    text = "The museum of district 42 doubled a survey worth 294 thousand euros in 2007."
    read = indexes_read(lambda: find_matches(text))
    assert "claim_match_keys_gin" in read, read


@pytest.mark.django_db
def test_matchings_planner_settings_do_not_outlast_its_statement():
    """In a caller's transaction (the test's own here, an API request's in use), the statements after
    matching plan as before."""
    settings = "SELECT current_setting('enable_seqscan'), current_setting('jit')"
    with connection.cursor() as cursor:
        cursor.execute(settings)
        before = cursor.fetchone()
        with CaptureQueriesContext(connection) as ran:
            find_matches(ORIGINAL)
        assert any("set_config('enable_seqscan', 'off', true)" in q["sql"] for q in ran.captured_queries)
        cursor.execute(settings)
        assert cursor.fetchone() == before
