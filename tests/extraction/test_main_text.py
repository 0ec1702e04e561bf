import pytest

from extraction import main_text as extraction
from extraction.main_text import (
    SUPPORTED_LANGUAGES,
    detect_language,
    extract_article,
    extract_plain_text,
)
from tests.support.evaldata import PAGES_DIR as PAGES


def read(name: str) -> str:
    return (PAGES / name).read_bytes().decode("utf-8", errors="replace")


@pytest.mark.usefixtures("eval_data")
def test_german_page_gives_text_metadata_and_language():
    article = extract_article(read("faz.net.streaming.html"))
    assert "Spotify" in article.text
    assert article.title.startswith("Nutzerbasierte Abrechnung")
    assert article.language == "de" and article.language_supported and article.language_note == ""
    assert article.canonical_url.startswith("https://www.faz.net/")
    assert "Benjamin Fischer" in article.author and article.sitename == "Frankfurter Allgemeine Zeitung"
    assert article.published_at is not None and article.published_at.tzinfo is not None


@pytest.mark.usefixtures("eval_data")
def test_english_and_french_pages_are_detected():
    assert extract_article(read("theguardian.com.academics.html")).language == "en"
    assert extract_article(read("francais.radio.cz-ministre.html")).language == "fr"
    assert SUPPORTED_LANGUAGES == ("de", "en", "fr")


def test_other_language_is_detected_and_marked_unsupported_with_a_reason():
    article = extract_plain_text(
        "Il governo italiano ha approvato ieri una nuova legge sul bilancio. "
        "La spesa pubblica aumenterà di tre miliardi di euro nel prossimo anno, secondo il ministro.",
        title="Bilancio",
    )
    assert article.language == "it"
    assert not article.language_supported
    assert "Italian (it)" in article.language_note and "language-independent" in article.language_note


def test_undetectable_text_gets_an_empty_language_and_a_note():
    article = extract_plain_text("12 34")
    assert article.language == ""
    assert not article.language_supported and article.language_note


def test_detector_is_built_once_per_process():
    first = extraction.get_detector()
    detect_language("Das ist ein deutscher Satz über das Wetter.")
    assert extraction.get_detector() is first


PROSE = (
    "The city council approved the new budget on Tuesday after a debate that lasted most of the day. "
    "Spending on schools rises by four percent, while the road maintenance fund stays at last year's "
    "level. The opposition said the plan relies on optimistic tax forecasts and voted against it. "
)


def page(body: str, *, head: str = "") -> str:
    return f"<html><head><title>Budget</title>{head}</head><body>{body}</body></html>"


def article(*parts: str) -> str:
    paragraphs = "".join(f"<p>{PROSE}{i}</p>" for i in range(6))
    return f"<main><article><h1>Council approves budget</h1>{parts[0] if parts else ''}{paragraphs}{''.join(parts[1:])}</article></main>"


def test_lead_in_the_article_header_is_kept_when_the_page_declares_it_as_its_summary():
    lead = "Schools get more money, roads do not: the council passed next year's budget after a long debate."
    html = page(
        article(f'<header class="article-header"><p class="intro">{lead}</p></header>'),
        head=f'<meta name="description" content="{lead}">',
    )
    text = extract_article(html).text
    assert text.startswith(lead)
    assert "Spending on schools rises" in text


def test_declared_summary_that_the_page_does_not_show_is_not_added():
    summary = "A summary that only search engines see, written for the result page and nowhere in the body."
    html = page(article(), head=f'<meta name="description" content="{summary}">')
    assert "search engines" not in extract_article(html).text


@pytest.mark.usefixtures("eval_data")
def test_real_page_keeps_its_lead_from_the_header():
    text = extract_article(read("tagesspiegel.de.abstandsregeln.html")).text
    assert text.startswith("Damit Mitarbeiter gesund bleiben")


def test_link_list_in_a_nested_aside_is_dropped():
    links = "".join(f'<li><a href="/a{i}">Other story number {i}</a></li>' for i in range(6))
    box = f'<aside class="wrapper"><aside class="ad"></aside></aside><aside class="links"><p>Top topics here</p><ul>{links}</ul></aside>'
    text = extract_article(page(article("", box))).text
    assert "Spending on schools" in text
    assert "Top topics here" not in text and "Other story number" not in text


def test_paragraph_that_is_only_an_email_address_is_kept():
    text = extract_article(
        page(article("", '<p><a href="mailto:budget@example.org">budget@example.org</a></p>'))
    ).text
    assert "budget@example.org" in text


def test_labelled_list_of_links_inside_the_body_is_dropped():
    links = "".join(f'<li><a href="/b{i}">Earlier budget story {i}</a></li>' for i in range(3))
    text = extract_article(page(article("", f"<p><strong>Read also:</strong></p><ul>{links}</ul>"))).text
    assert "Spending on schools" in text
    assert "Read also" not in text and "Earlier budget story" not in text


def test_short_postscript_after_the_last_rule_is_dropped_but_a_long_one_is_kept():
    credit = "<hr><p>Picture: council building by A. Photographer, CC BY 2.0</p>"
    assert "Photographer" not in extract_article(page(article("", credit))).text
    sequel = "<hr>" + "".join(f"<p>Second part. {PROSE}{i}</p>" for i in range(3))
    assert "Second part." in extract_article(page(article("", sequel))).text


def test_tables_are_part_of_the_text():
    table = "<table><tr><th>Item</th><th>Amount</th></tr><tr><td>Schools</td><td>4.2 million euros</td></tr></table>"
    assert "4.2 million euros" in extract_article(page(article("", table))).text
