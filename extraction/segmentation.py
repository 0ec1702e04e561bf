"""Sentence segmentation with exact character offsets for German, English and French.

pySBD does the splitting inside each paragraph; this module maps every sentence back to its offsets and
repairs what goes wrong on real pages:
- hard-wrapped lines (a line that stops mid-sentence, e.g. after "bis nach" or before a lowercase word) are
  joined into one paragraph, so a wrap never ends a sentence;
- abbreviations that precede a number or a lowercase word ("Abs. 2", "Nr. 3", "z. B.", "trim. 2019",
  "p. ex.") and ordinal dates ("15. August") do not end a sentence;
- a subheading glued to the next sentence by main-text extraction ("Huawei baut eigene Chips Der Konzern
  hat …") is split off into a paragraph of its own, told by a sentence opener capitalised mid-sentence;
- quotations: a closing quote („…“ "…" «…» »…« “…”) stays with the sentence it closes, and a reporting
  clause after it (`"…?", sagte X`, `« … ? », a déclaré X`, `"…!" he said`) stays in the same sentence.
Plain Python, no Django import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

_PYSBD_LANGUAGES = {"de", "en", "fr", "es", "it", "nl", "pl", "da", "ru", "el"}

# Abbreviations after which a sentence practically never ends when more text follows on the same line.
_ABBREVIATIONS = {
    "de": {
        "Abs",
        "Nr",
        "Art",
        "Ziff",
        "Bd",
        "Kap",
        "S",
        "Mio",
        "Mrd",
        "Tsd",
        "ca",
        "bzw",
        "vgl",
        "ggf",
        "evtl",
        "inkl",
        "exkl",
        "zzgl",
        "usw",
        "etc",
        "Dr",
        "Prof",
        "St",
        "Str",
        "Hr",
        "Fr",
        "Jh",
        "Jhd",
        "Mill",
        "Verf",
        "Hrsg",
        "Aufl",
        "geb",
        "gest",
        "sog",
        "z",
        "B",
        "u",
        "a",
        "d",
        "h",
        "o",
        "ä",
        "v",
        "Chr",
        "bspw",
        "insb",
        "Tel",
        "max",
        "min",
        "Std",
        "Min",
        "Sek",
        "Jan",
        "Feb",
        "Febr",
        "Apr",
        "Aug",
        "Sept",
        "Okt",
        "Nov",
        "Dez",
        "Mo",
        "Di",
        "Mi",
        "Do",
        "Sa",
        "So",
        "Co",
        "Kl",
        "Gr",
    },
    "fr": {
        "trim",
        "M",
        "MM",
        "Mme",
        "Mmes",
        "Mlle",
        "Dr",
        "Pr",
        "art",
        "al",
        "p",
        "ex",
        "cf",
        "env",
        "etc",
        "janv",
        "févr",
        "fév",
        "avr",
        "juil",
        "sept",
        "oct",
        "nov",
        "déc",
        "St",
        "Ste",
        "vol",
        "chap",
        "n",
        "éd",
        "hab",
        "km",
        "mds",
        "Mds",
        "mrd",
        "min",
        "max",
        "av",
        "apr",
        "J.-C",
        "c",
        "à",
        "dép",
    },
    "en": {
        "No",
        "Nos",
        "Art",
        "Sec",
        "Fig",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Prof",
        "St",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "vs",
        "approx",
        "est",
        "etc",
        "e",
        "g",
        "i",
        "Gov",
        "Sen",
        "Rep",
        "Gen",
        "Col",
        "Lt",
        "Sgt",
        "Capt",
        "Inc",
        "Corp",
        "Ltd",
        "Co",
        "Jr",
        "Sr",
        "U.S",
        "p",
        "pp",
        "vol",
        "ch",
    },
}

# Titles precede a name, so even a capitalised next word continues the sentence.
_TITLES = {
    "Dr",
    "Prof",
    "Pr",
    "M",
    "MM",
    "Mme",
    "Mmes",
    "Mlle",
    "Mr",
    "Mrs",
    "Ms",
    "St",
    "Ste",
    "Hr",
    "Gov",
    "Sen",
    "Rep",
    "Gen",
}

_MONTHS = (
    "Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "Jan|Feb|Mär|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dez|"
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
)
_ORDINAL_END = re.compile(r"(?:^|[\s(])\d{1,2}\.$")
_NEXT_IS_MONTH_OR_NOUN_AFTER_ORDINAL = re.compile(rf"^(?:{_MONTHS})\b|^[a-zäöüéèà]|^\d")
_LAST_TOKEN = re.compile(r"([\w.\-]+)\.$")
_OPENING_LOWER = re.compile(r"^[\"'„“«(\s]*[a-zäöüßéèêàâçîôû]")
_OPENING_DIGIT = re.compile(r"^[\"'„“«(\s]*\d")

# A line that ends without terminal punctuation and is followed by a line starting in lowercase, or that ends
# with a word a sentence cannot end on, was wrapped mid-sentence by the page (or by main-text extraction).
_LINE_TERMINAL = re.compile(r"[.!?…:;|][\"'“”»«)\]]*\s*$")
_STARTS_LOWER = re.compile(r"^\s*[\"'„“«»(]?\s*[a-zäöüßéèêëàâçîïôûù]")
_LAST_WORD = re.compile(r"([^\W\d_]+)\W*$")
_LETTER = re.compile(r"[^\W\d_]")
_NON_FINAL_WORDS = {
    "de": set(
        "der die das den dem des ein eine einen einem einer eines und oder aber sondern denn weil dass ob wenn "
        "als wie von vom zu zum zur mit nach aus bei seit für über unter vor hinter neben zwischen durch gegen "
        "ohne um an am auf im in ins bis sowie sein seine ihr ihre diese dieser dieses jenes".split()
    ),
    "en": set(
        "the a an and or but of to for with from by at in on into as than that which who whose whom "
        "his her their its our my your this these those is are was were be been has have had will would "
        "can could should not".split()
    ),
    "fr": set(
        "le la les l un une des du de d et ou mais que qui dont où à au aux en dans sur sous par pour avec "
        "sans chez entre vers son sa ses leur leurs ce cette ces est sont a ont".split()
    ),
}

# Quotation marks: which closing mark ends a quotation opened by which mark. „…“ (German), »…« (German
# books and magazines), «…» (French, Swiss), “…” (English), "…" (typewriter quotes, used everywhere).
_CLOSERS = {"„": "“", "»": "«", "«": "»", "“": "”"}
_QUOTE_CHARS = '"„“”«»'
_QUOTED_QUESTION_END = re.compile(r"[?!…]\s*[\"„“”«»]+$")
_LINE = re.compile(r"[^\n]+")
_DANGLING_OPENING_QUOTE = re.compile(r"(?<=[.!?…])\s+[\"„“«»]$")
_AFTER_CLOSING_QUOTE_CONTINUES = re.compile(r"^\s*(?:[,;)\]–—-]|[a-zäöüßéèêëàâçîïôûù])")


# A subheading glued to the sentence after it: a few words without punctuation, then a word that opens
# sentences, capitalised where a sentence cannot go on ("Huawei baut eigene Chips Der Konzern hat …",
# "Prices Keep Rising The index rose …", "Un marché en berne Les ventes ont …"). In English and French the
# word after the opener must be lowercase (or a number), which keeps "According to The Guardian" whole; in
# German nouns are capitalised, so names that begin with an article are listed instead.
_GLUE_OPENERS = {
    # not "Sie" (the polite "you" is capitalised mid-sentence) nor English "A" ("under Section A of the law")
    "de": set(
        "Der Die Das Den Dem Des Ein Eine Einen Einem Einer Er Es Wir Ich Doch Aber Dabei Damit Dies Diese "
        "Dieser Dieses Laut Nach Seit Im Am Beim Zum Zur Mit Bei Für Trotz Auch Denn Jetzt Nun".split()
    ),
    "en": set(
        "The This These Those It He She They We Its Their His Her But However According After When While "
        "Last Since Now Yet In On At For".split()
    ),
    "fr": set(
        "Le La Les L Un Une Des Du Il Elle Ils Elles On Nous Ce Cette Ces Cet Mais Selon Dans En Pour Depuis "
        "Après Lors Pourtant Ainsi Au Aux Son Sa Ses Leur Leurs".split()
    ),
}
_GLUE_WORD = re.compile(r"[^\s'’]+['’]?")
_GLUE_MAX_HEADING_WORDS = 14
_GLUE_NAMES = re.compile(
    r"(?:Die (?:Linke|Grünen|Zeit|Welt|Partei|Presse|Tageszeitung)|Der (?:Spiegel|Standard|Tagesspiegel|"
    r"Freitag|Bund)|Das (?:Erste|Parlament))\b"
)
_TERMINATED = re.compile(r"[.!?…][\"'“”»«)\]]*$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int  # text == document[start:end]
    paragraph: int  # index of the paragraph it belongs to (a line, or hard-wrapped lines joined)
    index_in_paragraph: int
    paragraph_size: int  # number of sentences in that paragraph


@lru_cache(maxsize=16)
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language if language in _PYSBD_LANGUAGES else "en", clean=False)


def _open_quote(text: str) -> str | None:
    """Return the closing mark that `text` still waits for, if a quotation in it is left open."""
    if text.count('"') % 2:
        return '"'
    # "„" pairs with "“", so only count "“" as an opener when no German low quote is around.
    if text.count("„") > text.count("“"):
        return "“"
    if "„" not in text and text.count("“") > text.count("”"):
        return "”"
    guillemets = [c for c in text if c in "«»"]
    if guillemets:
        opener = guillemets[0]
        closer = _CLOSERS[opener]
        if guillemets.count(opener) > guillemets.count(closer):
            return closer
    return None


def _closing_quote_length(left: str, right: str) -> int:
    """Length of the closing quotation mark (with the spaces before it) that starts `right`, or 0.

    The mark belongs to the sentence before when the paragraph up to there (`left`) left a quotation open.
    """
    stripped = right.lstrip()
    if not stripped or stripped[0] not in _QUOTE_CHARS:
        return 0
    closer = _open_quote(left)
    if closer is None or stripped[0] != closer:
        return 0
    return len(right) - len(stripped) + 1


def _should_merge(left: str, right: str, abbreviations: set[str]) -> bool:
    left = left.rstrip()
    right = right.lstrip()
    if not right:
        return False
    # Nothing but punctuation or closing quotes left over (`"`, `«`, `”).`): it belongs to the sentence before.
    if not _LETTER.search(right) and not any(c.isdigit() for c in right):
        return True
    # A sentence never starts with a comma: `"…?", sagte Lindner` / `« … ? », a déclaré X`.
    if right[0] in ",;":
        return True
    # `"…!" he said` / `„…?“ fragte sie`: a reporting clause after a quoted question or exclamation.
    if _QUOTED_QUESTION_END.search(left) and _OPENING_LOWER.match(right):
        return True
    if not left.endswith(".") or not right:
        return False
    if _ORDINAL_END.search(left) and _NEXT_IS_MONTH_OR_NOUN_AFTER_ORDINAL.match(right):
        return True
    match = _LAST_TOKEN.search(left)
    if not match:
        return False
    token = match.group(1)
    last_part = token.split(".")[-1] if "." in token else token
    if last_part in _TITLES and (token == last_part):
        return True
    if token in abbreviations or last_part in abbreviations:
        # A known abbreviation ends a sentence only if a capitalised word (a new sentence) follows.
        return bool(_OPENING_LOWER.match(right) or _OPENING_DIGIT.match(right))
    # Short unknown abbreviations ("vs.", "ff.") followed by a lowercase word: pySBD split mid-sentence.
    return len(last_part) <= 4 and bool(_OPENING_LOWER.match(right))


def _split_paragraph(paragraph: str, language: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences of one paragraph, stripped of surrounding spaces."""
    pieces = _segmenter(language).segment(paragraph)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        stripped = piece.strip()
        if not stripped:
            continue
        found = paragraph.find(stripped, cursor)
        if found < 0:  # pySBD altered the text; fall back to one span for the rest
            spans.append((cursor, len(paragraph.rstrip())))
            cursor = len(paragraph)
            break
        spans.append((found, found + len(stripped)))
        cursor = found + len(stripped)
    abbreviations = _ABBREVIATIONS.get(language, set()) | _ABBREVIATIONS["en"]
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            left = paragraph[merged[-1][0] : merged[-1][1]]
            right = paragraph[start:end]
            dangling = _DANGLING_OPENING_QUOTE.search(left)
            cut = merged[-1][0] + dangling.start() if dangling else 0
            if dangling and _open_quote(paragraph[: merged[-1][1]]) and not _open_quote(paragraph[:cut]):
                # pySBD left the opening mark of the next quotation at the end (`… (18 Uhr). "` | `Sie ist …`).
                merged[-1] = (merged[-1][0], cut)
                start = cut + len(dangling.group(0)) - 1
                left = paragraph[merged[-1][0] : merged[-1][1]]
                right = paragraph[start:end]
            quote = _closing_quote_length(paragraph[: merged[-1][1]], right)
            if quote:
                # pySBD split between a quotation's final stop and its closing mark (`»…Daumen.` | `« Dann`).
                rest = right[quote:]
                if not rest.strip() or _AFTER_CLOSING_QUOTE_CONTINUES.match(rest):
                    merged[-1] = (merged[-1][0], end)  # `«, fragte der Minister.`: one sentence
                    continue
                merged[-1] = (merged[-1][0], start + quote)
                start += quote + (len(rest) - len(rest.lstrip()))
            elif _should_merge(left, right, abbreviations):
                merged[-1] = (merged[-1][0], end)
                continue
        merged.append((start, end))
    return merged


