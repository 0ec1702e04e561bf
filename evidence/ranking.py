"""Score passages against a claim and rank sources in one list.

Two stages, so that the encoder's CPU cost per claim is bounded:
1. lexical, over every passage gathered for the claim, three explainable parts in 0..1:
   - BM25 (bm25s), relative to the best passage of the claim;
   - coverage: the IDF-weighted share of the claim's terms that the passage contains (absolute, so an
     irrelevant page cannot look good just by being the best of a bad lot);
   - agreement: the share of the claim's names, numbers and years that the passage mentions;
2. semantic, over the lexical top K only (`rerank_k`, setting FACTCHECK_EVIDENCE_RERANK_K): the shared
   encoder's cosine between the claim and each sentence of the passage, and a learned combination — a
   logistic regression over the lexical parts, the cosines, both ranks and the passage's position
   (evidence/artefacts/ranking-v1.json, trained on Climate-FEVER's train part by
   `python -m training.evidence_ranking`; figures in docs/evidence-quality.md). The other passages keep
   their lexical order below the top K.
A source's relevance is its best passages' score times a provider weight. Published fact-checks that match
the claim come first: a reviewer wants to know that a claim has already been checked before anything else.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from encoder import encode
from evidence.passages import Passage, split_passages
from evidence.providers.registry import provider_class
from textkit.terms import ClaimTerms, TextTerms, claim_terms, stem, text_terms, tokenize

DEFAULT_WEIGHT = 0.8  # a provider that is not registered (EvidenceProvider.weight is the same default)
FACTCHECK_MATCH = 0.3  # a published fact-check at or above this relevance is ranked first
MIN_PASSAGE_SCORE = 0.05  # below this lexical score a passage says nothing about the claim
RERANK_K = 0  # the functions' default (lexical only); the pipeline passes the setting
MODEL_PATH = Path(__file__).with_name("artefacts") / "ranking-v1.json"
FEATURES = (
    "lexical",
    "bm25",
    "coverage",
    "agreement",
    "has_agreement",
    "cos_max",
    "cos_mean",
    "cos_gap",
    "lexical_rank",
    "cosine_rank",
    "sentence_position",
    "page_position",
)
SENTENCE_CACHE = 8192  # sentence vectors kept per process (pages are shared by the claims of an article)


class RankingModel:
    """How the semantic stage combines its features: "logistic" (weights over standardised FEATURES, the
    artefact), "rrf" (reciprocal rank fusion of the lexical and cosine ranks) or "lexical" (no change)."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.kind = spec["kind"]
        # characters of sentences the encoder reads per claim (0: every sentence of the top K), as trained
        self.sentence_budget = int(spec.get("sentence_budget", 0))
        if self.kind == "logistic":
            if tuple(spec["features"]) != FEATURES:
                raise ValueError("ranking model artefact was trained on other features")
            self.mean = np.asarray(spec["mean"], dtype=float)
            self.scale = np.asarray(spec["scale"], dtype=float)
            self.coef = np.asarray(spec["coef"], dtype=float)
            self.intercept = float(spec["intercept"])

    def score(self, rows: np.ndarray) -> np.ndarray:
        """A score in 0..1 per feature row; higher ranks first."""
        if len(rows) == 0:
            return np.zeros(0)
        if self.kind == "logistic":
            z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
            return 1.0 / (1.0 + np.exp(-z))
        if self.kind == "rrf":
            k = float(self.spec.get("k", 60))
            lexical_rank = 1.0 / rows[:, FEATURES.index("lexical_rank")] - 1.0
            cosine_rank = 1.0 / rows[:, FEATURES.index("cosine_rank")] - 1.0
            return (k + 1.0) / 2.0 * (1.0 / (k + 1.0 + lexical_rank) + 1.0 / (k + 1.0 + cosine_rank))
        return rows[:, FEATURES.index("lexical")]


