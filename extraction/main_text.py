"""Main-text and metadata extraction from HTML (trafilatura) and language detection (lingua).

Plain Python, no Django import. The lingua detector is built once per process, on first use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import trafilatura
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
from lxml import etree
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
    find_date,
)
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from extraction.claimreview import claim_reviews

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
    # Published fact-checks embedded in the page (extraction/claimreview.py): the article may be one.
    claim_reviews: list[dict[str, Any]] = field(default_factory=list)


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


def _canonical_url(tree) -> str:
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


def _squash(text: str) -> str:
    return " ".join(text.split())


def _text_length(element) -> int:
    return len(_squash(element.text_content()))


def _remove(element) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def _is_link_list(element) -> bool:
    """A <ul>/<ol> whose every item is nothing but a link: a list of other articles, not prose."""
    items = element.findall("li")
    if not items:
        return False
    for item in items:
        text = _squash(item.text_content())
        linked = _squash(" ".join(a.text_content() for a in item.iter("a")))
        if not text or linked != text:
            return False
    return True


def _preclean(tree) -> None:
    """Remove well-known boilerplate containers from the parsed page, by markup only (in place).

    Every rule names markup that trafilatura means to drop, or that marks text as not belonging to the
    article, and that its precision mode still lets through. No container is removed that holds the
    page's <h1> or a third of the page's text, so a wrong guess cannot swallow the article.
    """
    body = tree.find("body")
    if body is None:
        return
    total = max(_text_length(body), 1)

    def removable(element) -> bool:
        return element.tag != "h1" and element.find(".//h1") is None and _text_length(element) < total / 3

    _drop_asides(body, removable)
    _unwrap_mailto_links(body)
    _drop_see_also_lists(body, removable)
    _drop_postscripts(body, removable)
    _drop_further_reading(body, removable)


def _drop_asides(body, removable: Callable[[Any], bool]) -> None:
    """1. Asides, navigation and footers. trafilatura removes these tags too, but deletes while it
    iterates, so the second of two nested or adjacent ones survives (e.g. a link list in an
    <aside> inside the <article>)."""
    for element in list(body.iter("aside", "nav", "footer")):
        if element.getparent() is not None and removable(element):
            _remove(element)


def _unwrap_mailto_links(body) -> None:
    """2. An address to write to is content, not navigation: unwrap mailto links so that the
    link-density rules do not drop a paragraph that consists of one."""
    for element in list(body.iter("a")):
        if (element.get("href") or "").lower().startswith("mailto:"):
            element.drop_tag()


def _drop_see_also_lists(body, removable: Callable[[Any], bool]) -> None:
    """3. "See also:" and the like: a short label ending in a colon right before a list whose
    items are nothing but links is a list of other articles inside the body."""
    for element in list(body.iter("ul", "ol")):
        label = element.getprevious()
        if label is None or label.tag not in ("p", "div", "h2", "h3", "h4", "h5", "h6", "strong", "b"):
            continue
        label_text = _squash(label.text_content())
        if (
            0 < len(label_text) <= 60
            and label_text.endswith(":")
            and _is_link_list(element)
            and removable(element)
        ):
            _remove(label)
            _remove(element)


def _drop_postscripts(body, removable: Callable[[Any], bool]) -> None:
    """4. A short block after the last rule in a container, following a long text, is a
    postscript to the article: image credits, a promotion, share buttons."""
    for rule in list(body.iter("hr")):
        parent = rule.getparent()
        if parent is None or any(sibling.tag == "hr" for sibling in rule.itersiblings()):
            continue
        after = list(rule.itersiblings())
        after_length = sum(_text_length(sibling) for sibling in after) + len(_squash(rule.tail or ""))
        before_length = sum(_text_length(sibling) for sibling in rule.itersiblings(preceding=True))
        if (
            after
            and after_length <= 400
            and before_length >= max(1000, 4 * after_length)
            and all(removable(sibling) for sibling in after)
        ):
            for sibling in after:
                _remove(sibling)
            rule.tail = None


def _drop_further_reading(body, removable: Callable[[Any], bool]) -> None:
    """5. "Further reading" boxes that trafilatura's token lists do not know."""
    for element in list(_FURTHER_READING_XPATH(body)):
        if element.getparent() is not None and removable(element):
            _remove(element)


