"""P7 — matching a new claim against earlier claims, at 10⁵ and 10⁶ stored claims.

Workload (docs/benchmarks.md): a private database (default `bench_match` on 127.0.0.1:5432, created and
migrated here — never a test database) holds N claims: 500 "originals" (real sentences from
the pages of FACTCHECK_EVAL_DATA_DIR and Climate-FEVER) plus N-500 background claims made from other real sentences with
40–90% of their words swapped for words of the same vocabulary (so they overlap partially with each other
and with the originals, like claims about the same topics). Queried: 500 edited duplicates of the originals
(1–3 edits each: case and punctuation, a dropped or added word, two words swapped, one word replaced, a
figure written differently; never a negation or a number word, which would make another claim) and 500 new
claims (held-out real sentences, never stored). Sentences that nearly repeat a held-out one (shingle
Jaccard ≥ 0.4: Climate-FEVER quotes the same sentence in several records) are kept out of the background,
so that a "new" claim has no copy stored and an original no second one.

Compared in the same run, on the same queries:
- ours: claims.matching.find_matches (fingerprint btree OR LSH band keys on a GIN index, then Jaccard);
- exact-hash: the normalised fingerprint lookup alone;
- pg_trgm: naive nearest neighbour `ORDER BY text <-> q LIMIT 1` over a GiST trigram index, match when
  similarity ≥ 0.5 (on --trgm-queries of the queries: it takes seconds each at 10⁶).
Figures: p50/p95 latency, recall@1 on the duplicates (top match is the original), false matches (new
claims that got any match, and duplicates whose top match is another claim).

Run: .venv/bin/python -m bench.p7_matching [--sizes 100000,1000000] [--trgm-queries 40 (0: skip it)]
     (filling 10⁶ claims takes most of the run; after a change to the matcher that keeps the keys, measure
     again on the filled database with `--sizes 1000000 --reuse`)
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
from multiprocessing import Pool

import psycopg2

from factcheck.envfile import eval_data_dir

PAGES = eval_data_dir() / "pages"  # FACTCHECK_EVAL_DATA_DIR (factcheck/envfile.py)
CLIMATE_FEVER = eval_data_dir() / "evidence" / "climate-fever.jsonl"
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/bench_match"
FILLERS = ["reportedly", "now", "actually", "indeed", "in fact", "apparently", "still"]
_OFFSETS = itertools.count()
_WORD = re.compile(r"^[^\W\d_]+$")


def ensure_database(dsn: str, bench: str = "P7") -> None:
    """Create the scratch database the DSN names, refusing the suite's and the service's own."""
    name = dsn.rsplit("/", 1)[1]
    if name in {"test", "ev", "factcheck"} or name.startswith("test_"):
        raise SystemExit(f"refusing to use {name!r}: {bench} needs its own database")
    admin = psycopg2.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def sentences() -> list[str]:
    from evidence.passages import split_sentences
    from extraction.main_text import extract_article

    out: list[str] = []
    for path in sorted(PAGES.glob("*.html")):
        try:
            text = extract_article(path.read_text(encoding="utf-8", errors="replace")).text
        except Exception:  # a page the extractor cannot read just contributes nothing
            continue
        out += split_sentences(text)
    if CLIMATE_FEVER.exists():
        for line in CLIMATE_FEVER.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out.append(row["claim"])
            out += [e["evidence"] for e in row["evidences"]]
    seen: set[str] = set()
    unique = []
    for s in out:
        s = " ".join(s.split())
        key = s.casefold()
        if 8 <= len(s.split()) <= 45 and key not in seen:
            seen.add(key)
            unique.append(s)
    return unique


def edit(sentence: str, rng: random.Random, vocabulary: list[str]) -> str:
    """An edited duplicate: 1–3 small edits a copy editor or another outlet would make."""
    from textkit.terms import NEGATIONS, NUMBER_WORDS

    # dropping or replacing "not" or "million" makes another claim, not an edited one
    negations = NEGATIONS["en"] | NEGATIONS["de"] | NEGATIONS["fr"]
    negations |= {w for words in NUMBER_WORDS.values() for w in words}
    words = sentence.split()
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["case", "punct", "drop", "insert", "swap", "replace", "figure"])
        bare = [w.strip(".,;:!?\"'") for w in words]
        plain = [i for i, w in enumerate(bare) if _WORD.match(w) and w.lower() not in negations]
        if op == "case":
            words = [w.lower() for w in words] if rng.random() < 0.5 else [w.upper() for w in words]
        elif op == "punct":
            words = [w.strip(".,;:!?\"'«»“”") for w in words]
            words[-1] += rng.choice(["!", ".", "", "…"])
        elif op == "drop" and len(plain) > 4:
            del words[rng.choice(plain[1:])]
        elif op == "insert":
            words.insert(rng.randint(1, len(words) - 1), rng.choice(FILLERS))
        elif op == "swap" and len(plain) > 3:
            i = rng.choice(plain[:-1])
            if i + 1 < len(words):
                words[i], words[i + 1] = words[i + 1], words[i]
        elif op == "replace" and plain:
            # a replacement that negates ("no", "never") would make another claim, not an edited one
            words[rng.choice(plain)] = rng.choice(
                [w for w in rng.sample(vocabulary, 5) if w.lower() not in negations]
            )
        elif op == "figure":
            words = [w.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", w) else w for w in words]
            words = [w.replace("%", " percent") for w in words]
    return " ".join(words)


def without_near_copies(base: list[str], held_out: list[str], threshold: float = 0.4) -> list[str]:
    """`base` less the sentences whose shingles have Jaccard ≥ threshold with a held-out sentence."""
    from textkit.similarity import shingles

    held = [shingles(s) for s in held_out]
    index: dict[str, list[int]] = {}
    for i, items in enumerate(held):
        for item in items:
            index.setdefault(item, []).append(i)
    kept = []
    for sentence in base:
        items = shingles(sentence)
        shared: dict[int, int] = {}
        for item in items:
            for i in index.get(item, ()):
                shared[i] = shared.get(i, 0) + 1
        if all(n / len(items | held[i]) < threshold for i, n in shared.items()):
            kept.append(sentence)
    return kept


def background(args: tuple[int, int, list[str], list[str]]) -> list[tuple[str, str, list[int]]]:
    """Synthetic stored claims from real sentences, 40–90% of the words replaced (worker process)."""
    from claims.matching import match_keys
    from textkit.similarity import fingerprint

    seed, count, base, vocabulary = args
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = rng.choice(base).split()
        p = rng.uniform(0.4, 0.9)
        text = " ".join(rng.choice(vocabulary) if rng.random() < p else w for w in words)
        out.append((text, fingerprint(text), match_keys(text, "en")))
    return out


def _copy_claims(cursor, rows, columns: list[str], defaults: dict[str, str], articles: list[int]) -> None:
    buf = io.StringIO()
    for n, (text, fp, keys) in enumerate(rows):
        start = next(_OFFSETS)  # unique (article, start) across every chunk
        values = dict(defaults)
        values.update(
            article_id=str(articles[n % len(articles)]),
            text=text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " "),
            start=str(start),
            end=str(start + len(text)),
            fingerprint=fp,
            match_keys="{" + ",".join(map(str, keys)) + "}",
        )
        line = "\t".join(values[c] for c in columns)
        buf.write(line + "\n")
    buf.seek(0)
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor.copy_expert(f"COPY claims_claim ({quoted}) FROM STDIN", buf)


def timed(fn, queries):
    latencies, answers = [], []
    for q in queries:
        t = time.perf_counter()
        answers.append(fn(q))
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies, answers


def score(answers, truth):
    dups = [(a, t) for a, t in zip(answers, truth, strict=True) if t is not None]
    new = [a for a, t in zip(answers, truth, strict=True) if t is None]
    return {
        "recall_at_1": round(sum(a == t for a, t in dups) / len(dups), 4) if dups else None,
        "false_match_new": round(sum(a is not None for a in new) / len(new), 4) if new else None,
        "wrong_top1_dups": round(sum(a is not None and a != t for a, t in dups) / len(dups), 4)
        if dups
        else None,
    }


def pct(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    ensure_database(args.dsn)
    os.environ["DATABASE_URL"] = args.dsn
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    pool_sentences = sentences()
    rng.shuffle(pool_sentences)
    n = args.queries
    originals, fresh, base = pool_sentences[:n], pool_sentences[n : 2 * n], pool_sentences[2 * n :]
    near_copies = len(base)
    base = without_near_copies(base, originals + fresh)
    near_copies -= len(base)
    vocabulary = [w for s in base for w in s.split() if _WORD.match(w)]
    duplicates = [edit(s, rng, vocabulary) for s in originals]
    print(
        f"sentences {len(pool_sentences)} ({near_copies} near copies of held-out ones left out), "
        f"vocabulary {len(vocabulary)} words",
        flush=True,
    )
    columns, defaults = _copy_columns()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with connection.cursor() as cur:
        articles, stored = _start_claims(cur, args, sizes, originals, columns, defaults)
        cur.execute("SELECT min(id), text FROM claims_claim WHERE text = ANY(%s) GROUP BY text", [originals])
        original_ids = {text: pk for pk, text in cur.fetchall()}
        truth = [original_ids[s] for s in originals] + [None] * len(fresh)
        queries = duplicates + fresh
        for size in sizes:
            if size > stored:
                _fill_to(cur, size, size - stored, base, vocabulary, columns, defaults, articles)
                stored = size
            row = _measure(cur, size, queries, truth, n=n, trgm_queries=args.trgm_queries)
            results.append(row)
            print(json.dumps(row), flush=True)
    _print_table(results)
    print(json.dumps({"benchmark": "P7", "queries": 2 * n, "results": results}))
    return 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="P7 claim matching benchmark")
    parser.add_argument("--dsn", default=os.environ.get("P7_DATABASE_URL", DEFAULT_DSN))
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=500, help="edited duplicates and as many new claims")
    parser.add_argument("--trgm-queries", type=int, default=40)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the claims a previous run left (one size, the last one it filled)",
    )
    return parser.parse_args(argv)


def _copy_default(field) -> str:
    """A column's default written the way COPY reads it."""
    default = field.get_default()
    if field.get_internal_type() == "JSONField":
        return json.dumps(default if default is not None else {})
    if field.get_internal_type() == "DateTimeField":
        return "2026-01-01 00:00:00+00" if not field.null else "\\N"
    if field.get_internal_type() == "FloatField":
        return "0.5" if default is None else str(default)
    if default is None or default == "":
        return "\\N" if field.null else ""
    return str(default)


