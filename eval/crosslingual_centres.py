"""Dev-only probe: one centre per language instead of one for all, for matching across languages.

claims/vectors.py subtracts one mean vector (claims/artefacts/matching-centre.json) from every claim vector.
Multilingual encoders also place each language around a mean of its own; subtracting that one instead
removes what only says "this is German". This probe compares the two on the DEV half of eval.crosslingual's
split (pairs with an even id; new claims by even position) against real sentences only — no synthetic
background, unlike P10 — and never prints the held-out half: it is for choosing, and the held-out half stays
for the one run after a choice.

Data: eval.crosslingual's sentences and seed. The first half of its distractors makes the centres (global:
their mean; per language: the mean of those detected in that language, the global one for others); the
second half is the stored background (its first 500 are also the new claims, against the rest). Only
candidates in another language count, as in claims.matching (the lexical keys judge the same language).
Printed per threshold: recall@1 of dev translations and the share of dev new claims matched, under the
threshold alone (a young database, /watches, pair_score) and under claims/vectors.py's rule (floor 0.40 and
0.12 above the mean of the 6th–10th neighbours). No vetoes (figures, negation): they act the same on both.

Run: .venv/bin/python -m eval.crosslingual_centres [--cache F.npz] (the cache of eval.crosslingual or of
     bench.p10_crosslingual: keys fit, spare, src, tgt; encoded here when missing)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

import encoder
from eval.crosslingual import ARTEFACT, PAIRS

FLOOR, MARGIN, REFERENCE = 0.40, 0.12, (5, 10)  # claims.vectors (eval/ does not import the Django app)
THRESHOLDS = (0.55, 0.58, 0.60, 0.62, 0.65, 0.68)


def decisions(queries, qlang, index, ilang, threshold):
    """(best index, passes the threshold alone, passes the rule) per query, other languages only."""
    scores = np.where(ilang[None, :] == qlang[:, None], -9.0, queries @ index.T)
    ranked = -np.sort(-scores, axis=1)
    best = ranked[:, 0]
    ref = ranked[:, REFERENCE[0] : REFERENCE[1]].mean(axis=1)
    alone = best >= threshold
    return scores.argmax(axis=1), alone, alone | ((best >= FLOOR) & (best - ref >= MARGIN))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="an .npz with fit, spare, src, tgt (made if missing)")
    parser.add_argument("--distractors", type=int, default=3000, help="without a cache: how many to encode")
    args = parser.parse_args(argv)
    from bench.p7_matching import sentences
    from extraction.main_text import detect_language

    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    known = {r["text"].casefold() for r in rows} | {r["translation"].casefold() for r in rows}
    pool = [s for s in sentences() if s.casefold() not in known]
    random.Random(14).shuffle(pool)
    if args.cache and Path(args.cache).exists():
        saved = np.load(args.cache)
        fit_v, spare_v, src_v, tgt_v = (saved[k] for k in ("fit", "spare", "src", "tgt"))
        half = len(fit_v)  # the cache says how many distractors it was made with
        fit, spare = pool[:half], pool[half : 2 * half]
    else:
        half = args.distractors // 2
        fit, spare = pool[:half], pool[half : 2 * half]
        enc = encoder.get_encoder()
        fit_v, spare_v = enc.encode(fit, kind="query"), enc.encode(spare, kind="query")
        src_v = enc.encode([r["text"] for r in rows], kind="query")
        tgt_v = enc.encode([r["translation"] for r in rows], kind="query")
        if args.cache:
            np.savez(args.cache, fit=fit_v, spare=spare_v, src=src_v, tgt=tgt_v)
    fit_lang = np.array([detect_language(t) or "en" for t in fit])
    spare_lang = np.array([detect_language(t) or "en" for t in spare])
    src_lang = np.array([r["language"] for r in rows])
    tgt_lang = np.array([r["translation_language"] for r in rows])
    committed = np.asarray(json.loads(ARTEFACT.read_text(encoding="utf-8"))["centre"], dtype=np.float32)
    per_language = {lang: fit_v[fit_lang == lang].mean(axis=0) for lang in set(fit_lang)}
    print(
        f"centres from {len(fit_v)} sentences: "
        + ", ".join(f"{k} {int((fit_lang == k).sum())}" for k in sorted(per_language))
    )

    def centre(vectors, langs, mode):
        means = np.stack(
            [per_language.get(lang, committed) if mode == "per language" else committed for lang in langs]
        )
        return encoder.normalise(vectors - means)

    dev = np.array([i for i, r in enumerate(rows) if r["id"] % 2 == 0])
    for mode in ("one centre (committed)", "per language"):
        src, tgt = centre(src_v, src_lang, mode), centre(tgt_v, tgt_lang, mode)
        background = centre(spare_v, spare_lang, mode)
        index, ilang = np.vstack([src, background[500:]]), np.concatenate([src_lang, spare_lang[500:]])
        new, new_lang = background[:500:2], spare_lang[:500:2]
        print(mode)
        for threshold in THRESHOLDS:
            top, alone, rule = decisions(tgt[dev], tgt_lang[dev], index, ilang, threshold)
            _, new_alone, new_rule = decisions(new, new_lang, index, ilang, threshold)
            right = top == dev
            print(
                f"  {threshold:.2f}: threshold alone recall@1 {np.mean(right & alone):.3f} new matched "
                f"{np.mean(new_alone):.3f} | rule recall@1 {np.mean(right & rule):.3f} new matched {np.mean(new_rule):.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
