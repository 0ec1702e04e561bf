import json
from functools import cache
from pathlib import Path

import pytest

from extraction.main_text import extract_article
from extraction.segmentation import glued_heading_length, split_sentences
from tests.support.evaldata import PAGES_DIR as PAGES

LABELLED = Path(__file__).resolve().parents[2] / "eval" / "claims-dev"


@cache
def article(name: str):
    return extract_article((PAGES / name).read_bytes().decode("utf-8", errors="replace"))


@pytest.mark.usefixtures("eval_data")
@pytest.mark.parametrize(
    "page",
    [
        "faz.net.streaming.html",
        "de.cointelegraph.com-CME.html",
        "theguardian.com.academics.html",
        "independent.co.uk.penalty.html",
        "francais.radio.cz-ministre.html",
        "lapresse.tn.parite.html",
    ],
)
def test_every_sentence_offset_points_at_its_text_on_real_pages(page):
    extracted = article(page)
    sentences = split_sentences(extracted.text, language=extracted.language)
    assert len(sentences) > 5
    for sentence in sentences:
        assert extracted.text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "de",
            "Nach § 5 Abs. 2 Nr. 3 BGB ist das so. Das ist gut.",
            ["Nach § 5 Abs. 2 Nr. 3 BGB ist das so.", "Das ist gut."],
        ),
        ("de", "Es gibt z. B. Äpfel. Und mehr.", ["Es gibt z. B. Äpfel.", "Und mehr."]),
        ("de", "Am 15. August 2019 kam er. Dann ging er.", ["Am 15. August 2019 kam er.", "Dann ging er."]),
        (
            "de",
            "Das kostet 2,5 Mrd. Euro. Der Rest ist ca. 3 Mio. Euro.",
            ["Das kostet 2,5 Mrd. Euro.", "Der Rest ist ca. 3 Mio. Euro."],
        ),
        ("de", "Das sagte Prof. Dr. Müller. Er kam.", ["Das sagte Prof. Dr. Müller.", "Er kam."]),
        (
            "fr",
            "Au 3e trim. 2019, le PIB a augmenté de 0,3 %. C'est bien.",
            ["Au 3e trim. 2019, le PIB a augmenté de 0,3 %.", "C'est bien."],
        ),
        (
            "fr",
            "Le 14 juillet, p. ex. à Paris, il y avait du monde. Fin.",
            ["Le 14 juillet, p. ex. à Paris, il y avait du monde.", "Fin."],
        ),
        ("fr", "Il est né le 1er janv. 1950 à Lyon. Fin.", ["Il est né le 1er janv. 1950 à Lyon.", "Fin."]),
        ("fr", "Mme Dupont et Dr. Martin sont là. Fin.", ["Mme Dupont et Dr. Martin sont là.", "Fin."]),
        (
            "en",
            "Mr. Smith said the U.S. economy grew 2.5% in Q3. Fine.",
            ["Mr. Smith said the U.S. economy grew 2.5% in Q3.", "Fine."],
        ),
    ],
)
def test_abbreviations_and_ordinals_do_not_end_a_sentence(language, text, expected):
    assert [s.text for s in split_sentences(text, language=language)] == expected


@pytest.mark.usefixtures("eval_data")
def test_ordinal_date_in_a_real_german_page_stays_inside_its_sentence():
    extracted = article("de.cointelegraph.com-CME.html")
    texts = [s.text for s in split_sentences(extracted.text, language="de")]
    assert any("am 30. Oktober einen Wert von 3,58 Milliarden" in t for t in texts)


def test_lines_are_paragraphs_and_headings_are_their_own_sentence():
    sentences = split_sentences("Titel ohne Punkt\nErster Satz. Zweiter Satz.", language="de")
    assert [(s.paragraph, s.paragraph_size) for s in sentences] == [(0, 1), (1, 2), (1, 2)]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "de",
            "„Wer soll das bezahlen?“, sagte Lindner beim Dreikönigstreffen der FDP. Das Echo blieb aus.",
            [
                "„Wer soll das bezahlen?“, sagte Lindner beim Dreikönigstreffen der FDP.",
                "Das Echo blieb aus.",
            ],
        ),
        (
            "de",
            "»Wer soll das bezahlen?«, fragte der Minister. Niemand antwortete.",
            ["»Wer soll das bezahlen?«, fragte der Minister.", "Niemand antwortete."],
        ),
        (
            "de",
            "Er schreibt: »Drückt uns die Daumen.« Dann ging er.",
            ["Er schreibt: »Drückt uns die Daumen.«", "Dann ging er."],
        ),
        (
            "fr",
            "« Qui va payer ? », a déclaré le ministre mardi. Personne ne sait.",
            ["« Qui va payer ? », a déclaré le ministre mardi.", "Personne ne sait."],
        ),
        (
            "en",
            '"We will never give up!" he said on Monday. Then he left.',
            ['"We will never give up!" he said on Monday.', "Then he left."],
        ),
        ("en", "“Is this the end?” The senator left.", ["“Is this the end?”", "The senator left."]),
    ],
)
def test_a_quotation_keeps_its_closing_mark_and_reporting_clause(language, text, expected):
    assert [s.text for s in split_sentences(text, language=language)] == expected