# Class/id names of boxes that point to other pages ("en savoir plus" = read more, "mehr zum Thema" =
# more on this topic), in the three supported languages.
_FURTHER_READING_XPATH = etree.XPath(
    ".//*[self::div or self::section or self::p]"
    "[re:test(concat(@class, ' ', @id), "
    "'savoir[-_]?plus|mehr[-_]?zum[-_]?thema|further[-_]?reading|see[-_]?also|lire[-_]?aussi', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)


def _declared_descriptions(tree) -> list[str]:
    """Return the page's own summaries (meta description, Open Graph, Twitter), longest first."""
    found = tree.xpath(
        '//meta[@name="description" or @property="og:description" or @name="twitter:description"'
        ' or @property="twitter:description"]/@content'
    )
    descriptions = {_squash(str(value)) for value in found}
    return sorted((d for d in descriptions if len(d) >= 40 and len(d.split()) >= 6), key=len, reverse=True)


def _visible_lead(tree, descriptions: list[str]) -> str:
    """Return the page's lead paragraph: a declared summary that the page also shows in its body.

    trafilatura's precision mode drops every <header>, and with it the lead (standfirst) that news
    sites put there between headline and text. A summary that is both declared in the page's
    metadata and shown as an element of the (pre-cleaned) body is that lead.
    """
    body = tree.find("body")
    if body is None or not descriptions:
        return ""
    for description in descriptions:
        opening = description[:30]
        for element in body.iter("p", "div", "span", "h2", "strong", "em", "section", "header"):
            own = _squash(element.text or "")
            if not own or not (own.startswith(opening) or opening.startswith(own)):
                continue
            if _squash(element.text_content()) == description:
                return description
            parent = element.getparent()
            if parent is not None and _squash(parent.text_content()) == description:
                return description
    return ""


def _metadata(tree, url: str | None, date_params: dict | None):
    """Read title, author, date and site name as trafilatura's `extract_metadata` does.

    The same steps in the same order, less the ones whose results we never use (categories, tags,
    license), which cost about a sixth of the whole extraction, and less the date search (htmldate)
    when `date_params` is None because the caller has the date already. Does not change the tree.
    """
    document = examine_meta(tree)
    if document.author and " " not in document.author:
        document.author = None  # a single word is a handle or a site name, not a person
    try:
        document = extract_meta_json(tree, document)
    except Exception:  # noqa: BLE001 - malformed JSON-LD is common; keep what <meta> gave
        pass
    document.title = document.title or extract_title(tree)
    document.author = document.author or extract_author(tree)
    document.url = document.url or extract_url(tree, url)
    if date_params is not None:
        document.date = find_date(tree, **{**date_params, "url": document.url})
    if not document.sitename:
        document.sitename = extract_sitename(tree)
    if document.sitename:
        document.sitename = document.sitename.lstrip("@")
        if "." not in document.sitename and not document.sitename[0].isupper():
            document.sitename = document.sitename.title()
    elif document.url and (match := META_URL.match(document.url)):
        document.sitename = match[1]
    document.clean_and_trim()
    return document


def _options(url: str) -> Extractor:
    return Extractor(
        output_format="python",
        precision=True,
        comments=False,
        tables=True,
        with_metadata=False,
        url=url or None,
    )


def extract_article(html: str, *, url: str = "") -> ExtractedArticle:
    """Extract main text and metadata from an HTML page; offsets of later stages refer to `.text`.

    The page is parsed once: metadata is read from it as it came, the main text from it after
    `_preclean`. The text is trafilatura's (precision mode, tables included), preceded by the page's
    lead when trafilatura dropped it (`_visible_lead`).
    """
    tree = load_html(html)
    if tree is None:
        return _finish("", title="", author="", published_at=None, canonical_url="", sitename="", hint="")
    canonical_url = _canonical_url(tree)
    options = _options(url)
    published_at = _published_at_from_html(html)
    metadata = _metadata(tree, options.url, None if published_at else options.date_params).as_dict()
    descriptions = _declared_descriptions(tree)
    _preclean(tree)
    document = trafilatura.bare_extraction(tree, options=options)  # works on a copy of the tree
    text = (getattr(document, "text", None) or "").strip()  # None when trafilatura found no text
    lead = _visible_lead(tree, descriptions)
    if lead and lead not in _squash(text):
        text = f"{lead}\n{text}" if text else lead
    published_at = published_at or _parse_date(metadata.get("date"))
    article = _finish(
        text,
        title=(metadata.get("title") or "").strip(),
        author=(metadata.get("author") or "").strip(),
        published_at=published_at,
        canonical_url=canonical_url,
        sitename=(metadata.get("sitename") or "").strip(),
        hint=metadata.get("language") or "",
    )
    article.claim_reviews = claim_reviews(html, url=url)
    return article


def extract_plain_text(text: str, *, title: str = "") -> ExtractedArticle:
    """Wrap already-extracted text (PDF, text/plain) so it goes through the same claim stage."""
    text = text.strip()
    return _finish(
        text, title=title.strip(), author="", published_at=None, canonical_url="", sitename="", hint=""
    )
