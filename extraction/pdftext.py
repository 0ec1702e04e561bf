"""Turn the text of a PDF's pages (one string per page, as pypdf gives it) into running text.

A PDF has no paragraphs, only lines placed on pages, and printed web pages carry the browser's header and
footer on every page. Left as they are, each line end looks like a sentence end, a word hyphenated at a line
end stays cut in two, and "12/2/26, 3:53 PM Title", "file:///C:/Users/… 1/11", page numbers, running heads
and footnotes become sentences and then claims. This module:
- drops print headers and footers (a browser's date-and-time header, a URL or file path with "n/m"), lines
  that are only a page number ("7", "- 7 -", "Seite 7 von 11", "Page 7 of 11", "7/11"), running heads and
  feet (a line, digits aside, that opens or closes most pages);
- drops footnotes: at the foot of a page, the lines from one that starts with a note number the page's text
  calls (a number glued to a word, "Einrichtungen1", or a superscript "¹") down to the page's end;
- joins hard line breaks: a word hyphenated at the line end is mended ("Bundes-\\nregierung" becomes
  "Bundesregierung"; "Corona-\\nPandemie" keeps its hyphen), and a line is joined to the next with a space
  unless it is short and ends a sentence or a heading (a paragraph's last line); a sentence that runs on
  to the next page is joined too.
Plain Python, no Django import.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from functools import lru_cache

_PRINT_HEADER = re.compile(
    r"^\s*\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s|$)"
)
_PRINT_FOOTER = re.compile(r"^\s*(?:file:///|https?://|www\.)\S*(?:\s+\S+)*?\s+\d{1,4}\s*/\s*\d{1,4}\s*$")
_URL_ONLY = re.compile(r"^\s*(?:file:///|https?://)\S+\s*$")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:(?:seite|page|p\.|s\.)\s*)?\d{1,4}(?:\s*(?:/|of|von|sur|de)\s*\d{1,4})?"
    r"(?:\s*[-–—])?\s*$",
    re.IGNORECASE,
)
_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_FOOTNOTE_START = re.compile(rf"^\s*(?:(?P<digits>\d{{1,3}})|(?P<super>[{_SUPERSCRIPTS}]+))[.)]?\s+\S")
_TERMINAL = re.compile(r"[.!?…:;][\"'“”»«)\]]*$")
_STARTS_LOWER = re.compile(r"^[\"'„“«(]?[a-zäöüßéèêëàâçîïôûù]")
_HYPHENATED = re.compile(r"[^\W\d_]-$")
# "Nord-\nund Süddeutschland": a hyphen before a conjunction stands for a word left out, not a hyphenation.
_CONJUNCTION = re.compile(r"^(?:und|oder|bis|sowie|and|or|to|et|ou)\b")
_DIGITS = re.compile(r"\d+")
_SUPER_TO_DIGIT = str.maketrans(_SUPERSCRIPTS, "1234567890")

# A line that opens or closes at least this share of the pages (and at least 3 of them) is a running head.
_RUNNING_SHARE = 0.5
_RUNNING_MIN_PAGES = 3
# A line shorter than this share of the typical line ends a paragraph when it ends a sentence or a heading.
_SHORT_LINE = 0.8


def pdf_pages_to_text(pages: list[str]) -> str:
    """Join a PDF's page texts into running text without print furniture, footnotes or hard line breaks."""
    pages_lines = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
    pages_lines = [[line for line in lines if not is_print_furniture(line)] for lines in pages_lines]
    pages_lines = _drop_running_lines(pages_lines)
    pages_lines = [_drop_footnotes(lines) for lines in pages_lines]
    lengths = [len(line) for lines in pages_lines for line in lines if len(line) >= 20]
    typical = statistics.median(lengths) if lengths else 0
    parts: list[str] = []  # joined once at the end: text grown line by line would be copied every time
    previous = ""
    for lines in pages_lines:
        if not lines:
            continue
        for index, line in enumerate(lines):
            if previous:
                paragraph = "\n\n" if index == 0 else "\n"
                _glue(parts, line, _separator(previous, line, typical, paragraph=paragraph))
            else:
                parts.append(line)
            previous = line
    return "".join(parts)


