"""P10 — matching across languages with claim vectors stored (and P7's edited duplicates on the same rows).

Needs a PostgreSQL with pgvector: by default an embedded PostgreSQL 18 (devtools/embedded.py) started in a
temporary folder on a free port, or --dsn (a database of its own: never a test database).

Workload (docs/benchmarks.md, P10): N stored claims with vectors in claims_claim.match_vector (HNSW index, as
migration claims 0010 makes it) and their lexical keys:
- 500 originals: the source sides of bench/data/translated_claims.jsonl (real claims in en/de/fr, encoded
  with the project's encoder);
- N-500 background claims: texts as P7 makes them (real sentences with 40–90% of their words swapped) and
  vectors made from real sentence vectors (the normalised mean of two random real sentences' vectors plus
  Gaussian noise, then centred like every stored vector): encoding 10⁶ texts would take CPU-days here, so
  the background is synthetic, near the real distribution but not made of real claims.
Queries: the 500 hand translations (the duplicate in another language is the original), 500 edited
same-language duplicates of the originals (P7's edits), and 500 new claims (real sentences never stored,
in en/de/fr from the pages and Climate-FEVER).

Compared, query by query alternating: ours = claims.matching.find_matches with the text's centred vector
(lexical keys + pgvector HNSW, then the thresholds and vetoes); exact = the same rule over an exact vector
search (the HNSW index dropped in a rolled-back transaction: a scan of all vectors), the recall reference, on
--exact-queries of the queries spread evenly over the three sets (as P7 limits its pg_trgm baseline).
claims.vectors casts the query vectors once (`vector[]`): cast per stored row, a scan without the index
re-parsed the query vector for every row it visited (12.6 s against 1.5 s per query at 10⁵, load ~9); with the HNSW index it made no difference.

Run: .venv/bin/python -m bench.p10_crosslingual [--sizes 100000] [--exact-queries 150] [--dsn postgres://...]
     [--cache F.npz]
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "bench" / "data" / "translated_claims.jsonl"


def encode_all(texts: list[str], cache: str | None, name: str) -> np.ndarray:
    import encoder

    if cache and Path(cache).exists():
        saved = np.load(cache)
        if name in saved.files and len(saved[name]) == len(texts):
            return saved[name]
    vectors = encoder.get_encoder().encode(texts, kind="query")
    if cache:
        existing = dict(np.load(cache)) if Path(cache).exists() else {}
        np.savez(cache, **{**existing, name: vectors})
    return vectors


def background_vectors(rng: np.random.Generator, base: np.ndarray, count: int, noise: float) -> np.ndarray:
    import encoder

    i, j = rng.integers(0, len(base), count), rng.integers(0, len(base), count)
    mixed = encoder.normalise(base[i] + base[j])
    return encoder.normalise(mixed + rng.normal(0, noise, mixed.shape).astype(np.float32))


def copy_rows(cursor, rows, columns, defaults, articles, offset) -> None:
    buf = io.StringIO()
    for n, (text, language, fp, keys, vector) in enumerate(rows):
        start = offset + n
        values = dict(defaults)
        values.update(
            article_id=str(articles[start % len(articles)]),
            text=text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " "),
            language=language,
            start=str(start),
            end=str(start + len(text)),
            fingerprint=fp,
            match_keys="{" + ",".join(map(str, keys)) + "}",
            match_vector="[" + ",".join(f"{x:.5f}" for x in vector) + "]",
        )
        buf.write("\t".join(values[c] for c in columns) + "\n")
    buf.seek(0)
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor.copy_expert(f"COPY claims_claim ({quoted}) FROM STDIN", buf)


@contextlib.contextmanager
def database(dsn: str | None):
    if dsn:
        yield dsn
        return
    from tests.support.pgvector import embedded_pgvector

    with embedded_pgvector() as url:
        yield url.rsplit("/", 1)[0] + "/bench_p10"


def pct(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3)


def columns_and_defaults(Claim):
    columns, defaults = [], {}
    for field in Claim._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        default = field.get_default()
        kind = field.get_internal_type()
        if kind == "JSONField":
            defaults[field.column] = json.dumps(default if default is not None else {})
        elif kind == "DateTimeField":
            defaults[field.column] = "2026-01-01 00:00:00+00" if not field.null else "\\N"
        elif kind == "FloatField":
            defaults[field.column] = "0.5" if default is None else str(default)
        elif default is None or default == "":
            defaults[field.column] = "\\N" if field.null else ""
        else:
            defaults[field.column] = str(default)
    defaults["spans"] = "[]"
    return [*columns, "match_vector"], defaults


def summary(answers, truth) -> dict:
    dups = [(a, t) for a, t in zip(answers, truth, strict=True) if t is not None]
    new = [a for a, t in zip(answers, truth, strict=True) if t is None]
    out = {}
    if dups:
        out["recall_at_1"] = round(sum(a == t for a, t in dups) / len(dups), 4)
        out["wrong_top1"] = round(sum(a is not None and a != t for a, t in dups) / len(dups), 4)
    if new:
        out["false_match_new"] = round(sum(a is not None for a in new) / len(new), 4)
    return out


def measured(answers: dict, latencies: dict, truth: list, n: int) -> dict:
    """Latency and the three sets' figures of the queries answered (by index: translations < n <= edited
    < 2n <= new)."""
    groups = {"translations": range(n), "edited": range(n, 2 * n), "new": range(2 * n, 3 * n)}
    out: dict = {"p50_ms": pct(latencies.values(), 0.5), "p95_ms": pct(latencies.values(), 0.95)}
    for group, indexes in groups.items():
        part = [i for i in indexes if i in answers]
        out[group] = summary([answers[i] for i in part], [truth[i] for i in part])
    out["p95_ms_translations"] = pct([latencies[i] for i in groups["translations"] if i in latencies], 0.95)
    return out


def against_exact(ans: dict, lat: dict, truth: list, n: int) -> dict:
    """Ours on the exact side's queries, and how often the two give the same answer there."""
    subset = {i: ans["ours"][i] for i in ans["exact"]}
    return {
        "ours_on_exact_queries": measured(subset, {i: lat["ours"][i] for i in subset}, truth, n),
        "same_answer_as_exact": round(sum(subset[i] == ans["exact"][i] for i in subset) / len(subset), 4),
    }