def _copy_columns() -> tuple[list[str], dict[str, str]]:
    """Columns the model requires, with their defaults written the way COPY reads them."""
    from claims.models import Claim

    fields = [field for field in Claim._meta.concrete_fields if not field.primary_key]
    defaults = {field.column: _copy_default(field) for field in fields}
    defaults["language"] = "en"
    defaults["spans"] = "[]"
    return [field.column for field in fields], defaults


def _start_claims(cur, args, sizes, originals, columns, defaults) -> tuple[list[int], int]:
    """The articles to hang background claims on and the number of claims stored: the originals in an
    emptied database, or (--reuse) what a previous run left."""
    from claims.matching import match_keys
    from claims.models import Article
    from textkit.similarity import fingerprint

    if args.reuse:
        # the claims a previous run left (same seeds, so the same originals, queries and background)
        cur.execute("SELECT count(*) FROM claims_claim")
        stored = cur.fetchone()[0]
        if sizes != [stored]:
            raise SystemExit(f"--reuse: the database holds {stored} claims, not --sizes {args.sizes}")
        return [], stored
    cur.execute("SET factcheck.allow_verdict_truncate = on")  # a scratch database (reviewers 0007)
    cur.execute("TRUNCATE claims_article, claims_claim CASCADE")
    created = Article.objects.bulk_create(
        [
            Article(url=f"https://bench.example/{i}", canonical_url=f"https://bench.example/{i}")
            for i in range(1000)
        ]
    )
    articles = [a.pk for a in created]
    _copy_claims(cur, [(s, fingerprint(s), match_keys(s)) for s in originals], columns, defaults, articles)
    return articles, len(originals)


