"""Stance hints per source: supports / refutes / unclear, each with the reason a reviewer can check.

A published fact-check's rating decides first. Otherwise a trained model reads each sentence of the
source's best passages against the claim (when the ranking's encoder ran, only the sentences it read, so the
stance adds no encoding): a multinomial logistic regression over the shared encoder's
vectors of both (u, v, |u−v|, u·v) and a few explainable signals (figures, dates, negation, antonyms,
debunking words, shared terms), trained on Climate-FEVER's labelled evidence (train part only) by
`python -m training.evidence_stance` (evidence/artefacts/stance-v1.json). It decides only when its
probability for supports or refutes reaches the artefact's threshold, chosen on the dev part so that
precision when decided is ≥ 0.85; otherwise "unclear" — a confident wrong stance is worse than none. The
reason names the probability, the sentence and the signals that agree or disagree. These are hints — the
verdict stays a human decision. The rule-based reading (`rule_stance`) is kept as one of the signals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from evidence.passages import split_sentences
from evidence.ranking import encode_claim, encode_sentences
from textkit.terms import (
    NEGATIONS,
    TextTerms,
    claim_terms,
    fold,
    format_number,
    normalize_language,
    stem,
    text_terms,
    tokenize,
)

SUPPORTS, REFUTES, UNCLEAR = "supports", "refutes", "unclear"

# How much of the claim a passage must repeat before its details are compared at all.
MATCH_COVERAGE = 0.65
SUPPORT_COVERAGE = 0.7

_FALSE_RATINGS = re.compile(
    r"\b(false|fals[ce]h?|faux|fausse|incorrect|inexact|wrong|pants on fire|fake|hoax|fabricated|"
    r"misleading|irreführend|trompeu[rs]e?|not true|unproven|unsupported|baseless|no evidence|"
    r"mostly false|largely false|erfunden|manipuliert|infondé|scam|debunked|myth)\b",
    re.IGNORECASE,
)
_TRUE_RATINGS = re.compile(
    r"^\s*(true|correct|accurate|richtig|wahr|stimmt|vrai|exact|mostly true|largely true|"
    r"largely accurate|mostly correct|überwiegend richtig|plutôt vrai)\b",
    re.IGNORECASE,
)
_DEBUNK = {
    "en": re.compile(
        r"\b(false(ly)?|myth|debunk\w*|hoax|no evidence|misleading|baseless|untrue|"
        r"not true|fabricated|misinformation|disinformation|conspiracy theor\w+)\b",
        re.I,
    ),
    "de": re.compile(
        r"\b(falsch\w*|irreführend\w*|kein(e|en)? (Beleg|Beweis)\w*|Mythos|widerlegt|"
        r"Falschbehauptung\w*|Desinformation|Verschwörungs\w+|stimmt nicht|erfunden)\b",
        re.I,
    ),
    "fr": re.compile(
        r"\b(faux|fausse|trompeu\w+|aucune preuve|infondée?s?|mythe|démenti|intox|"
        r"désinformation|complotis\w+|inexact\w*)\b",
        re.I,
    ),
}


def rating_stance(rating: str) -> tuple[str, str] | None:
    """Map a published fact-check's textual rating to a stance towards the checked claim."""
    if not rating:
        return None
    if _TRUE_RATINGS.search(rating):
        return SUPPORTS, f"published fact-check rated the claim “{rating}”"
    if _FALSE_RATINGS.search(rating):
        return REFUTES, f"published fact-check rated the claim “{rating}”"
    return UNCLEAR, f"published fact-check rating “{rating}” is neither true nor false"


def _negated(tokens: Sequence[str], language: str) -> bool:
    negs = NEGATIONS[normalize_language(language)] | NEGATIONS["en"]
    return sum(1 for t in tokens if t in negs) % 2 == 1


def _fmt(values: Set[float]) -> str:
    return ", ".join(format_number(v) for v in sorted(values)[:4])