def workload(cache: str | None, base_count: int) -> types.SimpleNamespace:
    """P10's texts and vectors, the same for the bench and bench/p10_diagnose.py: the pairs; the real
    sentences behind the background (`base_texts`, their vectors `base`) and the text the background is
    made of (`base_for_text`, `vocabulary`); and the queries as (group, dev, text, language, centred
    vector, original text or None) — the hand translations, P7's edits of the originals, then new claims.
    `dev` is eval.crosslingual's split (even pair ids; new claims by even position)."""
    from bench.p7_matching import edit, sentences, without_near_copies
    from claims import vectors
    from extraction.main_text import detect_language

    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    known = {r["text"].casefold() for r in rows} | {r["translation"].casefold() for r in rows}
    # The same sentences as eval.crosslingual (same seed): its first half made the centring vector and
    # stands behind the background here; new claims come from its second half (never stored).
    pool = [s for s in sentences() if s.casefold() not in known]
    random.Random(14).shuffle(pool)
    base_texts, spare = pool[:base_count], pool[base_count : 2 * base_count]
    n = len(rows)
    fresh = spare[:n]
    rng = random.Random(10)
    base_for_text = without_near_copies(pool[2 * base_count :], [r["text"] for r in rows] + fresh)
    vocabulary = [w for s in base_for_text for w in s.split() if w.isalpha()]
    src = encode_all([r["text"] for r in rows], cache, "src")
    tgt = encode_all([r["translation"] for r in rows], cache, "tgt")
    base = encode_all(base_texts, cache, "fit")
    new = encode_all(spare, cache, "spare")[:n]
    name, mean = vectors.centre()
    centred = lambda m: vectors.encoder.normalise(m - mean)  # noqa: E731
    src_c, tgt_c, new_c = centred(src), centred(tgt), centred(new)
    edited = [edit(r["text"], rng, vocabulary) for r in rows]
    queries = (
        [
            ("translations", r["id"] % 2 == 0, r["translation"], r["translation_language"], v, r["text"])
            for r, v in zip(rows, tgt_c, strict=True)
        ]
        + [
            ("edited", r["id"] % 2 == 0, e, r["language"], v, r["text"])
            for e, r, v in zip(edited, rows, src_c, strict=True)
        ]
        + [
            ("new", i % 2 == 0, t, detect_language(t) or "en", v, None)
            for i, (t, v) in enumerate(zip(fresh, new_c, strict=True))
        ]
    )
    return types.SimpleNamespace(
        rows=rows,
        fresh=fresh,
        base_texts=base_texts,
        base=base,
        base_for_text=base_for_text,
        vocabulary=vocabulary,
        centre_name=name,
        centred=centred,
        src_c=src_c,
        queries=queries,
    )


