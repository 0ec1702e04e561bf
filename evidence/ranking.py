"""Score passages against a claim and rank sources in one list.

A passage's score mixes three explainable parts, each in 0..1:
- BM25 (bm25s) over all passages gathered for the claim, relative to the best passage of the claim;
- coverage: the IDF-weighted share of the claim's terms that the passage contains (absolute, so an
  irrelevant page cannot look good just by being the best of a bad lot);
- agreement: the share of the claim's names, numbers and years that the passage mentions.
A source's relevance is its best passages' score times a provider weight. Published fact-checks that match
the claim come first: a reviewer wants to know that a claim has already been checked before anything else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

from evidence.passages import Passage, split_passages
from evidence.providers.registry import provider_class
from textkit.terms import ClaimTerms, TextTerms, claim_terms, stem, text_terms, tokenize

DEFAULT_WEIGHT = 0.8  # a provider that is not registered (EvidenceProvider.weight is the same default)
FACTCHECK_MATCH = 0.3  # a published fact-check at or above this relevance is ranked first
MIN_PASSAGE_SCORE = 0.05  # below this a passage says nothing about the claim


@dataclass
class ScoredPassage:
    text: str
    score: float
    bm25: float
    coverage: float
    agreement: float
    first: int = 0
    last: int = 0
    terms: TextTerms | None = field(default=None, repr=False, compare=False)  # for stance_hint


@dataclass
class DocumentScore:
    passages: list[ScoredPassage] = field(default_factory=list)  # best first, non-overlapping
    relevance: float = 0.0


@dataclass(frozen=True)
class AnalysedPassage:
    passage: Passage
    terms: TextTerms


def analyse_document(text: str, *, language: str) -> list[AnalysedPassage]:
    """A document's passages with their terms. Independent of the claim: gather_evidence runs it on each
    page as it arrives, so that only the corpus-wide part (BM25) is left for when the last page is in."""
    return [AnalysedPassage(p, text_terms(p.text, language)) for p in split_passages(text)]


def _agreement(terms: ClaimTerms, claim_names: set[str], passage: TextTerms) -> float | None:
    parts: list[float] = []
    if claim_names:
        parts.append(len(claim_names & passage.stem_set) / len(claim_names))
    values = {v for v in terms.numbers if v not in {float(y) for y in terms.years}}
    if values:
        parts.append(len(values & passage.numbers) / len(values))
    if terms.years:
        parts.append(len(terms.years & passage.years) / len(terms.years))
    return sum(parts) / len(parts) if parts else None


def score_documents(
    claim_text: str, documents: Sequence[str], *, language: str, max_passages: int = 3
) -> list[DocumentScore]:
    """Score every document's passages against the claim; one DocumentScore per document, same order."""
    return score_analysed(
        claim_text,
        [analyse_document(d, language=language) for d in documents],
        language=language,
        max_passages=max_passages,
    )


def score_analysed(
    claim_text: str,
    documents: Sequence[Sequence[AnalysedPassage]],
    *,
    language: str,
    max_passages: int = 3,
) -> list[DocumentScore]:
    """score_documents over documents already cut by analyse_document (same results)."""
    terms = claim_terms(claim_text, language)
    claim_stems = list(dict.fromkeys(stem(t) for t in tokenize(claim_text, language)))
    claim_names = {stem(n) for n in terms.names}
    flat: list[tuple[int, AnalysedPassage]] = [(i, a) for i, doc in enumerate(documents) for a in doc]
    results = [DocumentScore() for _ in documents]
    if not flat or not claim_stems:
        return results

    corpus = [list(a.terms.stems) for _, a in flat]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    raw = np.asarray(retriever.get_scores(claim_stems), dtype=float)
    top = float(raw.max()) if raw.size else 0.0
    bm25_rel = raw / top if top > 0 else np.zeros_like(raw)

    n = len(corpus)
    sets = [a.terms.stem_set for _, a in flat]
    df = {t: sum(1 for s in sets if t in s) for t in claim_stems}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in claim_stems}
    idf_total = sum(idf.values()) or 1.0

    scored: list[list[ScoredPassage]] = [[] for _ in documents]
    for k, (doc_index, analysed) in enumerate(flat):
        passage = analysed.passage
        stems = sets[k]
        coverage = sum(idf[t] for t in claim_stems if t in stems) / idf_total
        agreement = _agreement(terms, claim_names, analysed.terms)
        if agreement is None:
            score = 0.55 * coverage + 0.45 * bm25_rel[k]
            agreement = 0.0
        else:
            score = 0.45 * coverage + 0.35 * bm25_rel[k] + 0.2 * agreement
        scored[doc_index].append(
            ScoredPassage(
                text=passage.text,
                score=round(float(score), 4),
                bm25=round(float(bm25_rel[k]), 4),
                coverage=round(coverage, 4),
                agreement=round(agreement, 4),
                first=passage.first,
                last=passage.last,
                terms=analysed.terms,
            )
        )

    for doc_index, passages in enumerate(scored):
        best: list[ScoredPassage] = []
        for p in sorted(passages, key=lambda p: (-p.score, p.first)):
            if p.score < MIN_PASSAGE_SCORE or len(best) >= max_passages:
                break
            if any(p.first <= b.last and b.first <= p.last for b in best):
                continue  # overlapping windows would show the reviewer the same sentence twice
            best.append(p)
        if best:
            rest = [p.score for p in best[1:]]
            relevance = 0.8 * best[0].score + 0.2 * (sum(rest) / len(rest) if rest else best[0].score)
        else:
            relevance = 0.0
        results[doc_index] = DocumentScore(passages=best, relevance=round(relevance, 4))
    return results


def provider_weight(provider: str) -> float:
    cls = provider_class(provider)
    return cls.weight if cls is not None else DEFAULT_WEIGHT


def weighted_relevance(provider: str, relevance: float) -> float:
    return round(relevance * provider_weight(provider), 4)


def sort_key(provider: str, relevance: float, rating: str = "") -> tuple[int, float]:
    """Matching published fact-checks first, then by weighted relevance (descending)."""
    cls = provider_class(provider)
    publishes = cls is not None and cls.publishes_ratings
    is_factcheck_match = publishes and bool(rating) and relevance >= FACTCHECK_MATCH
    return (0 if is_factcheck_match else 1, -relevance)


__all__ = [
    "AnalysedPassage",
    "DocumentScore",
    "FACTCHECK_MATCH",
    "ScoredPassage",
    "analyse_document",
    "provider_weight",
    "score_analysed",
    "score_documents",
    "sort_key",
    "weighted_relevance",
]