def _paragraphs(text: str, language: str) -> list[tuple[int, int]]:
    """Return (start, end) of the paragraphs: lines, with hard-wrapped lines joined to the next line."""
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group(0).strip()]
    non_final = _NON_FINAL_WORDS.get(language, _NON_FINAL_WORDS["en"])
    blocks: list[tuple[int, int]] = []
    wrapped = False  # the current block already spans a wrapped line
    for start, end in lines:
        if blocks:
            previous = text[blocks[-1][0] : blocks[-1][1]]
            line = text[start:end]
            last = _LAST_WORD.search(previous)
            joins = not _LINE_TERMINAL.search(previous) and bool(_LETTER.search(previous))
            if joins:
                last_word = last.group(1) if last else ""
                joins = bool(
                    _STARTS_LOWER.match(line)
                    or last_word in non_final
                    # inside a wrapped paragraph, a line ending in a lowercase word stops mid-sentence
                    or (
                        wrapped
                        and last is not None
                        and last_word[:1].islower()
                        and last.end(1) == len(previous.rstrip())
                    )
                )
            if joins:
                blocks[-1] = (blocks[-1][0], end)
                wrapped = True
                continue
        blocks.append((start, end))
        wrapped = False
    return blocks


def glued_heading_length(sentence: str, language: str) -> int:
    """Where the sentence proper starts when a subheading is glued before it (0: nothing glued)."""
    openers = _GLUE_OPENERS.get(language)
    if (
        not openers
        or not _TERMINATED.search(sentence)
        or not sentence[:1].isupper()
        and not sentence[:1].isdigit()
    ):
        return 0
    words = list(_GLUE_WORD.finditer(sentence))
    for i in range(1, min(len(words) - 4, _GLUE_MAX_HEADING_WORDS + 1)):
        previous = words[i - 1].group(0)
        if previous[-1] in '.!?;,…"„“”«»–—':
            return 0  # a heading has no sentence punctuation, quotation or dateline dash
        word = words[i].group(0).rstrip("'’")
        if i < 2 or word not in openers or previous.endswith(":"):
            continue
        following = words[i + 1].group(0)
        if language == "de":
            if _GLUE_NAMES.match(sentence, words[i].start()):
                continue
        elif not (following[:1].islower() or following[:1].isdigit()):
            continue
        return words[i].start()
    return 0


