import json
from functools import cache

import pytest

from checkworthiness.claimfinder import DEFAULT_THRESHOLD, find_claims, score_sentences
from extraction.main_text import extract_article
from tests.support.evaldata import PAGES_DIR as PAGES


@cache
def article(name: str):
    return extract_article((PAGES / name).read_bytes().decode("utf-8", errors="replace"))


def excluded(text: str, language: str) -> str | None:
    return score_sentences(text, language=language)[0].excluded


@pytest.mark.usefixtures("eval_data")
@pytest.mark.parametrize(
    "page", ["faz.net.streaming.html", "theguardian.com.academics.html", "francais.radio.cz-ministre.html"]
)
def test_claim_offsets_and_spans_point_into_the_article_text(page):
    extracted = article(page)
    claims = find_claims(extracted.text, language=extracted.language, title=extracted.title)
    assert claims
    for claim in claims:
        assert extracted.text[claim.start : claim.end] == claim.text
        assert claim.spans[0] == (claim.start, claim.end)
        assert 0.0 <= claim.score <= 1.0 and claim.signals["excluded"] is None
    assert [c.start for c in claims] == sorted(c.start for c in claims)


@pytest.mark.parametrize(
    ("text", "language", "reason"),
    [
        ("Welche Chancen hat diese Forderung?", "de", "question"),
        ("Wie viel kostet ein Leasingvertrag im Monat?", "de", "question"),
        ("Nicht bloß mehr Geld im Sinn", "de", "heading"),
        ("Von Anna Schmidt", "de", "byline"),
        ("By Jane Doe, Political Correspondent", "en", "byline"),
        ("Bild: dpa", "de", "caption_or_credit"),
        ("Crédits photos : Bestimage", "fr", "caption_or_credit"),
        ("Lesen Sie auch: Neue Regeln für Mieter ab Januar.", "de", "navigation"),
        ("Read more about the new rules here.", "en", "navigation"),
        ("À lire aussi : la réforme des retraites en 10 questions.", "fr", "navigation"),
        ("Melden Sie sich jetzt für unseren Newsletter an.", "de", "newsletter_or_cookie_prompt"),
        ("We use cookies to improve your experience on our website.", "en", "newsletter_or_cookie_prompt"),
        ("Tickets für das Konzert am 12. Mai gibt es ab 25 Euro.", "de", "advert_or_promotion"),
        ("Anzeige: Das neue Modell ist jetzt im Handel erhältlich.", "de", "advert_or_promotion"),
        ("Kommentar verfassen", "de", "comment_section"),
        ("Leave a comment below and tell us what you think.", "en", "comment_section"),
        ("Ich finde das wirklich schön und wichtig.", "de", "opinion_without_checkable_core"),
        ("I think this is a wonderful idea.", "en", "opinion_without_checkable_core"),
        ("Cliquez ici pour découvrir notre offre.", "fr", "imperative"),
    ],
)
def test_non_claims_are_excluded_with_a_reason(text, language, reason):
    assert excluded(text, language) == reason


@pytest.mark.usefixtures("eval_data")
def test_real_page_caption_question_and_heading_are_not_claims():
    extracted = article("faz.net.streaming.html")
    texts = {c.text for c in find_claims(extracted.text, language="de", title=extracted.title)}
    assert "Bild: dpa" not in texts
    assert "Welche Chancen hat diese Forderung?" not in texts
    assert "Nicht bloß mehr Geld im Sinn" not in texts


@pytest.mark.usefixtures("eval_data")
def test_numbered_recommendations_are_not_claims():
    extracted = article("lapresse.tn.parite.html")
    claims = find_claims(extracted.text, language="fr", title=extracted.title)
    assert not [c for c in claims if c.text.startswith(("1-", "2-", "3-"))]


def test_facts_with_numbers_and_attribution_are_claims():
    text = "Laut Statistischem Bundesamt stieg die Zahl der Arbeitslosen im August 2019 um 2,5 Prozent."
    [claim] = find_claims(text, language="de")
    assert claim.signals["percent"] == ["2,5 Prozent"]
    assert "laut" in [s.lower() for s in claim.signals["attribution"]]
    assert claim.signals["model_version"] == "checkworthiness-v3"


def test_duplicates_become_one_claim_with_every_span():
    fact = "The company paid 4.2 million dollars in fines in 2019, the regulator said."
    text = f"{fact}\nOther news followed on Monday, officials in Berlin said.\nFAQ\n{fact}"
    claims = find_claims(text, language="en", threshold=0.0)
    merged = [c for c in claims if c.text == fact]
    assert len(merged) == 1
    second = text.rindex(fact)
    assert merged[0].spans == [(0, len(fact)), (second, second + len(fact))]


def test_headline_repeated_in_the_body_is_kept_once():
    headline = "Berlin spends 3 billion euros on schools in 2024, the senate said."
    text = f"{headline}\nThe senate approved the budget on Tuesday with 90 votes.\n{headline}"
    claims = find_claims(text, language="en", title=headline, threshold=0.0)
    assert sum(1 for c in claims if c.text == headline) == 1


