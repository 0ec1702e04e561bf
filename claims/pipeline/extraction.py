"""Main-text and metadata extraction from HTML (trafilatura) and language detection (lingua).

Plain Python, no Django import. The lingua detector is built once per process, on first use.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
from lxml import html as lxml_html

SUPPORTED_LANGUAGES = ("de", "en", "fr")

# The common European languages besides ours, so that e.g. Italian is detected as Italian instead of
# being forced into the nearest supported language. Kept short: lingua's cost grows with the set.
_DETECTABLE = (
    Language.GERMAN,
    Language.ENGLISH,
    Language.FRENCH,
    Language.ITALIAN,
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.DUTCH,
    Language.POLISH,
    Language.CZECH,
    Language.SWEDISH,
    Language.DANISH,
    Language.BOKMAL,
    Language.FINNISH,
    Language.HUNGARIAN,
    Language.ROMANIAN,
    Language.GREEK,
    Language.RUSSIAN,
    Language.UKRAINIAN,
    Language.TURKISH,
    Language.CROATIAN,
)

_LANGUAGE_NAMES = {lang.iso_code_639_1.name.lower(): lang.name.title() for lang in _DETECTABLE}
_LANGUAGE_NAMES["nb"] = "Norwegian"

_detector = None
_detector_lock = threading.Lock()

# Enough text to decide reliably; detection cost grows with length.
_DETECT_CHARS = 3000


@dataclass
class ExtractedArticle:
    text: str  # main text; all claim offsets point into THIS string
    title: str
    author: str
    published_at: datetime | None
    language: str  # ISO 639-1, "" if undetectable
    language_supported: bool
    language_note: str
    canonical_url: str
    sitename: str


def get_detector():
    """Return the process-wide lingua detector, building it on first use (thread-safe)."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                _detector = (
                    LanguageDetectorBuilder.from_languages(*_DETECTABLE)
                    .with_preloaded_language_models()
                    .build()
                )
    return _detector


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of the text's language, or "" when it cannot be told."""
    sample = text[:_DETECT_CHARS]
    if len(re.findall(r"\w+", sample)) < 3:
        return ""
    language = get_detector().detect_language_of(sample)
    if language is None:
        return ""
    return language.iso_code_639_1.name.lower()


def language_note(language: str) -> str:
    """Explain to a reviewer how a language is handled; empty for fully supported languages."""
    if language in SUPPORTED_LANGUAGES:
        return ""
    if not language:
        return "Language could not be detected; claims are extracted with language-independent signals only."
    name = _LANGUAGE_NAMES.get(language, language)
    return f"Detected {name} ({language}); claims are extracted with language-independent signals only."


def _normalise_language(code: str) -> str:
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    try:
        IsoCode639_1.from_str(code)
    except (ValueError, AttributeError):
        return ""
    return code


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _canonical_url(html: str) -> str:
    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        found = tree.xpath(xpath)
        if found and str(found[0]).strip().startswith(("http://", "https://")):
            return str(found[0]).strip()
    return ""


def _published_at_from_html(html: str) -> datetime | None:
    match = re.search(
        r'<meta[^>]+(?:property|name)="(?:article:published_time|date|dc\.date|pubdate)"[^>]+content="([^"]+)"',
        html,
        re.IGNORECASE,
    )
    return _parse_date(match.group(1)) if match else None


def _finish(
    text: str, *, title: str, author: str, published_at, canonical_url: str, sitename: str, hint: str
):
    detected = detect_language(text or title)
    # The page's own declaration only breaks ties when the detector cannot decide.
    language = detected or _normalise_language(hint)
    return ExtractedArticle(
        text=text,
        title=title,
        author=author,
        published_at=published_at,
        language=language,
        language_supported=language in SUPPORTED_LANGUAGES,
        language_note=language_note(language),
        canonical_url=canonical_url,
        sitename=sitename,
    )


def extract_article(html: str, *, url: str = "") -> ExtractedArticle:
    """Extract main text and metadata from an HTML page; offsets of later stages refer to `.text`."""
    document = trafilatura.bare_extraction(
        html,
        url=url or None,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        with_metadata=True,
    )
    if document is None:
        return _finish(
            "",
            title="",
            author="",
            published_at=None,
            canonical_url=_canonical_url(html),
            sitename="",
            hint="",
        )
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = (data.get("text") or "").strip()
    published_at = _published_at_from_html(html) or _parse_date(data.get("date"))
    return _finish(
        text,
        title=(data.get("title") or "").strip(),
        author=(data.get("author") or "").strip(),
        published_at=published_at,
        canonical_url=_canonical_url(html),
        sitename=(data.get("sitename") or "").strip(),
        hint=data.get("language") or "",
    )


def extract_plain_text(text: str, *, title: str = "") -> ExtractedArticle:
    """Wrap already-extracted text (PDF, text/plain) so it goes through the same claim stage."""
    text = text.strip()
    return _finish(
        text, title=title.strip(), author="", published_at=None, canonical_url="", sitename="", hint=""
    )