def _split_glued_headings(
    spans: list[tuple[int, int]], paragraph: str, language: str
) -> list[list[tuple[int, int]]]:
    """Group a paragraph's sentence spans into paragraphs, a glued subheading being one of its own."""
    groups: list[list[tuple[int, int]]] = [[]]
    for start, end in spans:
        cut = glued_heading_length(paragraph[start:end], language)
        if cut:
            heading_end = start + len(paragraph[start : start + cut].rstrip())
            if groups[-1]:
                groups.append([])
            groups[-1].append((start, heading_end))
            groups.append([(start + cut, end)])
            continue
        groups[-1].append((start, end))
    return [group for group in groups if group]


def split_sentences(text: str, *, language: str) -> list[Sentence]:
    """Split text into sentences; every sentence satisfies `text[s.start:s.end] == s.text`."""
    sentences: list[Sentence] = []
    paragraph_index = 0
    for offset, block_end in _paragraphs(text, language):
        original = text[offset:block_end]
        # Line breaks inside a joined paragraph become spaces for pySBD; same length, so offsets still hold.
        flat = original.replace("\n", " ")
        for spans in _split_glued_headings(_split_paragraph(flat, language), flat, language):
            for index, (start, end) in enumerate(spans):
                sentences.append(
                    Sentence(
                        text=original[start:end],
                        start=offset + start,
                        end=offset + end,
                        paragraph=paragraph_index,
                        index_in_paragraph=index,
                        paragraph_size=len(spans),
                    )
                )
            paragraph_index += 1
    return sentences