@lru_cache(maxsize=1)
def ranking_model() -> RankingModel:
    """The committed learned combination (evidence/artefacts/ranking-v1.json)."""
    return RankingModel(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


class _VectorCache:
    """Sentence vectors by text, least recently used out; shared by the threads of a process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(texts))
        with self._lock:
            found = {t: self._data[t] for t in wanted if t in self._data}
            for t in found:
                self._data.move_to_end(t)
        missing = [t for t in wanted if t not in found]
        if missing:
            vectors = encode(missing, kind="passage")
            with self._lock:
                for t, v in zip(missing, vectors, strict=True):
                    found[t] = v
                    self._data[t] = v
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        return found


_sentence_vectors = _VectorCache(SENTENCE_CACHE)


def export_sentence_vectors() -> dict[str, np.ndarray]:
    """The cached sentence vectors (training and evaluation save them to skip re-encoding in a later run)."""
    with _sentence_vectors._lock:
        return dict(_sentence_vectors._data)


def import_sentence_vectors(vectors: dict[str, np.ndarray]) -> None:
    """Warm the cache with vectors this encoder computed earlier (same results, less CPU)."""
    _sentence_vectors.size = max(_sentence_vectors.size, len(vectors) + SENTENCE_CACHE)
    with _sentence_vectors._lock:
        _sentence_vectors._data.update(vectors)


def encode_sentences(sentences: Sequence[str]) -> dict[str, np.ndarray]:
    """Unit vectors of evidence sentences (encoder "passage" side), each distinct sentence encoded once."""
    return _sentence_vectors.get_many(sentences)


_imported_claims: dict[str, np.ndarray] = {}  # claim vectors of an earlier run (training, evaluation)


def import_claim_vectors(vectors: dict[str, np.ndarray]) -> None:
    """Claim vectors this encoder computed earlier (development runs: same results, less CPU)."""
    _imported_claims.update(vectors)


@lru_cache(maxsize=256)
def encode_claim(claim_text: str) -> np.ndarray:
    """The claim's unit vector (encoder "query" side); ranking and stance share it. Do not modify it."""
    known = _imported_claims.get(claim_text)
    return known if known is not None else encode([claim_text], kind="query")[0]


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
    # the vectors of its sentences that the semantic stage read, for stance_hint (the stance model reads
    # those and encodes nothing more): {} for a passage it read none of (outside the top K, or over the
    # sentence budget); None when no semantic stage ran (rerank_k = 0)
    vectors: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)


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
    claim_text: str,
    documents: Sequence[str],
    *,
    language: str,
    max_passages: int = 3,
    rerank_k: int = RERANK_K,
    model: RankingModel | None = None,
) -> list[DocumentScore]:
    """Score every document's passages against the claim; one DocumentScore per document, same order."""
    return score_analysed(
        claim_text,
        [analyse_document(d, language=language) for d in documents],
        language=language,
        max_passages=max_passages,
        rerank_k=rerank_k,
        model=model,
    )


@dataclass
class Candidate:
    """One passage of the claim's pool with its lexical parts (what the semantic stage starts from)."""

    document: int
    analysed: AnalysedPassage
    bm25: float
    coverage: float
    agreement: float | None
    lexical: float


