"""Claim vectors for matching across languages: pgvector's HNSW index over centred claim vectors.

A claim's encoder vector (Claim.embedding, computed once at extraction) is centred — the mean claim vector,
computed offline from real sentences and committed as claims/artefacts/matching-centre.json
(`python -m eval.crosslingual --write`), is subtracted and the result scaled to unit length — and stored in
the column `match_vector` that migration claims 0012 adds where the database server has pgvector. Raw e5
cosines sit high for any two sentences (~0.7–0.8); centred, unrelated claims fall near 0 and a translation
stays well above them (the rule below, chosen on the dev half of bench/data/translated_claims.jsonl in P10,
held-out figures in docs/benchmarks.md, P10).

Where the server has no pgvector the column does not exist: `available()` says so, matching stays lexical,
and `manage.py check` and /health/ warn.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection, transaction

import encoder
from claims.models import Claim
from factcheck.planner import planner_settings

logger = logging.getLogger(__name__)
ARTEFACT = Path(__file__).resolve().parent / "artefacts" / "matching-centre.json"
DIM = 384  # the column's dimension (migration 0010); vectors of another size are not stored
# A stored claim in another language is the same claim when neither figures nor negation differ
# (textkit.similarity.cross_lingual_veto) and its centred cosine is either
# - at or above VECTOR_THRESHOLD: a match whatever else is near, or
# - at or above VECTOR_FLOOR and at least VECTOR_MARGIN above the claim's reference: the mean cosine of its
#   nearest stored claims ranked VECTOR_REFERENCE (6th to 10th). A translation stands out
#   of its neighbourhood; a claim that only resembles many stored ones does not. Ranks from the 6th, so that a
#   claim stored several times (copies in other articles) does not raise the reference of its own copies.
#   With fewer stored neighbours than that (a young database) there is no neighbourhood to stand out of, and
#   only VECTOR_THRESHOLD applies: a wrong match shows a reviewer (or a consumer of /api/v1/matches/) another
#   claim's verdict, so the looser rule needs its evidence.
# Chosen on the dev half of P10 (docs/evidence-quality.md, "Claim matching across languages").
VECTOR_THRESHOLD = 0.62
VECTOR_FLOOR = 0.40
VECTOR_MARGIN = 0.12
VECTOR_REFERENCE = (5, 10)  # slice of the nearest VECTOR_CANDIDATES (0-based) whose mean is the reference
VECTOR_CANDIDATES = 10  # nearest neighbours per claim, re-checked for vetoes (and the reference's ranks)
# HNSW search breadth. pgvector's default (40) left the original out of the nearest 5 for 0.21 of P10's dev
# translations (exact search: 0.01); 200 for 0.07, 400 for 0.06, at ~3x the statement's latency
# (docs/benchmarks.md, P10). The smallest value giving dev recall@1 >= 0.90 with the rule above.
EF_SEARCH = 400
TABLE = Claim._meta.db_table
WARNING = (
    "The database server has no pgvector extension (or migration claims 0010 ran before it was installed): "
    "claim matching is lexical only, claims in other languages are not matched. Use a PostgreSQL with "
    "pgvector (the compose file's image has it) and run `manage.py backfill_match_vectors`."
)


@functools.lru_cache(maxsize=1)
def centre() -> tuple[str, np.ndarray]:
    """(encoder name, mean vector) of the committed artefact; ("", empty) when it is missing, which turns
    vector matching off (logged once) rather than failing the stages and endpoints that use it."""
    try:
        data = json.loads(ARTEFACT.read_text(encoding="utf-8"))
    except OSError:
        logger.error("%s is missing: claim matching across languages is off", ARTEFACT)
        return "", np.zeros(0, dtype=np.float32)
    return data["encoder"], np.asarray(data["centre"], dtype=np.float32)


def available(using=None) -> bool:
    """Does the claims table have the vector column (pgvector present when claims 0010 ran)?"""
    conn = using or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'match_vector' "
            "AND NOT attisdropped",
            [TABLE],
        )
        return cursor.fetchone() is not None


def offered() -> bool:
    """Does the database server offer the pgvector extension (installed or not)?"""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


def enable() -> bool:
    """What migration claims 0010 does where pgvector is offered, for a server that gained it after that
    migration ran (idempotent). Returns whether the vector column is there now."""
    if not available() and offered():
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
            cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS match_vector vector({DIM})")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS claims_claim_match_vector_hnsw ON {TABLE} "
                "USING hnsw (match_vector vector_ip_ops)"
            )
    return available()


def centred(vector: np.ndarray, model: str) -> np.ndarray | None:
    """The vector matching stores and searches with, or None when it was made by another encoder."""
    name, mean = centre()
    if not name or model != name or vector.shape != mean.shape or mean.shape != (DIM,):
        return None
    return encoder.normalise((vector - mean).reshape(1, -1))[0]


def literal(vector: np.ndarray) -> str:
    """pgvector's text form."""
    return "[" + ",".join(f"{x:.6f}" for x in vector) + "]"


