"""Turn fetched bytes into a document the extractor can trust (RELIABILITY B7, B8).

Pure Python (no Django). Whatever the server claims, the result is valid UTF-8 text without NUL
or other C0 control characters (except tab, newline, carriage return), or an IngestError with a
code a user can read:

- unsupported_content_type: images, archives, binaries, anything that is neither HTML, PDF nor
  plain text (HTML is sniffed, so a lying or missing Content-Type does not lose an article);
- parse_error: a PDF that is encrypted, broken, or too slow to read;
- too_large: more bytes than ``max_bytes``;
- empty_document: nothing but whitespace.

Charset order for HTML: byte-order mark, then the Content-Type charset, then <meta charset> /
http-equiv, then charset-normalizer's guess. The BOM comes first (as in the WHATWG encoding
standard, deviating from the brief's order) because it cannot be there by accident. Two repairs
for the most common misconfigurations: bytes that are valid UTF-8 with multi-byte sequences are
read as UTF-8 even when a single-byte charset is declared, and bytes declared UTF-8 that contain
no valid multi-byte sequence but do contain invalid ones are read with the next declaration (or
windows-1252). Anything else undecodable is replaced with U+FFFD.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import time
from dataclasses import dataclass
from typing import Literal

import charset_normalizer
import pypdf

from extraction.pdftext import pdf_pages_to_text

__all__ = ["IngestError", "RawDocument", "sniff_html", "to_document"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
TEXT_TYPES = frozenset({"text/plain"})
SNIFF_BYTES = 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Magic numbers of formats we never read, whatever the Content-Type says.
BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"RIFF",  # WebP, WAV, AVI
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"PK\x03\x04",  # zip, docx, epub ...
    b"PK\x05\x06",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!",
    b"\xfd7zXZ\x00",
    b"\x00\x00\x01\x00",  # ICO
    b"OggS",
    b"\x7fELF",
    b"wOFF",
    b"wOF2",
    b"%!PS",
)
# WHATWG MIME sniffing: tags that make a document HTML when they come first.
_LEADING_HTML = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p|"
    rb"meta|link|article|section|header|nav|main|span|ul|!--)[\s/>]",
    re.IGNORECASE | re.DOTALL,
)
# Tags that make a document HTML anywhere in the first KB (after a stray preamble, say).
_STRONG_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s/>]", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that the web means as windows-1252 (WHATWG encoding standard).
_WINDOWS_1252_LABELS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "cp819"}
)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

log = logging.getLogger(__name__)


class IngestError(Exception):
    """A fetched document cannot be used; ``code`` is machine-readable, ``message`` a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RawDocument:
    kind: Literal["html", "pdf", "text"]
    html: str | None  # valid UTF-8 str without NUL bytes when kind == "html"
    text: str | None  # for pdf / text/plain
    charset: str | None


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    media, _, params = (content_type or "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media.strip().lower(), charset


def _codec(label: str | None) -> str | None:
    """Return the Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _bom(content: bytes) -> tuple[str, int] | None:
    for mark, name in _BOMS:
        if content.startswith(mark):
            return name, len(mark)
    return None


def _prefix_text(content: bytes) -> bytes:
    """The first KB as ASCII-compatible bytes (UTF-16/32 documents are transcoded first)."""
    head = content[: SNIFF_BYTES * 4]
    bom = _bom(head)
    if bom and bom[0] != "utf-8":
        return head[bom[1] :].decode(bom[0], "replace").encode("utf-8", "replace")[:SNIFF_BYTES]
    return head[bom[1] if bom else 0 :][:SNIFF_BYTES]


def sniff_html(content: bytes) -> bool:
    """Say whether the first KB looks like HTML, whatever the Content-Type claims."""
    head = _prefix_text(content)
    return bool(_LEADING_HTML.match(head) or _STRONG_HTML.search(head))


def _is_pdf(content: bytes) -> bool:
    return b"%PDF-" in content[:SNIFF_BYTES]


def _has_binary_magic(content: bytes) -> bool:
    return content.startswith(BINARY_MAGIC) or content[:SNIFF_BYTES].lstrip().startswith(b"<svg")


def _looks_binary(content: bytes) -> bool:
    if _bom(content):
        return False
    head = content[:SNIFF_BYTES]
    # Text in an ASCII-compatible charset has (almost) no control bytes; binaries have many.
    controls = sum(1 for b in head if b < 0x20 and b not in (9, 10, 12, 13))
    return controls > max(8, len(head) // 20)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _looks_like_legacy_8bit(content: bytes) -> bool:
    """True when bytes claimed as UTF-8 contain invalid sequences and not one valid multi-byte one."""
    return not _is_valid_utf8(content) and _UTF8_MULTIBYTE.search(content) is None


def _is_valid_multibyte_utf8(content: bytes) -> bool:
    return _UTF8_MULTIBYTE.search(content) is not None and _is_valid_utf8(content)


def _guess(content: bytes) -> str:
    best = charset_normalizer.from_bytes(content[:200_000]).best()
    codec = _codec(best.encoding) if best is not None else None
    return codec or "utf-8"


def _decode(content: bytes, declared: list[str | None]) -> tuple[str, str]:
    """Decode with the first usable declaration (see module docstring); return (text, codec)."""
    bom = _bom(content)
    if bom:
        name, size = bom
        return content[size:].decode(name, "replace"), name.replace("-le", "").replace("-be", "")
    codecs_declared = [c for c in (_codec(label) for label in declared) if c]
    # A UTF-16/32 declaration in a document without a BOM that we could sniff as ASCII-compatible
    # is wrong (the WHATWG standard maps it to UTF-8 for <meta>).
    codecs_declared = ["utf-8" if c.startswith(("utf-16", "utf-32")) else c for c in codecs_declared]
    chosen = codecs_declared[0] if codecs_declared else None
    if (
        chosen is not None
        and chosen != "utf-8"
        and _is_single_byte(chosen)
        and _is_valid_multibyte_utf8(content)
    ):
        chosen = "utf-8"
    elif chosen == "utf-8" and _looks_like_legacy_8bit(content):
        chosen = next((c for c in codecs_declared if c != "utf-8"), "cp1252")
    if chosen is None:
        chosen = "utf-8" if _is_valid_utf8(content) else _guess(content)
    return content.decode(chosen, "replace"), chosen


def _is_valid_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _is_single_byte(codec_name: str) -> bool:
    try:
        return len("é".encode(codec_name, "replace")) == 1
    except (LookupError, UnicodeError):
        return False


def _meta_charset(content: bytes) -> str | None:
    head = content[: SNIFF_BYTES * 4]
    match = _META_CHARSET.search(head) or _XML_ENCODING.match(head)
    return match.group(1).decode("ascii") if match else None


def _pdf_text(content: bytes, max_pages: int, time_budget: float) -> str:
    started = time.monotonic()
    # pypdf raises a zoo of exception types on hostile files (its own, ValueError, KeyError,
    # RecursionError, ...); every one of them means "this PDF cannot be read".
    try:
        reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            try:
                # Many PDFs are "encrypted" only against editing, with an empty user password.
                if not reader.decrypt(""):
                    raise IngestError("parse_error", "The PDF is encrypted with a password.")
            except IngestError:
                raise
            except Exception as exc:
                raise IngestError(
                    "parse_error", f"The PDF is encrypted and cannot be opened ({exc})."
                ) from None
        pages: list[str] = []
        for index, page in enumerate(reader.pages):
            if index >= max_pages:
                log.info("PDF truncated to its first %d pages.", max_pages)
                break
            if time.monotonic() - started > time_budget:
                if not pages:
                    raise IngestError(
                        "parse_error", f"Reading the PDF took longer than {time_budget:g} seconds."
                    )
                log.info("PDF truncated after %d pages: time budget spent.", index)
                break
            pages.append(page.extract_text() or "")
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError("parse_error", f"The PDF could not be read ({type(exc).__name__}).") from None
    return pdf_pages_to_text(pages)


def to_document(
    content: bytes,
    content_type: str,
    charset: str | None = None,
    *,
    max_pdf_pages: int = 200,
    time_budget: float = 20.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawDocument:
    """Classify and decode fetched bytes; raise IngestError when they cannot become a document.

    ``content_type`` may be a bare media type or a whole Content-Type header value; ``charset``
    (from FetchResponse.charset) wins over a charset parameter in it.
    """
    if len(content) > max_bytes:
        raise IngestError("too_large", f"The document is larger than {max_bytes} bytes.")
    media, header_charset = _media_type(content_type)
    header_charset = charset or header_charset
    if not content.strip():
        raise IngestError("empty_document", "The document is empty.")

    if _is_pdf(content) or (media in PDF_TYPES and not sniff_html(content)):
        start = content.find(b"%PDF-")
        text = _clean(_pdf_text(content[max(start, 0) :], max_pdf_pages, time_budget))
        if not text.strip():
            raise IngestError("empty_document", "The PDF contains no extractable text (a scan, perhaps).")
        return RawDocument(kind="pdf", html=None, text=text, charset=None)

    if _has_binary_magic(content):
        raise IngestError("unsupported_content_type", f"The document is binary ({media or 'no type given'}).")
    is_html = sniff_html(content)
    if not is_html and _looks_binary(content):
        raise IngestError("unsupported_content_type", f"The document is binary ({media or 'no type given'}).")

    if is_html or media in HTML_TYPES:
        html, used = _decode(content, [header_charset, _meta_charset(content)])
        html = _clean(html)
        if not html.strip():
            raise IngestError("empty_document", "The document is empty.")
        return RawDocument(kind="html", html=html, text=None, charset=used)

    if media in TEXT_TYPES or media == "":
        text, used = _decode(content, [header_charset])
        text = _clean(text)
        if not text.strip():
            raise IngestError("empty_document", "The document is empty.")
        return RawDocument(kind="text", html=None, text=text, charset=used)

    raise IngestError("unsupported_content_type", f"Documents of type {media} are not supported.")