@dataclass(frozen=True)
class _ClaimSide:
    stems: frozenset[str]  # without numbers
    years: frozenset[int]
    values: frozenset[float]  # numbers that are not years
    negated: bool
    debunks: bool  # the claim itself says "myth", "false", …


@lru_cache(maxsize=256)
def _claim_side(claim_text: str, lang: str) -> _ClaimSide:
    """The claim's half of passage_stance, computed once per claim rather than once per passage."""
    terms = claim_terms(claim_text, lang)
    claim_words = [fold(w) for w in re.findall(r"[\w'’]+", claim_text)]
    return _ClaimSide(
        stems=frozenset(stem(t) for t in tokenize(claim_text, lang) if not t[0].isdigit()),
        years=frozenset(terms.years),
        values=frozenset(v for v in terms.numbers if v not in {float(y) for y in terms.years}),
        negated=_negated(claim_words, lang),
        debunks=bool(_DEBUNK[lang].search(claim_text)),
    )


def rule_stance(
    claim_text: str, passage: str, *, language: str, terms: TextTerms | None = None
) -> tuple[str, str]:
    """The explainable rules' reading of one passage (a signal of the model, and its reasons).

    `terms` are the passage's text_terms if the caller has them already (ranking computes them).
    """
    lang = normalize_language(language)
    claim = _claim_side(claim_text, lang)
    if terms is None:
        terms = text_terms(passage, lang)
    claim_stems = claim.stems
    coverage = len(claim_stems & terms.stem_set) / len(claim_stems) if claim_stems else 0.0
    if coverage < MATCH_COVERAGE:
        return UNCLEAR, f"passage shares only {coverage:.0%} of the claim's terms"

    claim_years = claim.years
    passage_years = terms.years
    if claim_years and passage_years and not (claim_years & passage_years):
        return REFUTES, (
            f"matching passage gives other dates: claim {_fmt({float(y) for y in claim_years})}, "
            f"source {_fmt({float(y) for y in passage_years})}"
        )
    claim_values = claim.values
    passage_values = {v for v in terms.numbers if v not in {float(y) for y in passage_years}}
    if claim_values and passage_values and not (claim_values & passage_values):
        return REFUTES, (
            f"matching passage gives other figures: claim {_fmt(claim_values)}, source {_fmt(passage_values)}"
        )
    passage_words = [fold(w) for w in re.findall(r"[\w'’]+", passage)]
    passage_negated = _negated(passage_words, lang)
    if claim.negated != passage_negated:
        which = "source" if passage_negated else "claim"
        return REFUTES, f"matching passage disagrees in negation (the {which} is negated)"
    debunk = _DEBUNK[lang].search(passage) or _DEBUNK["en"].search(passage)
    if debunk and not claim.debunks:
        return REFUTES, f"matching passage calls it “{debunk.group(0)}”"
    if coverage >= SUPPORT_COVERAGE:
        agreed = []
        if claim_values and claim_values <= passage_values | terms.numbers:
            agreed.append(f"figures {_fmt(claim_values)}")
        if claim_years and claim_years <= passage_years:
            agreed.append(f"dates {_fmt({float(y) for y in claim_years})}")
        if (claim_values and not any("figures" in a for a in agreed)) or (
            claim_years and not any("dates" in a for a in agreed)
        ):
            return UNCLEAR, f"passage repeats {coverage:.0%} of the claim's terms but not all its figures"
        detail = f" and the same {' and '.join(agreed)}" if agreed else ""
        return SUPPORTS, f"passage repeats {coverage:.0%} of the claim's terms{detail}"
    return UNCLEAR, f"passage shares {coverage:.0%} of the claim's terms; no disagreement found"


MODEL_PATH = Path(__file__).with_name("artefacts") / "stance-v1.json"
CLASSES = (SUPPORTS, REFUTES, UNCLEAR)
_ANTONYMS = (
    ("increase", "decrease"),
    ("rise", "fall"),
    ("more", "less"),
    ("higher", "lower"),
    ("warming", "cooling"),
    ("grow", "shrink"),
    ("gain", "loss"),
    ("positive", "negative"),
    ("above", "below"),
    ("accelerat", "slow"),
    ("expand", "retreat"),
    ("steigen", "sinken"),
    ("zunehm", "abnehm"),
    ("mehr", "weniger"),
    ("hausse", "baisse"),
    ("plus", "moins"),
)
SIGNALS = (
    "coverage",
    "figures_agree",
    "figures_differ",
    "dates_agree",
    "dates_differ",
    "negation_differs",
    "antonym",
    "debunks",
    "rule_refutes",
    "rule_supports",
)


