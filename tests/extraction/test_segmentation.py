from functools import cache

import pytest

from extraction.main_text import extract_article
from extraction.segmentation import split_sentences
from tests.support.evaldata import PAGES_DIR as PAGES


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
