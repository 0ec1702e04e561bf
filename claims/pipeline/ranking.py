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

from claims.pipeline.passages import Passage, split_passages
from claims.pipeline.queries import ClaimTerms, claim_terms, numbers, stem, tokenize, years

PROVIDER_WEIGHTS: dict[str, float] = {
    "factchecktools": 1.0,
    "archive": 1.0,
    "wikipedia": 0.9,
    "searxng": 0.85,
}
DEFAULT_WEIGHT = 0.8
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


@dataclass
class DocumentScore:
    passages: list[ScoredPassage] = field(default_factory=list)  # best first, non-overlapping
    relevance: float = 0.0


def _stems(tokens: Sequence[str]) -> list[str]:
    return [stem(t) for t in tokens]


def _agreement(
    terms: ClaimTerms, claim_names: set[str], passage_text: str, passage_stems: set[str]
) -> float | None:
    parts: list[float] = []
    if claim_names:
        parts.append(len(claim_names & passage_stems) / len(claim_names))
    values = {v for v in terms.numbers if v not in {float(y) for y in terms.years}}
    if values:
        found = numbers(passage_text, terms.language)
        parts.append(len(values & found) / len(values))
    if terms.years:
        parts.append(len(terms.years & years(passage_text)) / len(terms.years))
    return sum(parts) / len(parts) if parts else None


def score_documents(
    claim_text: str, documents: Sequence[str], *, language: str, max_passages: int = 3
) -> list[DocumentScore]:
    """Score every document's passages against the claim; one DocumentScore per document, same order."""
    terms = claim_terms(claim_text, language)
    claim_stems = list(dict.fromkeys(_stems(tokenize(claim_text, language))))
    claim_names = {stem(n) for n in terms.names}
    per_doc: list[list[Passage]] = [split_passages(d) for d in documents]
    flat: list[tuple[int, Passage]] = [(i, p) for i, ps in enumerate(per_doc) for p in ps]
    results = [DocumentScore() for _ in documents]
    if not flat or not claim_stems:
        return results

    corpus = [_stems(tokenize(p.text, language)) for _, p in flat]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    raw = np.asarray(retriever.get_scores(claim_stems), dtype=float)
    top = float(raw.max()) if raw.size else 0.0
    bm25_rel = raw / top if top > 0 else np.zeros_like(raw)

    n = len(corpus)
    sets = [set(c) for c in corpus]
    df = {t: sum(1 for s in sets if t in s) for t in claim_stems}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in claim_stems}
    idf_total = sum(idf.values()) or 1.0

    scored: list[list[ScoredPassage]] = [[] for _ in documents]
    for k, (doc_index, passage) in enumerate(flat):
        stems = sets[k]
        coverage = sum(idf[t] for t in claim_stems if t in stems) / idf_total
        agreement = _agreement(terms, claim_names, passage.text, stems)
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
    return PROVIDER_WEIGHTS.get(provider, DEFAULT_WEIGHT)


def weighted_relevance(provider: str, relevance: float) -> float:
    return round(relevance * provider_weight(provider), 4)


def sort_key(provider: str, relevance: float, rating: str = "") -> tuple[int, float]:
    """Matching published fact-checks first, then by weighted relevance (descending)."""
    is_factcheck_match = provider == "factchecktools" and bool(rating) and relevance >= FACTCHECK_MATCH
    return (0 if is_factcheck_match else 1, -relevance)


__all__ = [
    "DocumentScore",
    "FACTCHECK_MATCH",
    "PROVIDER_WEIGHTS",
    "ScoredPassage",
    "provider_weight",
    "score_documents",
    "sort_key",
    "weighted_relevance",
]