def claim_vector(claim: Claim) -> np.ndarray | None:
    if not claim.embedding:
        return None
    return centred(encoder.from_bytes(claim.embedding), claim.embedding_model)


def text_vector(text: str) -> np.ndarray | None:
    """The centred vector of a text that is not stored (the outsiders' endpoints)."""
    if not centre()[0]:
        return None
    enc = encoder.get_encoder()
    return centred(enc.encode([text], kind="query")[0], enc.name)


def store(vectors: dict[int, np.ndarray]) -> None:
    """Write match_vector for these claim ids (one statement)."""
    if not vectors:
        return
    ids = list(vectors)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} AS c SET match_vector = v.vec::vector "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, vec) WHERE c.id = v.id",
            [ids, [literal(vectors[i]) for i in ids]],
        )


# Per claim its nearest stored vectors (inner product of unit vectors = cosine), earlier claims of other
# articles only. pgvector filters the index's EF_SEARCH nearest, which is plenty for VECTOR_CANDIDATES. The query
# vectors are cast once (vector[]), not per stored row: a plan without the index (a small table) scans every row.
_CANDIDATES_SQL = f"""
SELECT q.claim_id, m.id, m.text, m.language, m.cosine
  FROM unnest(%(ids)s::bigint[], %(articles)s::bigint[], %(vecs)s::vector[]) AS q(claim_id, article_id, vec)
 CROSS JOIN LATERAL (
       SELECT c.id, c.text, c.language, -(c.match_vector <#> q.vec) AS cosine
         FROM {TABLE} c
        WHERE c.match_vector IS NOT NULL AND c.id < q.claim_id AND c.article_id <> q.article_id
        ORDER BY c.match_vector <#> q.vec
        LIMIT %(limit)s
       ) m
"""


def candidates(rows: list[tuple[int, int, np.ndarray]], limit: int = VECTOR_CANDIDATES) -> list[tuple]:
    """(claim_id, candidate id, text, language, cosine) for each (claim_id, article_id, centred vector),
    nearest first per claim."""
    if not rows:
        return []
    params: dict[str, Any] = {
        "ids": [r[0] for r in rows],
        "articles": [r[1] for r in rows],
        "vecs": [literal(r[2]) for r in rows],
        "limit": limit,
    }
    # Without sorts: on a small table the planner reads every row in primary-key order (`c.id < q.claim_id`)
    # and sorts them by distance, detoasting each stored vector (3,000 claims: 15 ms per claim), where the
    # HNSW index, which returns rows already in distance order, takes 3 ms (docs/benchmarks.md, P10 on a
    # young database). On a large table the planner chooses the index anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        with planner_settings(cursor, jit="off", enable_sort="off", **{"hnsw.ef_search": str(EF_SEARCH)}):
            cursor.execute(_CANDIDATES_SQL, params)
            found = cursor.fetchall()
    return sorted(found, key=lambda row: (row[0], -row[4]))


def reference(cosines: list[float]) -> float:
    """The claim's reference cosine: the mean of its neighbours ranked VECTOR_REFERENCE (nearest first);
    1.0 (nothing stands out of it) when fewer claims are stored than those ranks need."""
    start, stop = VECTOR_REFERENCE
    ranked = sorted(cosines, reverse=True)[start:stop]
    if len(ranked) < stop - start:
        return 1.0
    return sum(ranked) / (stop - start)


def close_enough(cosine: float, ref: float) -> bool:
    """The cosine part of the rule above (vetoes apart)."""
    return cosine >= VECTOR_THRESHOLD or (cosine >= VECTOR_FLOOR and cosine - ref >= VECTOR_MARGIN)
