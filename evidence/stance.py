"""Stance hints per source: supports / refutes / unclear, each with the reason a reviewer can check.

Only explainable signals, never a hidden model: a published fact-check's rating; a matching passage whose
numbers, years or negation disagree with the claim (a refutation candidate); words that debunk; or a
passage that repeats the claim's terms and figures. These are hints — the verdict stays a human decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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


def _fmt(values: set[float]) -> str:
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


def passage_stance(
    claim_text: str, passage: str, *, language: str, terms: TextTerms | None = None
) -> tuple[str, str]:
    """Stance of one passage towards the claim, with the reason.

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


def stance_hint(
    claim_text: str,
    passages: Sequence[str],
    *,
    language: str,
    rating: str = "",
    terms: Sequence[TextTerms | None] = (),
) -> tuple[str, str]:
    """Stance of a source: its fact-check rating if it has one, else the first decisive passage (best first).

    `terms`, if given, are the passages' text_terms in the same order (ScoredPassage.terms).
    """
    from_rating = rating_stance(rating)
    if from_rating is not None:
        return from_rating
    reasons = []
    for i, passage in enumerate(passages):
        known = terms[i] if i < len(terms) else None
        stance, reason = passage_stance(claim_text, passage, language=language, terms=known)
        if stance != UNCLEAR:
            return stance, reason
        reasons.append(reason)
    return UNCLEAR, reasons[0] if reasons else "no passage matches the claim"
