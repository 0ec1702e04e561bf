"""Sentence segmentation with exact character offsets for German, English and French.

pySBD does the splitting inside each paragraph (a line of the extracted text); this module maps every
sentence back to its offsets and repairs the splits pySBD gets wrong on real pages: abbreviations that
precede a number or a lowercase word ("Abs. 2", "Nr. 3", "z. B.", "trim. 2019", "p. ex."), and ordinal
dates ("15. August"). Plain Python, no Django import.
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


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int  # text == document[start:end]
    paragraph: int  # index of the line (paragraph) it belongs to
    index_in_paragraph: int
    paragraph_size: int  # number of sentences in that paragraph


@lru_cache(maxsize=16)
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language if language in _PYSBD_LANGUAGES else "en", clean=False)


def _should_merge(left: str, right: str, abbreviations: set[str]) -> bool:
    left = left.rstrip()
    right = right.lstrip()
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
    for span in spans:
        if merged and _should_merge(
            paragraph[merged[-1][0] : merged[-1][1]], paragraph[span[0] : span[1]], abbreviations
        ):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


def split_sentences(text: str, *, language: str) -> list[Sentence]:
    """Split text into sentences; every sentence satisfies `text[s.start:s.end] == s.text`."""
    sentences: list[Sentence] = []
    for paragraph_index, line in enumerate(re.finditer(r"[^\n]+", text)):
        paragraph = line.group(0)
        if not paragraph.strip():
            continue
        spans = _split_paragraph(paragraph, language)
        offset = line.start()
        for index, (start, end) in enumerate(spans):
            sentences.append(
                Sentence(
                    text=paragraph[start:end],
                    start=offset + start,
                    end=offset + end,
                    paragraph=paragraph_index,
                    index_in_paragraph=index,
                    paragraph_size=len(spans),
                )
            )
    return sentences
