"""Link a new claim to earlier claims (other articles) that say the same, so their verdicts can be reused.

Two stages, both cheap at 10⁶ stored claims (bench/p7_matching.py):
1. candidates in one indexed query: the same normalised fingerprint (btree) or at least one shared MinHash
   LSH band key (GIN over Claim.match_keys), best first by the number of shared keys, at most
   MAX_CANDIDATES;
2. each candidate re-scored in Python by claims.pipeline.similarity.similarity (Jaccard of shingles, with
   vetoes for other figures and negation); those at or above MATCH_THRESHOLD become ClaimMatch rows.
Idempotent: ClaimMatch is unique per pair and written with ignore_conflicts, so a rerun adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection

from claims.models import Claim, ClaimMatch
from claims.pipeline.similarity import MATCH_THRESHOLD, ClaimKey, band_keys, fingerprint, similarity

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 20  # ordered by shared band keys; re-scoring one costs ~0.1 ms
MAX_MATCHES = 5

_CANDIDATES_SQL = f"""
SELECT id, text, language,
       fingerprint = %(fp)s AS exact,
       cardinality(ARRAY(SELECT unnest(match_keys) INTERSECT SELECT unnest(%(keys)s::bigint[]))) AS shared
  FROM {Claim._meta.db_table}
 WHERE (fingerprint = %(fp)s OR match_keys && %(keys)s::bigint[])
   AND id < %(before)s AND article_id <> %(article)s
 ORDER BY exact DESC, shared DESC, id
 LIMIT %(limit)s
"""


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
) -> list[Match]:
    """Earlier claims that say what `text` says, most similar first (read-only; two index lookups)."""
    key = ClaimKey.of(text, language)
    keys = band_keys(key.shingles)
    params = {
        "fp": fingerprint(text),
        "keys": keys,
        "before": before_id,
        "article": exclude_article_id,
        "limit": MAX_CANDIDATES,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_SQL, params)
        rows = cursor.fetchall()
    matches = []
    for claim_id, other_text, other_language, exact, _shared in rows:
        if exact:
            matches.append(Match(claim_id, 1.0))
            continue
        score, _veto = similarity(key, ClaimKey.of(other_text, other_language or language))
        if score >= threshold:
            matches.append(Match(claim_id, score))
    matches.sort(key=lambda m: (-m.similarity, m.claim_id))
    return matches[:limit]


def link_matching_claims(*, claim_ids: list[int]) -> int:
    """Store, for each claim, its matches among earlier claims of other articles. Returns matches found.

    Claims without match keys (stored before matching existed) get them first. Each claim's rows go in one
    INSERT; no transaction is held across claims.
    """
    found_total = 0
    claims = Claim.objects.filter(pk__in=claim_ids).only("pk", "article_id", "text", "language", "match_keys")
    for claim in claims:
        if not claim.match_keys:
            claim.match_keys = match_keys(claim.text, claim.language or "en")
            Claim.objects.filter(pk=claim.pk).update(match_keys=claim.match_keys)
        found = find_matches(
            claim.text,
            language=claim.language or "en",
            exclude_article_id=claim.article_id,
            before_id=claim.pk,
        )
        if found:
            ClaimMatch.objects.bulk_create(
                [
                    ClaimMatch(claim_id=claim.pk, matched_id=m.claim_id, similarity=m.similarity)
                    for m in found
                ],
                ignore_conflicts=True,
            )
            found_total += len(found)
    return found_total


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
