"""Split a document into passages: a few consecutive sentences, at most 800 characters each.

Plain Python and regular expressions: passages only need sentence boundaries good enough to show a reviewer
a readable excerpt, and this runs over every candidate page of every claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PASSAGE_CHARS = 800
SENTENCES_PER_PASSAGE = 3

# Sentence end: . ! ? … followed by space and an upper-case letter, digit or opening quote. Common
# abbreviations and initials are protected below.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'»”)\]]?\s+(?=[\"'«„“(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|Inc|Ltd|Co|Corp|No|Nr|Fig|Abb|bzw|ca|Dr|Hr|Fr|z\.B|d\.h|"
    r"u\.a|usw|vgl|Mio|Mrd|M|Mme|Mlle|env|cf|p|S|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Okt|Nov|Dec|Dez)"
    r"|\b[A-Z])\.$"
)
_WS = re.compile(r"[ \t\r\f\v]+")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`; paragraph breaks always end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*[-•*]\s)", text or ""):
        paragraph = _WS.sub(" ", paragraph.replace("\n", " ")).strip()
        if not paragraph:
            continue
        start = 0
        pending = ""
        for m in _BOUNDARY.finditer(paragraph):
            piece = paragraph[start : m.start()].strip()
            start = m.end()
            candidate = f"{pending} {piece}".strip() if pending else piece
            if _ABBREVIATIONS.search(candidate):
                pending = candidate
                continue
            sentences.append(candidate)
            pending = ""
        tail = paragraph[start:].strip()
        last = f"{pending} {tail}".strip() if pending else tail
        if last:
            sentences.append(last)
    return sentences


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


@dataclass(frozen=True)
class Passage:
    text: str
    first: int  # index of its first sentence in the document
    last: int  # index of its last sentence
    sentences: tuple[str, ...] = ()  # its sentences (each clipped like the passage): what the encoder reads


def split_passages(
    text: str,
    *,
    max_chars: int = MAX_PASSAGE_CHARS,
    sentences: int = SENTENCES_PER_PASSAGE,
    max_passages: int = 400,
) -> list[Passage]:
    """Overlapping windows of up to `sentences` sentences, each at most `max_chars` characters.

    Windows advance by one sentence so that the sentence that settles a claim is always the centre of some
    passage; a single over-long sentence is clipped at a word boundary. Very long documents are cut at
    `max_passages` windows (scoring cost grows with it; the first part of a page is where news is).
    """
    sents = split_sentences(text)
    passages: list[Passage] = []
    seen: set[str] = set()
    for i in range(len(sents)):
        window = [sents[i]]
        for s in sents[i + 1 : i + sentences]:
            if len(" ".join(window)) + 1 + len(s) > max_chars:
                break
            window.append(s)
        body = _clip(" ".join(window), max_chars)
        if body not in seen:
            seen.add(body)
            parts = tuple(_clip(sent, max_chars) for sent in window)
            passages.append(Passage(body, i, i + len(window) - 1, parts))
        if len(passages) >= max_passages or i + len(window) >= len(sents):
            break  # this window already reaches the end of the text
    return passages