def _has(words: set[str], prefix: str) -> bool:
    return any(w.startswith(prefix) for w in words)


_ANTONYM_PREFIXES = tuple(p for pair in _ANTONYMS for p in pair)


def _antonym(claim_words: set[str], passage_words: set[str]) -> bool:
    """One says "increase" where the other says "decrease" (and not both)."""
    # only words starting with one of the prefixes can match (one C-level check per word, same result)
    claim_words = {w for w in claim_words if w.startswith(_ANTONYM_PREFIXES)}
    passage_words = {w for w in passage_words if w.startswith(_ANTONYM_PREFIXES)}
    if not claim_words or not passage_words:
        return False
    for a, b in _ANTONYMS:
        ca, cb, pa, pb = (
            _has(claim_words, a),
            _has(claim_words, b),
            _has(passage_words, a),
            _has(passage_words, b),
        )
        if (ca and pb and not pa) or (cb and pa and not pb):
            return True
    return False


def signals(claim_text: str, sentence: str, *, language: str) -> np.ndarray:
    """The explainable signals of one claim–sentence pair, in SIGNALS order (0/1 or a share)."""
    lang = normalize_language(language)
    claim = _claim_side(claim_text, lang)
    terms = text_terms(sentence, lang)
    coverage = len(claim.stems & terms.stem_set) / len(claim.stems) if claim.stems else 0.0
    values = {v for v in terms.numbers if v not in {float(y) for y in terms.years}}
    claim_words = {fold(w) for w in re.findall(r"[\w'’]+", claim_text)}
    words = [fold(w) for w in re.findall(r"[\w'’]+", sentence)]
    rule, _ = rule_stance(claim_text, sentence, language=lang, terms=terms)
    debunk = _DEBUNK[lang].search(sentence) or _DEBUNK["en"].search(sentence)
    return np.array(
        [
            coverage,
            bool(claim.values & values),
            bool(claim.values and values and not claim.values & values),
            bool(claim.years & terms.years),
            bool(claim.years and terms.years and not claim.years & terms.years),
            claim.negated != _negated(words, lang),
            _antonym(claim_words, set(words)),
            bool(debunk) and not claim.debunks,
            rule == REFUTES,
            rule == SUPPORTS,
        ],
        dtype=float,
    )


def pair_features(
    claim_vector: np.ndarray, sentence_vector: np.ndarray, signal_row: np.ndarray
) -> np.ndarray:
    """u, v, |u−v|, u·v (element-wise) of the two unit vectors, then the signals."""
    u, v = claim_vector, sentence_vector
    return np.concatenate([u, v, np.abs(u - v), u * v, signal_row]).astype(float)


class StanceModel:
    """The artefact: class weights over pair_features and the probability needed to decide."""

    def __init__(self, spec: dict) -> None:
        if tuple(spec["classes"]) != CLASSES or tuple(spec["signals"]) != SIGNALS:
            raise ValueError("stance model artefact was trained on other classes or signals")
        self.spec = spec
        self.coef = np.asarray(spec["coef"], dtype=float)  # (classes, features)
        self.intercept = np.asarray(spec["intercept"], dtype=float)
        self.threshold = float(spec["threshold"])
        # the languages of its labelled pairs (empty: any); other languages keep the rules
        self.languages = frozenset(spec.get("languages", ()))

    def covers(self, language: str) -> bool:
        return not self.languages or language in self.languages

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        z = rows @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def decide(self, probabilities: np.ndarray) -> tuple[str, float]:
        """(stance, probability) of one row: supports/refutes only at or above the threshold."""
        best = int(np.argmax(probabilities[:2]))
        p = float(probabilities[best])
        return (CLASSES[best], p) if p >= self.threshold else (UNCLEAR, p)


