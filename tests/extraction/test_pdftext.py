"""PDF text (extraction/pdftext.py): a real PDF written here, with a browser's print header and footer, page
numbers, a running head and a footnote on each page and words hyphenated at line ends, read by pypdf through
to_document(), as the pipeline reads a fetched PDF."""

from __future__ import annotations

from checkworthiness.claimfinder import find_claims
from extraction.decoding import to_document
from extraction.pdftext import is_print_furniture, pdf_pages_to_text
from tests.support.pdf import make_pdf

HEADER = "12/2/26, 3:53 PM Bundesrat beschließt Schulgesetz | Nachrichten"
FOOTER = "file:///C:/Users/anna/Downloads/schulgesetz.html {n}/3"
RUNNING = "Jahresbericht 2025 der Bildungsstiftung"
GERMAN = [
    [
        HEADER,
        RUNNING,
        "Der Bundesrat hat am Freitag ein Gesetz beschlossen, das die Förderung von Bildungs-",
        "einrichtungen um 250 Millionen Euro erhöht. Die Länder hatten zuvor mehr Geld für Nord-",
        "und Süddeutschland gefordert, sagte die Präsidentin1 der Länderkammer in Berlin am Abend.",
        "Die Corona-",
        "Pandemie hatte die Schulen im Jahr 2021 besonders hart getroffen, wie eine Studie der Universität",
        "Bonn zeigt, die im März veröffentlicht wurde und insgesamt mehr als 3.000 Schulen",
        "1 Vgl. Bundesrat, Drucksache 123/25, Seite 4 und folgende, abgerufen am 3. März 2026.",
        FOOTER.format(n=1),
    ],
    [
        HEADER,
        RUNNING,
        "in allen 16 Bundesländern untersucht hat. Die Bundesregierung will bis zum Jahr 2027 weitere",
        "40 Millionen Euro für die Digitalisierung der Schulen bereitstellen, sagte die Ministerin.",
        "- 2 -",
        FOOTER.format(n=2),
    ],
    [
        HEADER,
        RUNNING,
        "Im Jahr 2024 gab es in Deutschland rund 32.000 allgemeinbildende Schulen mit etwa 11 Millionen",
        "Schülerinnen und Schülern, wie das Statistische Bundesamt am Dienstag mitteilte.",
        "Seite 3 von 3",
        FOOTER.format(n=3),
    ],
]


def german_text() -> str:
    document = to_document(make_pdf(GERMAN), "application/pdf")
    assert document.kind == "pdf"
    return document.text


def test_print_headers_footers_page_numbers_running_heads_and_footnotes_are_dropped():
    text = german_text()
    for furniture in ("3:53 PM", "file:///", "1/3", "Seite 3 von 3", "- 2 -", RUNNING, "Drucksache 123/25"):
        assert furniture not in text
    assert "Präsidentin der Länderkammer" in text  # the note's call number goes with the note


def test_hard_line_breaks_and_hyphenations_are_joined_across_lines_and_pages():
    text = german_text()
    assert "Förderung von Bildungseinrichtungen um 250 Millionen Euro erhöht." in text
    assert "für Nord- und Süddeutschland gefordert" in text
    assert "Die Corona-Pandemie hatte die Schulen" in text
    assert "mehr als 3.000 Schulen in allen 16 Bundesländern untersucht hat." in text


def test_no_claim_found_in_a_pdf_is_print_furniture_and_sentences_are_whole():
    text = german_text()
    claims = [c.text for c in find_claims(text, language="de")]
    assert claims
    assert not [c for c in claims if "PM" in c or "file:" in c or "Drucksache" in c or "Jahresbericht" in c]
    assert any(c.startswith("Die Corona-Pandemie hatte") and c.endswith("untersucht hat.") for c in claims)


def test_english_and_french_print_furniture_is_recognised():
    for line in [
        "12/2/26, 3:53 PM",
        "3/14/2026, 10:05 AM The budget, explained - The Guardian",
        "https://www.lemonde.fr/economie/article/2026/03/14/budget.html 2/7",
        "Page 3 of 11",
        "Page 4",
        "7",
        "14/03/2026 10:05 Budget : ce qui change - Le Monde",
    ]:
        assert is_print_furniture(line), line
    for line in [
        "12 million people voted on 3 March.",
        "Le budget atteint 12 milliards d'euros en 2026.",
        "In 2024 the council spent 3.5 million dollars.",
    ]:
        assert not is_print_furniture(line), line


def test_numbered_lines_the_text_never_calls_are_not_taken_for_footnotes():
    page = [
        "The report lists three findings, each backed by figures from the national statistics office",
        "and the central bank, published on Monday in the capital after a two-year review process.",
        "1 Inflation fell to 2.1 percent in 2025, the lowest level since 2019, the office said.",
        "2 Unemployment stayed at 5.4 percent for the third year in a row, the bank reported.",
    ]
    text = pdf_pages_to_text(["\n".join(page)])
    assert "Inflation fell to 2.1 percent" in text
    assert "Unemployment stayed at 5.4 percent" in text