def lexical_candidates(
    claim_text: str, documents: Sequence[Sequence[AnalysedPassage]], *, language: str
) -> list[Candidate]:
    """Every passage of every document with its lexical score, in document order."""
    terms = claim_terms(claim_text, language)
    claim_stems = list(dict.fromkeys(stem(t) for t in tokenize(claim_text, language)))
    claim_names = {stem(n) for n in terms.names}
    flat: list[tuple[int, AnalysedPassage]] = [(i, a) for i, doc in enumerate(documents) for a in doc]
    if not flat or not claim_stems:
        return []
    retriever = bm25s.BM25()
    retriever.index([list(a.terms.stems) for _, a in flat], show_progress=False)
    raw = np.asarray(retriever.get_scores(claim_stems), dtype=float)
    top = float(raw.max()) if raw.size else 0.0
    bm25_rel = raw / top if top > 0 else np.zeros_like(raw)

    n = len(flat)
    sets = [a.terms.stem_set for _, a in flat]
    df = {t: sum(1 for s in sets if t in s) for t in claim_stems}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in claim_stems}
    idf_total = sum(idf.values()) or 1.0
    out = []
    for k, (doc_index, analysed) in enumerate(flat):
        coverage = sum(idf[t] for t in claim_stems if t in sets[k]) / idf_total
        agreement = _agreement(terms, claim_names, analysed.terms)
        if agreement is None:
            lexical = 0.55 * coverage + 0.45 * bm25_rel[k]
        else:
            lexical = 0.45 * coverage + 0.35 * bm25_rel[k] + 0.2 * agreement
        out.append(Candidate(doc_index, analysed, float(bm25_rel[k]), coverage, agreement, float(lexical)))
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next, … (ties in input order)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(len(values))
    return ranks


def budgeted_sentences(
    claim_text: str, top: Sequence[Candidate], budget: int, *, language: str = "en"
) -> list[str]:
    """The distinct sentences of the passages `top` that the encoder reads: all of them when `budget` (in
    characters) is 0 or not exceeded, else, most of the claim's terms first (IDF-weighted over these
    sentences; ties: the better lexical passage first), those that fit in `budget` characters — at least
    one. The encoder's CPU grows with the tokens it reads, about one per 4.4 characters of English
    (docs/evidence-quality.md, P9)."""
    distinct = list(dict.fromkeys(s for c in top for s in _sentences(c)))
    if budget <= 0 or sum(len(s) for s in distinct) <= budget:
        return distinct
    claim_stems = {stem(t) for t in tokenize(claim_text, language)}
    found = [{stem(t) for t in tokenize(s, language)} & claim_stems for s in distinct]
    n = len(distinct)
    df = {t: sum(1 for f in found if t in f) for t in claim_stems}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in claim_stems}
    cover = [sum(idf[t] for t in f) for f in found]
    chosen: list[int] = []
    used = 0
    for i in sorted(range(n), key=lambda i: (-cover[i], i)):
        if not chosen or used + len(distinct[i]) <= budget:
            chosen.append(i)
            used += len(distinct[i])
    return [distinct[i] for i in sorted(chosen)]


def semantic_features(
    claim_text: str,
    pool: Sequence[Candidate],
    *,
    rerank_k: int = RERANK_K,
    sentence_budget: int = 0,
    language: str = "en",
) -> tuple[list[int], np.ndarray, dict[str, np.ndarray]]:
    """The lexical top `rerank_k` of the pool (indices into it, best first) and their feature rows
    (FEATURES order), and the sentence vectors read. The encoder reads the claim and each distinct sentence
    of those passages once — or, with a `sentence_budget` (characters), only the sentences
    budgeted_sentences() picks; a passage's cosines are over its sentences that were read, and a passage
    none of whose sentences was read gets the lowest cosine of the claim's passages."""
    order = sorted(range(len(pool)), key=lambda i: (-pool[i].lexical, i))[: max(0, rerank_k)]
    if not order:
        return [], np.zeros((0, len(FEATURES))), {}
    top = [pool[i] for i in order]
    claim_vector = encode_claim(claim_text)
    sentence_vectors = encode_sentences(
        budgeted_sentences(claim_text, top, sentence_budget, language=language)
    )
    cos_max = np.full(len(top), np.nan)
    cos_mean = np.full(len(top), np.nan)
    for j, c in enumerate(top):
        sims = np.array(
            [float(sentence_vectors[s] @ claim_vector) for s in _sentences(c) if s in sentence_vectors]
        )
        if sims.size:
            cos_max[j], cos_mean[j] = sims.max(), sims.mean()
    lowest = float(np.nanmin(cos_mean))  # a budget leaves at least one sentence, so one passage was read
    cos_max = np.where(np.isnan(cos_max), lowest, cos_max)
    cos_mean = np.where(np.isnan(cos_mean), lowest, cos_mean)
    lexical = np.array([c.lexical for c in top])
    rows = np.column_stack(
        [
            lexical,
            [c.bm25 for c in top],
            [c.coverage for c in top],
            [c.agreement or 0.0 for c in top],
            [c.agreement is not None for c in top],
            cos_max,
            cos_mean,
            cos_max - cos_max.max(),
            1.0 / (1.0 + _ranks(lexical)),
            1.0 / (1.0 + _ranks(cos_max)),
            [1.0 / (1.0 + c.analysed.passage.first) for c in top],
            [1.0 / (1.0 + c.document) for c in top],
        ]
    ).astype(float)
    return order, rows, sentence_vectors