def run(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.p7_matching import background
    from claims import matching, vectors
    from claims.matching import find_matches, match_keys
    from claims.models import Article, Claim
    from textkit.similarity import fingerprint

    call_command("migrate", verbosity=0)
    if not vectors.available():
        raise SystemExit("the database has no pgvector: P10 needs it (claims 0010)")
    w = workload(args.cache, args.base)
    rows, n, centred = w.rows, len(w.rows), w.centred
    print(
        f"{n} pairs, {len(w.fresh)} new claims, {len(w.base_texts)} real sentences behind the background",
        flush=True,
    )

    columns, defaults = columns_and_defaults(Claim)
    gen = np.random.default_rng(10)
    results = []
    with connection.cursor() as cur:
        cur.execute("SET factcheck.allow_verdict_truncate = on")  # a scratch database (reviewers 0007)
        cur.execute("TRUNCATE claims_article, claims_claim CASCADE")
        articles = [
            a.pk
            for a in Article.objects.bulk_create(
                [
                    Article(url=f"https://bench.example/{i}", canonical_url=f"https://bench.example/{i}")
                    for i in range(1000)
                ]
            )
        ]
        originals = [
            (r["text"], r["language"], fingerprint(r["text"]), match_keys(r["text"], r["language"]), v)
            for r, v in zip(rows, w.src_c, strict=True)
        ]
        copy_rows(cur, originals, columns, defaults, articles, 0)
        cur.execute("SELECT id, text FROM claims_claim ORDER BY id")
        ids = {text: pk for pk, text in cur.fetchall()}
        stored = n
        for size in [int(s) for s in args.sizes.split(",")]:
            started = time.monotonic()
            cur.execute("DROP INDEX IF EXISTS claims_claim_match_vector_hnsw")
            chunk = 20000
            for offset in range(stored, size, chunk):
                count = min(chunk, size - offset)
                texts = background((size * 1000 + offset, count, w.base_for_text, w.vocabulary))
                vecs = centred(background_vectors(gen, w.base, count, args.noise))
                copy_rows(
                    cur,
                    [(t, "en", fp, keys, v) for (t, fp, keys), v in zip(texts, vecs, strict=True)],
                    columns,
                    defaults,
                    articles,
                    offset,
                )
            loaded = time.monotonic() - started
            # The HNSW build slows ~5x once its graph outgrows this (~2 kB per element: 10⁶ wants ≥ 2.5 GB).
            cur.execute("SELECT set_config('maintenance_work_mem', %s, false)", [args.maintenance_work_mem])
            cur.execute(
                "CREATE INDEX claims_claim_match_vector_hnsw ON claims_claim USING hnsw (match_vector vector_ip_ops)"
            )
            cur.execute("ANALYZE claims_claim")
            stored = size
            print(
                f"{size} claims: loaded in {loaded:.0f} s, HNSW built in {time.monotonic() - started - loaded:.0f} s",
                flush=True,
            )

            def ours(text, language, vector):
                found = find_matches(text, language=language, vector=vector)
                return found[0].claim_id if found else None

            def exact(text, language, vector):
                # The HNSW index dropped in a transaction that is rolled back: no plan can use it (claims.vectors
                # steers the planner towards it, which outweighs enable_indexscan = off).
                with transaction.atomic(), connection.cursor() as c2:
                    c2.execute("DROP INDEX claims_claim_match_vector_hnsw")
                    found = ours(text, language, vector)
                    transaction.set_rollback(True)
                    return found

            queries = [
                (text, language, v, ids[original] if original else None)
                for _group, _dev, text, language, v, original in w.queries
            ]
            for q in queries[:20]:
                ours(*q[:3])
            step = max(1, len(queries) // args.exact_queries) if args.exact_queries else 0
            lat = {"ours": {}, "exact": {}}
            ans = {"ours": {}, "exact": {}}
            for i, q in enumerate(queries):
                for method, fn in (("ours", ours), ("exact", exact)):
                    if method == "exact" and not (step and i % step == 0):
                        continue
                    t = time.perf_counter()
                    ans[method][i] = fn(*q[:3])
                    lat[method][i] = (time.perf_counter() - t) * 1000
            truth = [q[3] for q in queries]
            row = {"stored": size, "ef_search": vectors.EF_SEARCH}
            row.update(
                {m: {"queries": len(ans[m]), **measured(ans[m], lat[m], truth, n)} for m in ans if ans[m]}
            )
            if ans["exact"]:
                row.update(against_exact(ans, lat, truth, n))
            results.append(row)
            print(json.dumps(row), flush=True)
    print(
        json.dumps(
            {"benchmark": "P10", "encoder": w.centre_name, "matching": matching.__name__, "results": results}
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="P10 cross-lingual matching benchmark")
    parser.add_argument("--dsn", help="a pgvector database of its own (default: an embedded PostgreSQL 18)")
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--base", type=int, default=1500, help="real sentences behind the background vectors")
    parser.add_argument("--noise", type=float, default=0.02, help="Gaussian noise per dimension on them")
    parser.add_argument(
        "--cache",
        help="an .npz file keeping the encoded vectors between runs (eval.crosslingual's --cache: shared)",
    )
    parser.add_argument(
        "--exact-queries",
        type=int,
        default=150,
        help="queries also run through the exact search, spread evenly over the three sets (0: none)",
    )
    parser.add_argument(
        "--maintenance-work-mem", default="1GB", help="PostgreSQL's memory for the HNSW build (10⁶: 3GB)"
    )
    parser.add_argument(
        "--no-exact", dest="exact_queries", action="store_const", const=0, help="--exact-queries 0"
    )
    args = parser.parse_args(argv)
    from bench.p7_matching import ensure_database

    with database(args.dsn) as dsn:
        ensure_database(dsn, "P10")
        os.environ["DATABASE_URL"] = dsn
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
