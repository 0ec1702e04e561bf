"""Link a new claim to earlier claims (other articles) that say the same, so their verdicts can be reused.

Two stages, both cheap at 10⁶ stored claims (bench/p7_matching.py):
1. candidates in one indexed query: the same normalised fingerprint (btree) or at least one shared MinHash
   LSH band key (GIN over Claim.match_keys), best first by the number of shared keys, at most
   MAX_CANDIDATES;
2. each candidate re-scored in Python by textkit.similarity.similarity (Jaccard of shingles, with
   vetoes for other figures, negation and a claim that says more than the other); those at or above
   MATCH_THRESHOLD become ClaimMatch rows. A text is keyed and scored once per batch however many claims
   carry it (an article ingested again finds the same earlier texts for each of its claims).
Idempotent: ClaimMatch is unique per pair and written with ignore_conflicts, so a rerun adds nothing.
When the key scheme in similarity.py changes, stored keys are recomputed by
`manage.py backfill_match_keys` (docs/operations.md).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction

from claims import vectors
from claims.models import Claim, ClaimMatch
from factcheck.planner import planner_settings
from textkit.similarity import (
    MATCH_THRESHOLD,
    ClaimKey,
    band_keys,
    cross_lingual_veto,
    fingerprint,
    similarity,
)
from textkit.terms import normalize_language

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 10  # ordered by shared band keys; re-scoring is cheap and the top 5 suffice (P7)
MAX_MATCHES = 5


@dataclass(frozen=True)
class Match:
    claim_id: int
    similarity: float


def match_keys(text: str, language: str = "en") -> list[int]:
    """The LSH band keys to store in Claim.match_keys."""
    return band_keys(ClaimKey.of(text, language).shingles)


def find_matches(
    text: str,
    *,
    language: str = "en",
    exclude_article_id: int = 0,
    before_id: int = 2**63 - 1,
    limit: int = MAX_MATCHES,
    threshold: float = MATCH_THRESHOLD,
    vector: np.ndarray | None = None,
) -> list[Match]:
    """Earlier claims that say what `text` says, most similar first (read-only; one indexed statement, and
    one more for claims in other languages when `vector` — the text's centred vector, claims/vectors.py — is
    given and the server has pgvector)."""
    key = ClaimKey.of(text, language)
    row = {"claim_id": before_id, "article_id": exclude_article_id, "fp": fingerprint(text)}
    row["keys"] = band_keys(key.shingles)
    matches = []
    for _claim_id, claim_id, other_text, other_language, exact in _candidates(
        [row], max(limit, MAX_CANDIDATES)
    ):
        if exact:
            matches.append(Match(claim_id, 1.0))
            continue
        score, _veto = similarity(key, ClaimKey.of(other_text, other_language or language))
        if score >= threshold:
            matches.append(Match(claim_id, score))
    if vector is not None and vectors.available():
        rows = [(before_id, exclude_article_id, vector)]
        near = vectors.candidates(rows, max(limit, vectors.VECTOR_CANDIDATES))
        ref = vectors.reference([row[4] for row in near])
        for _claim_id, claim_id, other_text, other_language, cosine in near:
            if _same_across_languages(text, language, other_text, other_language, cosine, ref):
                matches.append(Match(claim_id, round(float(cosine), 4)))
    return _best(matches, limit)


@dataclass(frozen=True)
class Probe:
    """A text as matching compares it: its language and its centred vector (None: lexical only)."""

    text: str
    language: str
    vector: np.ndarray | None = None


def pair_score(new: Probe, earlier: Probe, threshold: float = MATCH_THRESHOLD) -> float:
    """The score at which two texts match as claim matching decides it, 0.0 when they do not: the same
    normalised text 1.0; the same language the lexical similarity (with its vetoes); other languages the
    centred cosine (with the figure and negation vetoes). A pair has no neighbourhood to stand out of, so
    across languages only VECTOR_THRESHOLD applies here (not the margin rule of claims/vectors.py)."""
    if fingerprint(new.text) == fingerprint(earlier.text):
        return 1.0
    mine, theirs = normalize_language(new.language or "en"), normalize_language(earlier.language or "en")
    if mine == theirs:
        score = similarity(ClaimKey.of(new.text, mine), ClaimKey.of(earlier.text, theirs))[0]
        return score if score >= threshold else 0.0
    if new.vector is None or earlier.vector is None:
        return 0.0
    cosine = float(np.dot(new.vector, earlier.vector))
    if _same_across_languages(new.text, mine, earlier.text, theirs, cosine, ref=1.0):
        return round(cosine, 4)
    return 0.0


# The candidates of many claims in one statement (one per article, whatever its number of claims:
# docs/benchmarks.md, P3, counts statements per article). Per claim: the claims with the same fingerprint (btree)
# and, for each of its band keys alone, the claims that have that key (GIN). One key at a time because
# PostgreSQL has no statistics for keys that are all rare: it estimates `match_keys && <30 keys>` at ~14%
# of the table and seq-scans it, while a single key is estimated at 0.5%
# and always goes through the index. Counting the rows per claim id gives the number of shared keys for
# free, the order in which the best MAX_CANDIDATES are kept.
_BATCH_CANDIDATES_SQL = f"""
SELECT q.claim_id, m.id, m.text, m.language, m.exact
  FROM jsonb_to_recordset(%(rows)s::jsonb) AS q(claim_id bigint, article_id bigint, fp text, keys bigint[])
 CROSS JOIN LATERAL (
       SELECT c.id, c.text, c.language, c.fingerprint = q.fp AS exact
         FROM (SELECT hit.id, count(*) AS shared
                 FROM (SELECT id FROM {Claim._meta.db_table} WHERE fingerprint = q.fp
                       UNION ALL
                       SELECT one.id
                         FROM unnest(q.keys) AS k(key)
                        CROSS JOIN LATERAL (
                              SELECT id FROM {Claim._meta.db_table} WHERE match_keys && ARRAY[k.key]
                              ) AS one
                      ) AS hit
                GROUP BY hit.id) AS h
         JOIN {Claim._meta.db_table} c ON c.id = h.id
        WHERE c.id < q.claim_id AND c.article_id <> q.article_id
        ORDER BY exact DESC, h.shared DESC, c.id
        LIMIT %(limit)s
       ) m
