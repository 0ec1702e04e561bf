from pathlib import Path

from claims.pipeline import extraction
from claims.pipeline.extraction import (
    SUPPORTED_LANGUAGES,
    detect_language,
    extract_article,
    extract_plain_text,
)

PAGES = Path(__file__).resolve().parents[3] / "shared" / "data" / "pages"


def read(name: str) -> str:
    return (PAGES / name).read_bytes().decode("utf-8", errors="replace")


def test_german_page_gives_text_metadata_and_language():
    article = extract_article(read("faz.net.streaming.html"))
    assert "Spotify" in article.text
    assert article.title.startswith("Nutzerbasierte Abrechnung")
    assert article.language == "de" and article.language_supported and article.language_note == ""
    assert article.canonical_url.startswith("https://www.faz.net/")
    assert article.published_at is not None and article.published_at.tzinfo is not None


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