@pytest.mark.usefixtures("eval_data")
def test_quoted_question_across_wrapped_lines_stays_with_its_reporting_clause():
    # zeit.de wraps lines mid-sentence; the question mark inside the quote is followed by `", sagte Lindner`.
    extracted = article("zeit.de.zugverkehr.html")
    sentences = split_sentences(extracted.text, language="de")
    [lindner] = [s for s in sentences if "sagte Lindner" in s.text]
    assert lindner.text.startswith('"Was\nwürde dem Klima mehr helfen')
    assert lindner.text.endswith('Madrid?", sagte Lindner beim Dreikönigstreffen der FDP.')
    assert extracted.text[lindner.start : lindner.end] == lindner.text
    assert not [s for s in sentences if s.text in ("Seit", "Doch", '"')]


@pytest.mark.usefixtures("eval_data")
@pytest.mark.parametrize(
    ("page", "ending"),
    [
        ("spiegel.de.albtraum.html", "Relotius schreibt: »Drückt uns die Daumen.«"),
        ("swr.de-volleyball.html", 'um das Spiel zu gewinnen, auch für Krystal."'),
    ],
)
def test_closing_quotes_on_real_pages_end_their_own_sentence(page, ending):
    extracted = article(page)
    texts = [s.text for s in split_sentences(extracted.text, language="de")]
    assert any(t.endswith(ending) for t in texts)
    assert not [t for t in texts if t.startswith(("«", '"')) and not t[1:].lstrip()[:1].isalnum()]


def test_a_heading_line_is_not_joined_to_the_paragraph_after_it():
    sentences = split_sentences("Nationale Egoismen\nLindners Aussagen zeigen das.", language="de")
    assert [s.text for s in sentences] == ["Nationale Egoismen", "Lindners Aussagen zeigen das."]


@pytest.mark.usefixtures("eval_data")
def test_an_opening_quote_left_at_the_end_moves_to_the_quoted_sentence():
    extracted = article("swr.de-volleyball.html")
    texts = [s.text for s in split_sentences(extracted.text, language="de")]
    assert '"Sie ist nicht zu ersetzen", so Renkema geknickt.' in texts
    assert not [t for t in texts if t.endswith(' "')]


# --- a subheading glued to the next sentence (main-text extraction lost the break after an <h2>) ---------
@pytest.mark.parametrize(
    ("text", "language", "heading", "sentence"),
    [
        (
            "Huawei baut eigene Chips Der Konzern hat am Montag drei Milliarden Euro in ein Werk investiert.",
            "de",
            "Huawei baut eigene Chips",
            "Der Konzern hat am Montag drei Milliarden Euro in ein Werk investiert.",
        ),
        (
            "Die Zahl der Asylanträge sank im Mai. Weniger Anträge im Sommer Im Juni wurden 12.000 Anträge gestellt.",
            "de",
            "Weniger Anträge im Sommer",
            "Im Juni wurden 12.000 Anträge gestellt.",
        ),
        (
            "Prices Keep Rising The consumer price index rose by 3.2 percent in May, the office said.",
            "en",
            "Prices Keep Rising",
            "The consumer price index rose by 3.2 percent in May, the office said.",
        ),
        (
            "A new plant in Ohio It will employ 1,200 people from 2027, the company said.",
            "en",
            "A new plant in Ohio",
            "It will employ 1,200 people from 2027, the company said.",
        ),
        (
            "Un marché en berne Les ventes de voitures neuves ont reculé de 12 % en mai.",
            "fr",
            "Un marché en berne",
            "Les ventes de voitures neuves ont reculé de 12 % en mai.",
        ),
        (
            "La réforme des retraites Selon le gouvernement, 1,2 million de personnes sont concernées.",
            "fr",
            "La réforme des retraites",
            "Selon le gouvernement, 1,2 million de personnes sont concernées.",
        ),
    ],
)
def test_a_glued_subheading_is_split_off_into_a_paragraph_of_its_own(text, language, heading, sentence):
    sentences = split_sentences(text, language=language)
    texts = [s.text for s in sentences]
    assert heading in texts and sentence in texts
    split_off = sentences[texts.index(heading)]
    assert split_off.paragraph_size == 1  # a line of its own, so the claim finder reads it as a heading
    assert sentences[texts.index(sentence)].paragraph != split_off.paragraph
    assert all(text[s.start : s.end] == s.text for s in sentences)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Abgeordnete der Partei Die Linke fordern 500 Millionen Euro mehr für Schulen.", "de"),
        ("Wie können Sie das erklären, Herr Minister?", "de"),
        ("Hamburg (dpa/lno) – Trotz eines Gesprächs mit dem Senat bleibt der Streik bestehen.", "de"),
        ("According to The Guardian the minister resigned on Monday after 14 months.", "en"),
        ("Under Section A of the law, fines reach 20,000 dollars.", "en"),
        ("WEST PALM BEACH — The family of a junior tennis player sued the club on Friday.", "en"),
        ("Selon Le Monde, le ministre a démissionné lundi après 14 mois.", "fr"),
        ("Les éditions Allia publient Le Monde diplomatique depuis 2010.", "fr"),
    ],
)
def test_names_datelines_and_the_polite_form_are_not_taken_for_glued_subheadings(text, language):
    assert [s.text for s in split_sentences(text, language=language)] == [text]


def test_labelled_news_sentences_are_almost_never_split_as_glued_subheadings():
    rows = [
        json.loads(line) for path in sorted(LABELLED.glob("*.jsonl")) for line in path.open(encoding="utf-8")
    ]
    split = [r["text"] for r in rows if glued_heading_length(r["text"], r["language"])]
    assert len(rows) > 2000
    assert len(split) <= 0.002 * len(rows), split
