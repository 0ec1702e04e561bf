"""P10 diagnosis: why a translated duplicate is missed, on the DEV half only (issue 14, item 3).

Runs against a database that `bench.p10_crosslingual --dsn DSN` has filled (its rows stay after the run) and
rebuilds the same queries. The split is eval.crosslingual's and stays fixed: pairs of
bench/data/translated_claims.jsonl with an even id are dev, odd ids are held out; the new claims (P10's
third set) are split the same way by their position (even = dev). Only dev queries are looked at here.

For each dev translation that the service's rule (claims.matching.find_matches with the HNSW index) misses,
the first of these that holds:
  (a) below the threshold: the centred cosine to its original fails the cosine part of the rule
      (claims.vectors.close_enough; before the margin rule: < VECTOR_THRESHOLD);
  (b) vetoed: textkit.similarity.cross_lingual_veto rejects the pair (the reason is counted);
  (d) lost by the HNSW search: the original is among the exact VECTOR_CANDIDATES nearest but not among the
      index's (at claims.vectors.EF_SEARCH);
  (c) outranked: another stored claim (or more than VECTOR_CANDIDATES closer ones) wins.
With --dump FILE it writes, per dev query, the lexical matches and the exact and HNSW nearest --k stored
vectors (id, text, language, cosine): the rule of claims/vectors.py was chosen by re-scoring that dump
offline (docs/evidence-quality.md, "The margin rule").

With --time-statement it only times claims.vectors.candidates, the nearest-neighbour statement, over all
1,500 queries (two rounds after a warm-up; latency only, nothing about answers): what the index costs apart
from the lexical statement and the rule, e.g. under another shared_buffers.

Run: .venv/bin/python -m bench.p10_diagnose --dsn postgres://.../bench_p10 --cache F.npz [--dump F.json]
     [--part heldout: the held-out half, once, after the choice] [--time-statement]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench.p10_crosslingual import workload


def stored_vectors(connection) -> tuple[np.ndarray, np.ndarray, dict]:
    with connection.cursor() as cur:
        cur.execute("SELECT id, match_vector::text, text, language, article_id FROM claims_claim ORDER BY id")
        got = cur.fetchall()
    ids = np.array([g[0] for g in got])
    mat = np.array([json.loads(g[1]) for g in got], dtype=np.float32)
    meta = {g[0]: (g[2], g[3], g[4]) for g in got}
    return ids, mat, meta


def classify(record: dict, vector: np.ndarray, ids: np.ndarray, mat: np.ndarray, meta: dict) -> list[str]:
    """The counts one dev query adds: for a missed translation its first cause, and the overlaps."""
    from claims import vectors
    from textkit.similarity import ClaimKey, cross_lingual_veto

    group, truth, answer = record["group"], record["truth"], record["answer"]
    if group == "edited":
        return ["found" if answer == truth else ("wrong" if answer else "none")]
    if group == "new":
        return ["falsely matched" if answer else "no match"]
    if answer == truth:
        return ["found"]
    cosine = float(mat[np.searchsorted(ids, truth)] @ vector)
    t_text, t_lang, _a = meta[truth]
    veto = cross_lingual_veto(ClaimKey.of(record["text"], record["language"]), ClaimKey.of(t_text, t_lang))
    top = vectors.VECTOR_CANDIDATES
    in_exact = truth in [c for c, _ in record["exact"][:top]]
    in_hnsw = truth in [c for c, _ in record["hnsw"][:top]]
    close = rule_close(cosine, [c for _, c in record["exact"][:top]])
    if not close:
        why = "(a) below the threshold"
    elif veto:
        why = f"(b) vetoed: {veto}"
    elif in_exact and not in_hnsw:
        why = "(d) lost by HNSW"
    else:
        why = "(c) outranked" + ("" if in_exact else f" (not in the exact {top})")
    out = [why]
    # overlaps, so that the first-cause counts are not read as the only cause
    if not close and veto:
        out.append("   also vetoed among (a)")
    if not in_hnsw:
        out.append("   not in the HNSW top candidates (any cause)")
    if not in_exact:
        out.append("   not in the exact top candidates (any cause)")
    return out


def rule_close(cosine: float, neighbours: list[float]) -> bool:
    """The cosine part of the service's rule (claims/vectors.py), on the exact neighbours."""
    from claims import vectors

    return vectors.close_enough(cosine, vectors.reference(neighbours))