def test_claims_carry_context_and_title():
    text = "First sentence about a topic here. The city spent 12 million euros on roads in 2020. Last words."
    [claim] = [
        c for c in find_claims(text, language="en", title="Roads", threshold=0.0) if "12 million" in c.text
    ]
    assert claim.context == {
        "before": "First sentence about a topic here.",
        "after": "Last words.",
        "title": "Roads",
    }


def test_other_languages_get_language_independent_signals_and_the_same_model():
    text = "Il governo ha speso 3.000 euro per alunno nel 2020, secondo il ministero."
    [claim] = find_claims(text, language="it", threshold=0.0)
    assert claim.language == "it"
    assert claim.signals["model_version"] == "checkworthiness-v3"
    assert "attribution" not in claim.signals and "money" in claim.signals


@pytest.mark.parametrize(
    ("text", "signal", "snippet"),
    [
        ("Die Züge fahren zwischen Madrid und Köln schon heute sehr schnell.", "entity", "Madrid"),
        ("Der Politiker war am Mittwoch auch bei der Kundgebung.", "date", "am Mittwoch"),
        ("Zu Beginn der Debatte hatte Johnson um Unterstützung geworben.", "entity", "Johnson"),
        ("Auch FDP-Chef Lindner fordert mehr Züge.", "entity", "Lindner"),
        ("Die Firma Beispiel GmbH hat Insolvenz angemeldet.", "entity", "Beispiel GmbH"),
        ("Fast zwei Drittel der Befragten stimmten zu.", "quantity", "zwei Drittel"),
        ("Ein Regierungssprecher bekräftigte, dass das Gesetz gilt.", "attribution", "bekräftigte"),
    ],
)
def test_german_facts_without_numbers_get_signals(text, signal, snippet):
    [scored] = score_sentences(text, language="de")
    assert snippet in scored.signals[signal]


def test_a_german_fact_without_numbers_or_acronyms_is_a_claim():
    text = "Zu Beginn der Debatte hatte Johnson noch einmal um Unterstützung für den neuen Vertrag geworben."
    [claim] = find_claims(text, language="de")
    assert claim.score >= DEFAULT_THRESHOLD and claim.signals["model_version"] == "checkworthiness-v3"


def test_a_quoted_stance_scores_below_a_reported_fact():
    stance = score_sentences("„Ich finde das wirklich toll“, sagte Müller am Montag.", language="de")[0]
    fact = score_sentences(
        "Müller trat am Montag nach zwölf Jahren als Bürgermeister zurück.", language="de"
    )[0]
    assert stance.model_score < fact.model_score


# Every sentence that may be a claim on ~100 pages goes through the encoder (v3): minutes on a loaded 2-core
# machine, more than the suite's default per-test limit.
@pytest.mark.timeout(1800)
@pytest.mark.usefixtures("eval_data")
def test_no_claim_on_the_shared_news_pages_contains_their_known_boilerplate():
    """Every news page of the evaluation data (tests/support/evaldata.py), through main-text and claim extraction: none of the
    snippets the manifest marks as boilerplate (navigation, adverts, prompts, footers) becomes a claim."""
    manifest = json.loads((PAGES / "manifest.json").read_text())
    leaked = []
    checked = 0
    for entry in manifest:
        if not entry["news"]:
            continue
        article = extract_article((PAGES / entry["file"]).read_bytes().decode("utf-8", "replace"))
        claims = find_claims(article.text, language=article.language, title=article.title)
        for snippet in entry["must_not_contain"]:
            checked += 1
            leaked += [(entry["file"], snippet) for claim in claims if snippet in claim.text]
    assert checked > 80
    assert leaked == []


@pytest.mark.parametrize(
    ("text", "language", "claim"),
    [
        (
            "Der Chipmarkt wächst.\nHuawei baut eigene Chips Der Konzern hat am Montag drei Milliarden Euro "
            "in ein Werk in Shenzhen investiert.\n",
            "de",
            "Der Konzern hat am Montag drei Milliarden Euro in ein Werk in Shenzhen investiert.",
        ),
        (
            "Inflation is back.\nConsumer Prices Keep Rising Across Europe The consumer price index rose by 3.2 percent in May, "
            "the statistics office said.\n",
            "en",
            "The consumer price index rose by 3.2 percent in May, the statistics office said.",
        ),
        (
            "Le marché recule.\nUn marché en berne Les ventes de voitures neuves ont reculé de 12 % en mai, "
            "selon la fédération.\n",
            "fr",
            "Les ventes de voitures neuves ont reculé de 12 % en mai, selon la fédération.",
        ),
    ],
)
def test_a_glued_subheading_is_not_part_of_the_claim_after_it(text, language, claim):
    scored = {s.sentence.text: s for s in score_sentences(text, language=language)}
    assert claim in scored  # the claim starts after the subheading, not with it
    heading = text.split("\n")[1][: text.split("\n")[1].index(claim)].strip()
    assert scored[heading].excluded == "heading"