def _fill_to(cur, size, need, base, vocabulary, columns, defaults, articles) -> None:
    """Add `need` background claims (made in worker processes) and rebuild the match-key index."""
    started = time.monotonic()
    cur.execute("DROP INDEX IF EXISTS claim_match_keys_gin")
    chunk = 20000
    jobs = [(size * 1000 + i, min(chunk, need - i), base, vocabulary) for i in range(0, need, chunk)]
    with Pool(max(1, (os.cpu_count() or 2))) as workers:
        for rows in workers.imap(background, jobs):
            _copy_claims(cur, rows, columns, defaults, articles)
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute(  # as migration 0005 leaves it
        "CREATE INDEX claim_match_keys_gin ON claims_claim USING gin (match_keys) WITH (fastupdate = off)"
    )
    cur.execute("ANALYZE claims_claim")
    print(f"loaded {size} claims in {time.monotonic() - started:.0f} s", flush=True)


def _measure(cur, size, queries, truth, *, n, trgm_queries) -> dict:
    """Our matcher against the exact hash, query by query, and the trigram baseline on a sample."""
    from claims.matching import find_matches
    from textkit.similarity import fingerprint

    def ours(q):
        found = find_matches(q)
        return found[0].claim_id if found else None

    def exact(q):
        cur.execute(
            "SELECT id FROM claims_claim WHERE fingerprint = %s ORDER BY id LIMIT 1", [fingerprint(q)]
        )
        row = cur.fetchone()
        return row[0] if row else None

    for q in queries[:20]:  # warm the caches the same way for both
        ours(q)
        exact(q)
    ours_lat, ours_ans, exact_lat, exact_ans = [], [], [], []
    for q in queries:  # alternating, query by query
        for fn, latencies, answers in ((ours, ours_lat, ours_ans), (exact, exact_lat, exact_ans)):
            t = time.perf_counter()
            answers.append(fn(q))
            latencies.append((time.perf_counter() - t) * 1000)
    return {
        "stored": size,
        "ours": {"p50_ms": pct(ours_lat, 0.5), "p95_ms": pct(ours_lat, 0.95), **score(ours_ans, truth)},
        "exact_hash": {
            "p50_ms": pct(exact_lat, 0.5),
            "p95_ms": pct(exact_lat, 0.95),
            **score(exact_ans, truth),
        },
        "pg_trgm_nn": _trigram_row(cur, queries, truth, n=n, trgm_queries=trgm_queries),
        "ours_mean_ms": round(statistics.mean(ours_lat), 3),
    }


