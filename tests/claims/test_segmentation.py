from functools import cache
from pathlib import Path

import pytest

from claims.pipeline.extraction import extract_article
from claims.pipeline.segmentation import split_sentences

PAGES = Path(__file__).resolve().parents[3] / "shared" / "data" / "pages"


@cache
def article(name: str):
    return extract_article((PAGES / name).read_bytes().decode("utf-8", errors="replace"))


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


def test_ordinal_date_in_a_real_german_page_stays_inside_its_sentence():
    extracted = article("de.cointelegraph.com-CME.html")
    texts = [s.text for s in split_sentences(extracted.text, language="de")]
    assert any("am 30. Oktober einen Wert von 3,58 Milliarden" in t for t in texts)


def test_lines_are_paragraphs_and_headings_are_their_own_sentence():
    sentences = split_sentences("Titel ohne Punkt\nErster Satz. Zweiter Satz.", language="de")
    assert [(s.paragraph, s.paragraph_size) for s in sentences] == [(0, 1), (1, 2), (1, 2)]
