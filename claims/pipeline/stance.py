"""Stance hints per source: supports / refutes / unclear, each with the reason a reviewer can check.

Only explainable signals, never a hidden model: a published fact-check's rating; a matching passage whose
numbers, years or negation disagree with the claim (a refutation candidate); words that debunk; or a
passage that repeats the claim's terms and figures. These are hints — the verdict stays a human decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from claims.pipeline.queries import (
    NEGATIONS,
    claim_terms,
    fold,
    format_number,
    normalize_language,
    numbers,
    stem,
    tokenize,
    years,
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


def passage_stance(claim_text: str, passage: str, *, language: str) -> tuple[str, str]:
    """Stance of one passage towards the claim, with the reason."""
    lang = normalize_language(language)
    terms = claim_terms(claim_text, lang)
    claim_stems = {stem(t) for t in tokenize(claim_text, lang) if not t[0].isdigit()}
    passage_stems = {stem(t) for t in tokenize(passage, lang)}
    coverage = len(claim_stems & passage_stems) / len(claim_stems) if claim_stems else 0.0
    if coverage < MATCH_COVERAGE:
        return UNCLEAR, f"passage shares only {coverage:.0%} of the claim's terms"

    claim_years = terms.years
    passage_years = years(passage)
    if claim_years and passage_years and not (claim_years & passage_years):
        return REFUTES, (
            f"matching passage gives other dates: claim {_fmt({float(y) for y in claim_years})}, "
            f"source {_fmt({float(y) for y in passage_years})}"
        )
    claim_values = {v for v in terms.numbers if v not in {float(y) for y in claim_years}}
    passage_values = {v for v in numbers(passage, lang) if v not in {float(y) for y in passage_years}}
    if claim_values and passage_values and not (claim_values & passage_values):
        return REFUTES, (
            f"matching passage gives other figures: claim {_fmt(claim_values)}, source {_fmt(passage_values)}"
        )
    claim_words = [fold(w) for w in re.findall(r"[\w'’]+", claim_text)]
    passage_words = [fold(w) for w in re.findall(r"[\w'’]+", passage)]
    if _negated(claim_words, lang) != _negated(passage_words, lang):
        which = "source" if _negated(passage_words, lang) else "claim"
        return REFUTES, f"matching passage disagrees in negation (the {which} is negated)"
    debunk = _DEBUNK[lang].search(passage) or _DEBUNK["en"].search(passage)
    if debunk and not _DEBUNK[lang].search(claim_text):
        return REFUTES, f"matching passage calls it “{debunk.group(0)}”"
    if coverage >= SUPPORT_COVERAGE:
        agreed = []
        if claim_values and claim_values <= passage_values | numbers(passage, lang):
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
    claim_text: str, passages: Sequence[str], *, language: str, rating: str = ""
) -> tuple[str, str]:
    """Stance of a source: its fact-check rating if it has one, else the first decisive passage (best first)."""
    from_rating = rating_stance(rating)
    if from_rating is not None:
        return from_rating
    reasons = []
    for passage in passages:
        stance, reason = passage_stance(claim_text, passage, language=language)
        if stance != UNCLEAR:
            return stance, reason
        reasons.append(reason)
    return UNCLEAR, reasons[0] if reasons else "no passage matches the claim"