def is_print_furniture(line: str) -> bool:
    """True for a browser's print header or footer, a bare URL, or a page number."""
    return bool(
        _PRINT_HEADER.match(line)
        or _PRINT_FOOTER.match(line)
        or _URL_ONLY.match(line)
        or _PAGE_NUMBER.match(line)
    )


def _shape(line: str) -> str:
    return _DIGITS.sub("#", line.casefold())


def _drop_running_lines(pages_lines: list[list[str]]) -> list[list[str]]:
    """Drop lines (digits aside) that open or close most pages: running heads and feet."""
    if len(pages_lines) < _RUNNING_MIN_PAGES:
        return pages_lines
    edges: Counter[str] = Counter()
    for lines in pages_lines:
        edges.update({_shape(line) for line in lines[:2] + lines[-2:]})
    needed = max(_RUNNING_MIN_PAGES, _RUNNING_SHARE * len(pages_lines))
    running = {shape for shape, count in edges.items() if count >= needed}
    if not running:
        return pages_lines
    kept = []
    for lines in pages_lines:
        edge = set(range(min(2, len(lines)))) | set(range(max(0, len(lines) - 2), len(lines)))
        kept.append([line for i, line in enumerate(lines) if i not in edge or _shape(line) not in running])
    return kept


def _note_number(line: str) -> str | None:
    match = _FOOTNOTE_START.match(line)
    if not match:
        return None
    return match.group("digits") or match.group("super").translate(_SUPER_TO_DIGIT)


@lru_cache(maxsize=256)
def _call_pattern(number: str) -> re.Pattern[str]:
    """A call of note `number` in the text: glued to a word ("Einrichtungen1") or as a superscript."""
    superscript = number.translate(str.maketrans("1234567890", _SUPERSCRIPTS))
    return re.compile(rf"{superscript}|[^\W\d_]{{2}}[.,;:!?\"“”»)]?{number}(?!\d)")


def _drop_footnotes(lines: list[str]) -> list[str]:
    """Drop the notes at the foot of a page (from the first note the page calls, in its lower half, down)
    and their call numbers in the text ("Präsidentin1 der" becomes "Präsidentin der")."""
    body = "\n".join(lines)
    offset = sum(len(line) + 1 for line in lines[: len(lines) // 2])
    for index in range(len(lines) // 2, len(lines)):
        number = _note_number(lines[index])
        if number and _call_pattern(number).search(body, 0, offset):
            notes = {_note_number(line) for line in lines[index:]} - {None}
            return [_drop_calls(line, notes) for line in lines[:index]]
        offset += len(lines[index]) + 1
    return lines


def _drop_calls(line: str, numbers: set[str | None]) -> str:
    for number in numbers:
        superscript = str(number).translate(str.maketrans("1234567890", _SUPERSCRIPTS))
        line = re.sub(rf"(?<=[^\W\d_]{{2}})([.,;:!?\"“”»)]?)(?:{number}|{superscript})(?!\d)", r"\1", line)
    return line


def _separator(previous: str, following: str, typical: float, *, paragraph: str = "\n") -> str:
    """What goes between two lines: '' (a mended hyphenation), ' ' (a wrapped line) or a paragraph break."""
    if _HYPHENATED.search(previous) and following[:1].isalpha() and not _CONJUNCTION.match(following):
        return ""
    wrapped = not _TERMINAL.search(previous) and bool(_STARTS_LOWER.match(following))
    full = typical and len(previous) >= _SHORT_LINE * typical
    if wrapped or (full and paragraph == "\n"):
        return " "
    if full and not _TERMINAL.search(previous):
        return " "  # a sentence that runs on to the next page
    return paragraph


def _glue(parts: list[str], line: str, separator: str) -> None:
    """Append `line` after the separator; the last part is the line before it."""
    if separator == "" and _STARTS_LOWER.match(line):
        parts[-1] = parts[-1][:-1]  # "Bundes-\nregierung": a hyphenation, mended
    parts.append(separator)  # "Corona-\nPandemie" ("" but the hyphen stays): part of the word
    parts.append(line)
