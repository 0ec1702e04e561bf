"""P9 — semantic cost per claim: the ranking's semantic stage against the encoder alone.

Workload: Climate-FEVER claims (the dev part of eval/climate-fever-split.json, first N), each with the 10
corpus pages the MediaWiki stand-in's BM25 ranks first for the claim's words (tests/support/mediawiki.py,
in process: no HTTP), cut into passages by evidence.ranking.analyse_document beforehand.

- ours:  evidence.ranking.score_analysed(claim, pages, rerank_k=K) — lexical scoring of every passage,
         the encoder over the claim and the distinct sentences of the lexical top K (at most the
         model's sentence budget in characters, evidence.ranking.budgeted_sentences), the learned
         combination, per-source passage choice — with an empty sentence cache (a claim whose pages no
         other claim has read; the cache only makes later claims of an article cheaper);
- floor: the encoder alone embedding the same texts (the claim, and the sentences ours reads) in one batch.

Pairs alternate per claim (ours, floor, ours, floor, …); CPU time of this process (time.process_time, so
other load on the machine counts less than in wall time). Prints the medians and the median per-pair ratio.
Target (docs/evidence-quality.md, P9): ≤ 1.2× the floor; absolute CPU per claim printed (≤ 1 s on this machine at K=50).

Run: .venv/bin/python -m bench.p9_semantic [--claims 20] [--k 50] [--budget N (instead of the model's)]
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def workload(claims: int):
    from eval.climate_split import data_path, rows_of
    from eval.evidence_eval import build_corpus, load
    from evidence.ranking import analyse_document
    from tests.support.mediawiki import _Index

    rows = load(data_path())
    corpus = build_corpus(rows)
    index = _Index(corpus)
    out = []
    for row in rows_of(rows, "dev")[:claims]:
        titles, _ = index.search(" OR ".join(row["claim"].split()), 10)
        out.append((row["claim"], [analyse_document(corpus[t], language="en") for t in titles]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        help="characters of sentences read per claim (default: the committed model's)",
    )
    args = parser.parse_args(argv)
    from encoder import encode, get_encoder
    from evidence import ranking

    get_encoder().encode(["warm-up"], kind="passage")
    model = ranking.ranking_model()
    if args.budget is not None:
        model = ranking.RankingModel({**model.spec, "sentence_budget": args.budget})
    ours_s, floor_s, ratios, texts, chars = [], [], [], [], []
    for claim, documents in workload(args.claims):
        pool = ranking.lexical_candidates(claim, documents, language="en")
        order = sorted(range(len(pool)), key=lambda i: (-pool[i].lexical, i))[: args.k]
        sentences = ranking.budgeted_sentences(claim, [pool[i] for i in order], model.sentence_budget)
        ranking._sentence_vectors = ranking._VectorCache(ranking.SENTENCE_CACHE)
        ranking.encode_claim.cache_clear()
        started = time.process_time()
        ranking.score_analysed(claim, documents, language="en", rerank_k=args.k, model=model)
        ours = time.process_time() - started
        started = time.process_time()
        encode([claim], kind="query")
        encode(sentences, kind="passage")
        floor = time.process_time() - started
        ours_s.append(ours)
        floor_s.append(floor)
        ratios.append(ours / floor if floor else float("nan"))
        texts.append(len(sentences))
        chars.append(sum(len(s) for s in sentences))
    result = {
        "claims": len(ours_s),
        "k": args.k,
        "sentence_budget": model.sentence_budget,
        "sentences_encoded_median": statistics.median(texts),
        "chars_encoded_median": statistics.median(chars),
        "ours_cpu_s_median": round(statistics.median(ours_s), 3),
        "ours_cpu_s_max": round(max(ours_s), 3),
        "floor_cpu_s_median": round(statistics.median(floor_s), 3),
        "ratio_median": round(statistics.median(ratios), 3),
    }
    print(
        f"K={args.k}, sentence budget {model.sentence_budget or 'none'} (characters): {result['claims']} claims, "
        f"{result['sentences_encoded_median']} sentences ({result['chars_encoded_median']} characters) encoded per claim "
        f"(median); CPU per claim ours {result['ours_cpu_s_median']:.3f} s (max {result['ours_cpu_s_max']:.3f}), "
        f"encoder alone {result['floor_cpu_s_median']:.3f} s; median ratio {result['ratio_median']:.3f}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