def _trigram_row(cur, queries, truth, *, n, trgm_queries) -> dict | None:
    """The slow baseline (index build + seconds per query at 10⁶) on half duplicates, half new claims."""
    if trgm_queries <= 0:
        return None
    cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    cur.execute(
        "CREATE INDEX IF NOT EXISTS claim_text_trgm_gist ON claims_claim USING gist (text gist_trgm_ops)"
    )

    def trgm(q):
        cur.execute("SELECT id, similarity(text, %s) FROM claims_claim ORDER BY text <-> %s LIMIT 1", [q, q])
        row = cur.fetchone()
        return row[0] if row and row[1] >= 0.5 else None

    half = max(1, trgm_queries // 2)
    trgm_idx = list(range(half)) + list(range(n, n + half))
    trgm_lat, trgm_ans = timed(trgm, [queries[i] for i in trgm_idx])
    cur.execute("DROP INDEX claim_text_trgm_gist")  # rebuilt per size; it slows the next COPY
    return {
        "queries": len(trgm_idx),
        "p50_ms": pct(trgm_lat, 0.5),
        "p95_ms": pct(trgm_lat, 0.95),
        **score(trgm_ans, [truth[i] for i in trgm_idx]),
    }


def _print_table(results: list[dict]) -> None:
    print(
        f"{'stored':>8} {'method':>11} {'p50 ms':>8} {'p95 ms':>8} {'recall@1':>8} {'false new':>9} {'wrong dup':>9}"
    )
    for r in results:
        for method in ("ours", "exact_hash", "pg_trgm_nn"):
            m = r[method]
            if m is None:
                continue
            print(
                f"{r['stored']:>8} {method:>11} {m['p50_ms']:>8.2f} {m['p95_ms']:>8.2f} {m['recall_at_1']!s:>8} "
                f"{m['false_match_new']!s:>9} {m['wrong_top1_dups']!s:>9}"
            )


if __name__ == "__main__":
    sys.exit(main())
