"""Training of the evidence ranking's learned combination (development only: needs scikit-learn).

On Climate-FEVER (eval/climate_split.py: fitted on `train`, every choice made on `dev`, `test` never
used here): each claim's candidate pages come from the real Wikipedia provider against the MediaWiki
stand-in (tests/support/mediawiki.py), exactly as `find_sources` reads them; evidence.ranking cuts and
scores them. A passage is positive when it holds a gold (SUPPORTS/REFUTES) sentence. The logistic
regression is fitted over the semantic stage's features of the lexical top K; the choice between plain
reciprocal rank fusion and the learned combination (and the regularisation) is made on dev hit@5, computed
the way the pipeline shows sources (five sources by relevance, each source's passages best first).

It also prints, per part, the share of claims whose gold page is among the pages read and the MediaWiki
API requests per claim (searches + one extracts request per page), the cost of `--read-pages` and
`--max-queries` against a real Wikipedia.

Run: .venv/bin/python -m training.evidence_ranking [--write] [--read-pages 10] [--max-queries 3] [--k 50]
[--budgets 0,16]
Writes evidence/artefacts/ranking-v1.json with --write. Seeded and deterministic (liblinear-free lbfgs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class ClaimPool:
    row: dict
    gold: list[str]  # normalised gold sentences
    titles: list[str]  # candidate pages, search order
    documents: list  # analysed passages per page
    gold_page_read: bool = False  # a page holding a gold sentence is among the pages read
    requests: int = 0  # MediaWiki API requests the provider made for this claim (searches + extracts)


def _gold_in(text: str, gold: list[str]) -> bool:
    from eval.evidence_eval import _norm

    norm = _norm(text)
    return any(g in norm for g in gold)


def collect(rows: list[dict], *, read_pages: int, max_queries: int = 3) -> list[ClaimPool]:
    """Every claim's candidate pages through the Wikipedia provider and the stand-in, analysed."""
    from eval.climate_split import data_path
    from eval.evidence_eval import GOLD, _norm, build_corpus, load
    from evidence.providers.wikipedia import WikipediaProvider
    from evidence.queries import build_queries
    from evidence.ranking import analyse_document
    from tests.support.loopback import provider_config
    from tests.support.mediawiki import MediaWikiServer

    corpus = build_corpus(load(data_path()))
    pools = []
    with MediaWikiServer(corpus) as server:
        config = provider_config(
            server,
            wikipedia_api=server.api_template,
            read_pages=read_pages,
            max_queries=max_queries,
            connect_timeout=5.0,
            read_timeout=20.0,
            total_timeout=30.0,
            provider_timeout=60.0,
        )
        provider = WikipediaProvider(config)
        for row in rows:
            gold_rows = [e for e in row["evidences"] if e["evidence_label"] in GOLD]
            gold = [_norm(e["evidence"]) for e in gold_rows]
            queries = build_queries(row["claim"], "en", config.max_queries)
            before = len(server.requests)
            found = asyncio.run(provider.search(row["claim"], language="en", queries=queries))
            docs = [analyse_document(c.text, language="en") for c in found]
            gold_titles = {e["article"] for e in gold_rows}
            pool = ClaimPool(row, gold, [c.title for c in found], docs)
            pool.gold_page_read = any(c.title in gold_titles for c in found)
            pool.requests = len(server.requests) - before
            pools.append(pool)
    return pools


def top5_hit(pool: ClaimPool, *, k: int, model, sources: int = 5) -> bool:
    """Whether the first five passages a reviewer sees hold a gold sentence (as evidence_eval counts)."""
    from evidence.ranking import score_analysed

    scores = score_analysed(pool.row["claim"], pool.documents, language="en", rerank_k=k, model=model)
    ranked = sorted((s for s in scores if s.passages), key=lambda s: -s.relevance)[:sources]
    top = [p.text for s in ranked for p in s.passages][:5]
    return any(_gold_in(t, pool.gold) for t in top)


def hit_at_5(pools: list[ClaimPool], *, k: int, model) -> float:
    evaluated = [p for p in pools if p.gold]
    return sum(top5_hit(p, k=k, model=model) for p in evaluated) / max(1, len(evaluated))