def run(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from django.db import connection

    from claims import vectors
    from claims.matching import find_matches

    if args.time_statement:
        return time_statement([q[4] for q in workload(args.cache, args.base).queries])
    dev = args.part == "dev"
    qs = [q for q in workload(args.cache, args.base).queries if q[1] == dev]
    ids, mat, meta = stored_vectors(connection)
    by_text = {t: pk for pk, (t, _lang, _a) in meta.items()}
    print(f"{len(ids)} stored vectors; {len(qs)} {args.part} queries", flush=True)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    dump = []
    for group, _dev, text, language, vector, original in qs:
        truth = by_text[original] if original else None
        found = find_matches(text, language=language, vector=vector)
        answer = found[0].claim_id if found else None
        lexical = find_matches(text, language=language)
        scores = mat @ vector
        top = np.argsort(-scores)[: args.k]
        exact = [(int(ids[i]), float(scores[i])) for i in top]
        hnsw = [
            (cid, float(cos))
            for _q, cid, _t, _l, cos in vectors.candidates([(2**63 - 1, 0, vector)], limit=args.k)
        ]
        record = {
            "group": group,
            "text": text,
            "language": language,
            "truth": truth,
            "answer": answer,
            "lexical": [(m.claim_id, m.similarity) for m in lexical],
            "exact": exact,
            "hnsw": hnsw,
        }
        dump.append(record)
        counts[group].update(classify(record, vector, ids, mat, meta))
    for group, c in counts.items():
        print(group, dict(sorted(c.items())))
        share = c["falsely matched"] if group == "new" else c["found"]
        total = sum(v for k, v in c.items() if not k.startswith(" "))
        label = "falsely matched" if group == "new" else "recall@1"
        print(f"  {group}: {label} {share / total:.3f} of {total}")
    if args.dump:
        needed = {c for r in dump for c, _ in r["exact"] + r["hnsw"] + r["lexical"]} | {
            r["truth"] for r in dump if r["truth"]
        }
        Path(args.dump).write_text(
            json.dumps({"queries": dump, "claims": {c: meta[c][:2] for c in needed}}), encoding="utf-8"
        )
        print(f"wrote {args.dump}")
    return 0


def time_statement(query_vectors: list[np.ndarray], rounds: int = 2) -> int:
    from claims import vectors

    def once(vector) -> float:
        started = time.perf_counter()
        vectors.candidates([(2**63 - 1, 0, vector)])
        return (time.perf_counter() - started) * 1000

    for vector in query_vectors[:30]:
        once(vector)
    for n in range(rounds):
        ms = sorted(once(v) for v in query_vectors)
        p95 = ms[int(0.95 * len(ms))]
        print(f"round {n + 1}: {len(ms)} statements, p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="the database bench.p10_crosslingual --dsn filled")
    parser.add_argument("--cache", required=True, help="the .npz of encoded vectors the bench used")
    parser.add_argument("--base", type=int, default=1500, help="the bench run's --base")
    parser.add_argument("--k", type=int, default=20, help="nearest vectors kept per query in the dump")
    parser.add_argument("--dump", help="write the dev queries' candidates here (JSON)")
    parser.add_argument(
        "--part",
        choices=("dev", "heldout"),
        default="dev",
        help="heldout: the same counts for the held-out half, to be run once after the rule is chosen",
    )
    parser.add_argument("--time-statement", action="store_true", help="only time the vector statement")
    args = parser.parse_args(argv)
    if args.dump and args.part != "dev":
        parser.error("--dump is for the dev half only")
    os.environ["DATABASE_URL"] = args.dsn
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
