"""Near-duplicate claims: shingles, MinHash signatures, LSH band keys and the similarity that decides.

Plain Python (numpy for the hashing). Matching a new claim against 10⁶ stored ones must cost a few
milliseconds, so it runs in two stages (claims/matching.py does the database side):
1. candidates: stored claims with the same normalised fingerprint, or sharing at least one LSH band key
   (`band_keys`, kept in an indexed int8[] column). Claims whose shingle sets have Jaccard similarity s
   share a band with probability 1 - (1 - s^ROWS)^BANDS: ≈ 1 at s = 0.7, ≈ 0.98 at 0.6, ≈ 0.86 at 0.5,
   ≈ 0.05 at 0.2 (30 bands of 4 rows). Each key is a 4-row band, so that a key shared by chance (common topic words)
   is rare: at 10⁶ stored claims the 95th-percentile query has ~15 candidates, where 20 bands of 3 rows
   gave ~200 and a few keys were shared by 3,000 claims;
2. decision: the exact Jaccard similarity of the shingle sets (`similarity`), plus three vetoes a reviewer
   would apply — claims that state different figures, or where one negates what the other asserts, are not
   the same claim even when almost every word is shared ("rose by 2%" vs "rose by 5%"); nor is a claim
   that says clearly more than the other (a fragment, or the same words plus another statement): each
   must share at least COVERAGE of its content words with the other.

Shingles are the claim's content words (stop words dropped, lightly stemmed, numbers written canonically,
via the tokenizer queries.py shares with ranking and stance) and their adjacent pairs, so that small edits
— punctuation, a dropped or added word, "1,000" vs "1000", singular vs plural — keep most of the set.
Deterministic across processes and machines (no Python `hash()`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from textkit.terms import NEGATIONS, fold, normalize_language, numbers, stem, tokenize, years

BANDS = 30
ROWS = 4  # 4 rows × (2^31 - 1)^2 still fits the uint64 sum in band_keys
PERMUTATIONS = BANDS * ROWS
MATCH_THRESHOLD = 0.5  # Jaccard of shingle sets at or above which two claims say the same
COVERAGE = 0.75  # share of each claim's content words the other must contain
_PRIME = (1 << 31) - 1  # Mersenne prime; 31-bit values keep a*x + b inside uint64
_rng = np.random.default_rng(20261128)  # fixed: stored keys must be reproducible forever
_A = _rng.integers(1, _PRIME, size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=PERMUTATIONS, dtype=np.uint64)
_MIX = _rng.integers(1, _PRIME, size=ROWS, dtype=np.uint64)
_KEY_BITS = 56  # band index in the bits above: a key can only collide with the same band's keys
_WORDS = re.compile(r"[\w'’]+", re.UNICODE)


def normalise(text: str) -> str:
    """Case, punctuation and spacing folded away: the text whose hash is the exact fingerprint."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def fingerprint(text: str) -> str:
    """SHA-256 of the normalised text: Claim.fingerprint, the exact-duplicate key of claim matching."""
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def shingles(text: str, language: str = "en") -> frozenset[str]:
    """Content words (stemmed) and adjacent pairs of them."""
    words = [stem(t) for t in tokenize(text, language)]
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


def _hash32(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=4).digest(), "little") % _PRIME


def signature(items: frozenset[str]) -> np.ndarray:
    """MinHash signature: PERMUTATIONS minima of (a·x + b) mod p over the shingles' 31-bit hashes."""
    if not items:
        return np.full(PERMUTATIONS, _PRIME, dtype=np.uint64)
    x = np.fromiter((_hash32(s) for s in items), dtype=np.uint64, count=len(items))
    return ((np.outer(x, _A) + _B) % _PRIME).min(axis=0)


def band_keys(items: frozenset[str]) -> list[int]:
    """BANDS LSH keys (signed 64-bit ints, fit for a PostgreSQL bigint[]); empty for an empty set."""
    if not items:
        return []
    rows = signature(items).reshape(BANDS, ROWS)
    mixed = (rows * _MIX).sum(axis=1) % np.uint64((1 << _KEY_BITS) - 1)
    return [(band << _KEY_BITS) | int(value) for band, value in enumerate(mixed.tolist())]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _negation_words(text: str, language: str) -> int:
    negations = NEGATIONS[normalize_language(language)] | NEGATIONS["en"]
    return sum(1 for w in _WORDS.findall(text) if fold(w) in negations)


@dataclass(frozen=True)
class ClaimKey:
    """What matching needs of one claim, computed once."""

    text: str
    language: str
    shingles: frozenset[str]
    figures: frozenset[float]
    negation_words: int

    @classmethod
    def of(cls, text: str, language: str = "en") -> ClaimKey:
        lang = normalize_language(language)
        figures = frozenset(numbers(text, lang) | {float(y) for y in years(text)})
        return cls(text, lang, shingles(text, lang), figures, _negation_words(text, lang))

    @property
    def negated(self) -> bool:
        """Within one language, where the same words can be counted: an odd number of negation words."""
        return self.negation_words % 2 == 1

    @property
    def words(self) -> frozenset[str]:
        """The content words alone (the shingles that are not pairs)."""
        return frozenset(s for s in self.shingles if " " not in s)


def similarity(new: ClaimKey, earlier: ClaimKey) -> tuple[float, str]:
    """Jaccard similarity of the shingles, or 0.0 with the reason when a veto applies."""
    if new.figures != earlier.figures and (new.figures or earlier.figures):
        return 0.0, "different figures"
    if new.negated != earlier.negated:
        return 0.0, "one negates the other"
    a, b = new.words, earlier.words
    if len(a & b) < COVERAGE * max(len(a), len(b)):
        return 0.0, "one says more than the other"
    return round(jaccard(new.shingles, earlier.shingles), 4), ""


def cross_lingual_veto(new: ClaimKey, earlier: ClaimKey) -> str:
    """Why two claims whose vectors are close (in different languages) still say different things, or "".

    Figures and negation survive translation; the shingles do not, so they are not compared. Both are
    compared more loosely than within one language, where the same words can be counted (P10's diagnosis,
    docs/evidence-quality.md): figures when both claims state some and neither's are all among the other's
    (a translation writes "7m" or "twentieth century" where the other has "7 m" or "20.", which the parser
    reads on one side only; "3% in 2020" against "5% in 2020" still differ); negation by its presence, not
    the parity of negation words (French "ne … pas" and English "neither … nor" are two words for one
    negation)."""
    if (
        new.figures
        and earlier.figures
        and not (new.figures <= earlier.figures or earlier.figures <= new.figures)
    ):
        return "different figures"
    if bool(new.negation_words) != bool(earlier.negation_words):
        return "one negates the other"
    return ""


__all__ = [
    "BANDS",
    "COVERAGE",
    "MATCH_THRESHOLD",
    "ClaimKey",
    "band_keys",
    "cross_lingual_veto",
    "fingerprint",
    "jaccard",
    "normalise",
    "shingles",
    "signature",
    "similarity",
]