@lru_cache(maxsize=1)
def stance_model() -> StanceModel | None:
    """The committed model (evidence/artefacts/stance-v1.json), or None without one: then the explainable
    rules alone give the stance (rule_stance). The model speaks only for the languages it was trained on
    (English Climate-FEVER pairs); claims in other languages keep the rules."""
    if not MODEL_PATH.exists():
        return None
    return StanceModel(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


def _signal_words(row: np.ndarray) -> str:
    said = {
        "figures_agree": "same figures",
        "figures_differ": "other figures",
        "dates_agree": "same dates",
        "dates_differ": "other dates",
        "negation_differs": "negation differs",
        "antonym": "opposite direction",
        "debunks": "debunking words",
    }
    return ", ".join(text for name, text in said.items() if row[SIGNALS.index(name)])


def passage_stance(
    claim_text: str,
    passage: str,
    *,
    language: str,
    terms: TextTerms | None = None,
    model: StanceModel | None = None,
    read: Mapping[str, np.ndarray] | None = None,
) -> tuple[str, str]:
    """Stance of one passage towards the claim, with the reason: the model over each of its sentences;
    the most confident decided sentence wins. (`terms` is accepted for callers that have it; the model
    reads sentences.) `read`: the vectors of the passage's sentences that the ranking's encoder read
    (ScoredPassage.vectors) — the model then reads only those and encodes nothing, so that the encoder's CPU
    per claim stays the ranking's (docs/evidence-quality.md, P9); None: it reads every sentence."""
    model = model or stance_model()
    if model is None or not model.covers(language):
        return rule_stance(claim_text, passage, language=language, terms=terms)
    if read is not None:
        if not read:
            return UNCLEAR, "model: the ranking's encoder read none of this passage's sentences"
        sentences, vectors = list(read), dict(read)
    else:
        sentences = split_sentences(passage) or [passage]
        vectors = encode_sentences(sentences)
    claim_vector = encode_claim(claim_text)
    rows = [signals(claim_text, s, language=language) for s in sentences]
    probs = model.probabilities(
        np.vstack([pair_features(claim_vector, vectors[s], r) for s, r in zip(sentences, rows, strict=True)])
    )
    decided = [(model.decide(p), i) for i, p in enumerate(probs)]
    stance, p, i = max(((d[0], d[1], i) for d, i in decided), key=lambda t: (t[0] != UNCLEAR, t[1]))
    if stance == UNCLEAR:
        return UNCLEAR, f"model undecided (best {p:.0%} < {model.threshold:.0%} needed)"
    detail = _signal_words(rows[i])
    quoted = sentences[i] if len(sentences[i]) <= 120 else sentences[i][:117] + "…"
    return stance, f"model: {stance} at {p:.0%} on “{quoted}”" + (f"; {detail}" if detail else "")


def stance_hint(
    claim_text: str,
    passages: Sequence[str],
    *,
    language: str,
    rating: str = "",
    terms: Sequence[TextTerms | None] = (),
    read: Sequence[Mapping[str, np.ndarray] | None] = (),
) -> tuple[str, str]:
    """Stance of a source: its fact-check rating if it has one, else the first decisive passage (best first).

    `terms`, if given, are the passages' text_terms in the same order (ScoredPassage.terms); `read`, the
    sentence vectors the ranking read for each (ScoredPassage.vectors; see passage_stance).
    """
    from_rating = rating_stance(rating)
    if from_rating is not None:
        return from_rating
    reasons = []
    for i, passage in enumerate(passages):
        known = terms[i] if i < len(terms) else None
        vectors = read[i] if i < len(read) else None
        stance, reason = passage_stance(claim_text, passage, language=language, terms=known, read=vectors)
        if stance != UNCLEAR:
            return stance, reason
        reasons.append(reason)
    return UNCLEAR, reasons[0] if reasons else "no passage matches the claim"