"""


def _candidates(rows: list[dict], limit: int = MAX_CANDIDATES) -> list[tuple]:
    """(claim_id, candidate id, text, language, exact) for each row of claim_id, article_id, fp, keys."""
    # Without JIT: the plan's cost counts 100 claims × 10 keys × 200 rows, well above jit_above_cost, and
    # compiling costs far more than the statement itself (the matched rows are few). Without sequential
    # scans: on a small table (a few thousand claims) the planner prices `match_keys && ARRAY[key]` as a cheap
    # filter and tests it on every row for every key (30 keys × 3,000 rows: 64 ms) instead of one GIN lookup
    # per key (3 ms; docs/benchmarks.md, P10 on a young database).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        with planner_settings(cursor, jit="off", enable_seqscan="off"):
            cursor.execute(_BATCH_CANDIDATES_SQL, {"rows": json.dumps(rows), "limit": limit})
            return cursor.fetchall()


def link_matching_claims(*, claim_ids: list[int], threshold: float = MATCH_THRESHOLD) -> int:
    """Store, for each claim, its matches among earlier claims of other articles. Returns matches found.

    A constant number of statements however many claims: one read, one candidate query for all of them
    (between two that set and restore its planner settings), one INSERT (plus one UPDATE for claims stored
    before matching existed, which get their keys first). Where the server has pgvector (claims/vectors.py):
    one UPDATE storing the claims' vectors and one nearest-neighbour query more (again between two), for
    claims that say the same in another language.
    """
    claims = list(
        Claim.objects.filter(pk__in=claim_ids).only(
            "pk", "article_id", "text", "language", "match_keys", "embedding", "embedding_model"
        )
    )
    missing = [c for c in claims if not c.match_keys]
    for claim in missing:
        claim.match_keys = match_keys(claim.text, claim.language or "en")
    if missing:
        Claim.objects.bulk_update(missing, ["match_keys"])
    if not claims:
        return 0
    found = _lexical_matches(claims, threshold)
    if vectors.available():
        for claim_id, matches in _vector_matches(claims).items():
            found.setdefault(claim_id, []).extend(matches)
    links = [
        ClaimMatch(claim_id=claim_id, matched_id=m.claim_id, similarity=m.similarity)
        for claim_id, matches in found.items()
        for m in _best(matches)
    ]
    ClaimMatch.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)


def _best(matches: list[Match], limit: int = MAX_MATCHES) -> list[Match]:
    """One match per earlier claim (its best score), most similar first."""
    best: dict[int, Match] = {}
    for m in matches:
        if m.claim_id not in best or m.similarity > best[m.claim_id].similarity:
            best[m.claim_id] = m
    return sorted(best.values(), key=lambda m: (-m.similarity, m.claim_id))[:limit]


def _lexical_matches(claims: list[Claim], threshold: float) -> dict[int, list[Match]]:
    rows = [
        {"claim_id": c.pk, "article_id": c.article_id, "fp": fingerprint(c.text), "keys": c.match_keys}
        for c in claims
    ]
    candidates = _candidates(rows)
    by_id = {c.pk: c for c in claims}
    keys = {c.pk: ClaimKey.of(c.text, c.language or "en") for c in claims}
    # Copies of the same page bring the same earlier texts for every claim: key each text once and score
    # each (claim, text) pair once.
    other_keys: dict[tuple[str, str], ClaimKey] = {}
    scores: dict[tuple[int, str, str], float] = {}
    found: dict[int, list[Match]] = {}
    for claim_id, other_id, other_text, other_language, exact in candidates:
        if exact:
            score = 1.0
        else:
            language = other_language or by_id[claim_id].language or "en"
            pair = (claim_id, other_text, language)
            score = scores.get(pair, -1.0)
            if score < 0:
                other = other_keys.get((other_text, language))
                if other is None:
                    other = other_keys[(other_text, language)] = ClaimKey.of(other_text, language)
                score = scores[pair] = similarity(keys[claim_id], other)[0]
        if score >= threshold:
            found.setdefault(claim_id, []).append(Match(other_id, score))
    return found


def _vector_matches(claims: list[Claim]) -> dict[int, list[Match]]:
    """Earlier claims in another language whose centred vectors are close (after storing these claims')."""
    centred = {c.pk: v for c in claims if (v := vectors.claim_vector(c)) is not None}
    vectors.store(centred)
    by_id = {c.pk: c for c in claims}
    rows = [(pk, by_id[pk].article_id, v) for pk, v in centred.items()]
    near: dict[int, list[tuple]] = {}
    for row in vectors.candidates(rows):
        near.setdefault(row[0], []).append(row)
    found: dict[int, list[Match]] = {}
    for claim_id, candidates in near.items():
        claim = by_id[claim_id]
        ref = vectors.reference([row[4] for row in candidates])
        for _claim_id, other_id, other_text, other_language, cosine in candidates:
            if _same_across_languages(claim.text, claim.language, other_text, other_language, cosine, ref):
                found.setdefault(claim_id, []).append(Match(other_id, round(float(cosine), 4)))
    return found


def _same_across_languages(
    text: str, language: str, other_text: str, other_language: str, cosine: float, ref: float
) -> bool:
    """A vector candidate is a match when it is in another language (the lexical keys, with their vetoes,
    judge claims in the same one), close enough (claims/vectors.py: the threshold, or the floor and the
    margin over `ref`, the claim's reference cosine), and neither figures nor negation differ."""
    if not vectors.close_enough(cosine, ref):
        return False
    mine, theirs = normalize_language(language or "en"), normalize_language(other_language or "en")
    if mine == theirs:
        return False
    return not cross_lingual_veto(ClaimKey.of(text, mine), ClaimKey.of(other_text, theirs))


def link_article_claims(*, article_id: int) -> int:
    """link_matching_claims for every claim of an article; never raises.

    Called by the extraction stage after its transaction committed: matching only adds a hint for
    reviewers, so a failure here is logged and must not make the (already finished) stage retry.
    """
    ids = list(Claim.objects.filter(article_id=article_id).values_list("pk", flat=True))
    try:
        return link_matching_claims(claim_ids=ids)
    except Exception:
        logger.exception("claim matching failed for article %s", article_id)
        return 0