def training_rows(pools: list[ClaimPool], k: int, budget: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from evidence.ranking import lexical_candidates, semantic_features

    xs, ys = [], []
    for pool in pools:
        if not pool.gold:
            continue
        candidates = lexical_candidates(pool.row["claim"], pool.documents, language="en")
        order, rows, _ = semantic_features(pool.row["claim"], candidates, rerank_k=k, sentence_budget=budget)
        if not order:
            continue
        xs.append(rows)
        ys.append([_gold_in(candidates[i].analysed.passage.text, pool.gold) for i in order])
    return np.vstack(xs), np.concatenate(ys).astype(int)


def fit(x: np.ndarray, y: np.ndarray, c: float, budget: int = 0) -> dict:
    from sklearn.linear_model import LogisticRegression

    from evidence.ranking import FEATURES

    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=0)
    clf.fit((x - mean) / scale, y)
    return {
        "kind": "logistic",
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 6),
        "C": c,
        "sentence_budget": budget,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read-pages", type=int, default=10, help="Wikipedia pages read per claim")
    parser.add_argument(
        "--max-queries", type=int, default=3, help="keyword (AND) queries per claim, besides the OR query"
    )
    parser.add_argument("--k", type=int, default=50, help="lexical candidates the encoder reads (train)")
    parser.add_argument("--ks", default="20,30,50", help="K values compared on dev")
    parser.add_argument(
        "--budgets",
        default="0",
        help="characters of sentences the encoder reads per claim (0: all of the top K's), compared on dev; "
        "--write keeps the best",
    )
    parser.add_argument("--claims", type=int, default=0, help="N claims of each part (seed 0); 0 = all")
    parser.add_argument("--vectors", type=Path, default=None, help="sentence vectors to start from / save")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from eval.climate_split import data_path, rows_of
    from eval.evidence_eval import load
    from evidence.ranking import MODEL_PATH, RankingModel
    from training import vectors

    rows = load(data_path())
    started = time.monotonic()
    if args.vectors:
        print(f"{vectors.load(args.vectors)} sentence vectors loaded from {args.vectors}")

    def part(name: str) -> list[dict]:
        chosen = rows_of(rows, name)
        return random.Random(0).sample(chosen, args.claims) if 0 < args.claims < len(chosen) else chosen

    train = collect(part("train"), read_pages=args.read_pages, max_queries=args.max_queries)
    dev = collect(part("dev"), read_pages=args.read_pages, max_queries=args.max_queries)
    print(
        f"pages read for {len(train)} train and {len(dev)} dev claims in {time.monotonic() - started:.0f} s"
    )
    for name, pools in (("train", train), ("dev", dev)):
        with_gold = [p for p in pools if p.gold]
        print(
            f"{name}: gold page among the pages read {sum(p.gold_page_read for p in with_gold) / max(1, len(with_gold)):.3f} "
            f"({len(with_gold)} claims with gold evidence); API requests per claim "
            f"{sum(p.requests for p in pools) / max(1, len(pools)):.2f} (max {max((p.requests for p in pools), default=0)})"
        )
    lexical = RankingModel({"kind": "lexical"})
    rrf = RankingModel({"kind": "rrf", "k": 60})
    print(f"dev hit@5  lexical only            {hit_at_5(dev, k=0, model=lexical):.3f}")
    print(f"dev hit@5  RRF (k=60), K={args.k}       {hit_at_5(dev, k=args.k, model=rrf):.3f}")
    best = None
    for budget in [int(v) for v in args.budgets.split(",") if v]:
        x, y = training_rows(train, args.k, budget)
        print(
            f"train rows (lexical top {args.k}, sentence budget {budget}): {len(y)}, positives {int(y.sum())}; "
            f"{time.monotonic() - started:.0f} s"
        )
        if args.vectors:
            vectors.save(args.vectors)
        for c in (0.01, 0.1, 1.0):
            spec = fit(x, y, c, budget)
            score = hit_at_5(dev, k=args.k, model=RankingModel(spec))
            print(f"dev hit@5  logistic C={c:<5} K={args.k} budget={budget:<3} {score:.3f}")
            if best is None or score > best[0]:
                best = (score, spec)
    assert best is not None
    chosen = RankingModel(best[1])
    for k in [int(v) for v in args.ks.split(",") if v]:
        print(
            f"dev hit@5  logistic C={best[1]['C']} K={k:<4} budget={best[1]['sentence_budget']:<3} "
            f"{hit_at_5(dev, k=k, model=chosen):.3f}"
        )
    if args.vectors:
        print(f"{vectors.save(args.vectors)} sentence vectors saved to {args.vectors}")
    print("weights:", dict(zip(best[1]["features"], best[1]["coef"], strict=True)))
    if args.write:
        spec = {**best[1], "trained_on": "Climate-FEVER train part (eval/climate-fever-split.json)"}
        spec["read_pages"], spec["k"] = args.read_pages, args.k
        MODEL_PATH.parent.mkdir(exist_ok=True)
        MODEL_PATH.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}")
    print(f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