def _sentences(candidate: Candidate) -> tuple[str, ...]:
    return candidate.analysed.passage.sentences or (candidate.analysed.passage.text,)


def score_analysed(
    claim_text: str,
    documents: Sequence[Sequence[AnalysedPassage]],
    *,
    language: str,
    max_passages: int = 3,
    rerank_k: int = RERANK_K,
    model: RankingModel | None = None,
) -> list[DocumentScore]:
    """score_documents over documents already cut by analyse_document (same results)."""
    pool = lexical_candidates(claim_text, documents, language=language)
    scores = [c.lexical for c in pool]
    vectors: dict[int, dict[str, np.ndarray]] = {}
    semantic = bool(pool) and rerank_k > 0
    if semantic:
        model = model or ranking_model()
        order, rows, read = semantic_features(
            claim_text, pool, rerank_k=rerank_k, sentence_budget=model.sentence_budget, language=language
        )
        learned = model.score(rows)
        for i in order:
            vectors[i] = {s: read[s] for s in _sentences(pool[i]) if s in read}
        floor = float(learned.min())
        # below the top K: lexical order, under every re-ranked passage
        scores = [min(floor, c.lexical) * 0.5 for c in pool]
        for i, value in zip(order, learned, strict=True):
            scores[i] = float(value)
    scored: list[list[ScoredPassage]] = [[] for _ in documents]
    for k, (c, score) in enumerate(zip(pool, scores, strict=True)):
        passage = c.analysed.passage
        if c.lexical < MIN_PASSAGE_SCORE:
            continue  # says nothing about the claim, whatever the encoder thinks
        scored[c.document].append(
            ScoredPassage(
                text=passage.text,
                score=round(float(score), 4),
                bm25=round(c.bm25, 4),
                coverage=round(c.coverage, 4),
                agreement=round(c.agreement or 0.0, 4),
                first=passage.first,
                last=passage.last,
                terms=c.analysed.terms,
                vectors=vectors.get(k, {} if semantic else None),
            )
        )
    return [_document_score(passages, max_passages) for passages in scored]


def _document_score(passages: list[ScoredPassage], max_passages: int) -> DocumentScore:
    best: list[ScoredPassage] = []
    for p in sorted(passages, key=lambda p: (-p.score, p.first)):
        if len(best) >= max_passages:
            break
        if any(p.first <= b.last and b.first <= p.last for b in best):
            continue  # overlapping windows would show the reviewer the same sentence twice
        best.append(p)
    if not best:
        return DocumentScore()
    rest = [p.score for p in best[1:]]
    relevance = 0.8 * best[0].score + 0.2 * (sum(rest) / len(rest) if rest else best[0].score)
    return DocumentScore(passages=best, relevance=round(relevance, 4))


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
    "Candidate",
    "FEATURES",
    "RERANK_K",
    "RankingModel",
    "encode_claim",
    "encode_sentences",
    "lexical_candidates",
    "ranking_model",
    "semantic_features",
    "DocumentScore",
    "FACTCHECK_MATCH",
    "ScoredPassage",
    "analyse_document",
    "budgeted_sentences",
    "provider_weight",
    "score_analysed",
    "score_documents",
    "sort_key",
    "weighted_relevance",
]
