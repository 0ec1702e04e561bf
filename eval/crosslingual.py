"""Cross-lingual claim matching: the centring vector and the threshold on centred cosine, fixed on dev data.

Data: bench/data/translated_claims.jsonl (500 hand translations: a claim in en/de/fr and the same claim in
another of the three languages). Split by id: even ids are dev (the threshold is chosen there), odd ids are
held out (the figures printed for them were not used to choose anything).
Distractors: real sentences of the pages and Climate-FEVER under FACTCHECK_EVAL_DATA_DIR (bench.p7_matching's
sentences()), never texts of the translated set.

The centring vector (the mean claim vector) is computed from distractor sentences only — the first half of them,
the second half stays for the false-match figure — and written with `--write` to
claims/artefacts/matching-centre.json, which claims.matching loads.

Run: .venv/bin/python -m eval.crosslingual [--write] [--distractors 4000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

import encoder

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "bench" / "data" / "translated_claims.jsonl"
FIXED = 0.62  # claims.vectors.VECTOR_THRESHOLD (eval/ does not import the Django app)
ARTEFACT = ROOT / "claims" / "artefacts" / "matching-centre.json"


def centred(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    return encoder.normalise(vectors - centre)


def vetoed(source_keys, index_keys) -> np.ndarray:
    """True where textkit.similarity.cross_lingual_veto rejects the pair (as claims.matching does)."""
    from textkit.similarity import cross_lingual_veto

    return np.array([[bool(cross_lingual_veto(a, b)) for b in index_keys] for a in source_keys])


def figures(sources, targets, distractors, threshold, veto=None):
    """recall@1 of the translation among targets+distractors; false = a source whose translation is not
    stored (its own target removed) that still matches anything at or above the threshold. `veto`: pairs
    (sources × targets+distractors) that matching rejects whatever their cosine."""
    index = np.vstack([targets, distractors])
    scores = sources @ index.T
    if veto is not None:
        scores = np.where(veto, -1.0, scores)
    n = len(sources)
    top = scores.argmax(axis=1)
    best = scores.max(axis=1)
    recall = float(np.mean((top == np.arange(n)) & (best >= threshold)))
    masked = scores.copy()
    masked[np.arange(n), np.arange(n)] = -1.0
    false = float(np.mean(masked.max(axis=1) >= threshold))
    return recall, false


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the centring artefact")
    parser.add_argument("--distractors", type=int, default=4000)
    parser.add_argument("--cache", help="an .npz file keeping the vectors between runs (made if missing)")
    parser.add_argument(
        "--max-false", type=float, default=0.01, help="the false-match rate the dev threshold must keep"
    )
    args = parser.parse_args(argv)
    from bench.p7_matching import sentences

    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    known = {r["text"].casefold() for r in rows} | {r["translation"].casefold() for r in rows}
    pool = [s for s in sentences() if s.casefold() not in known]
    random.Random(14).shuffle(pool)
    pool = pool[: args.distractors]
    fit, spare = pool[: len(pool) // 2], pool[len(pool) // 2 :]
    enc = encoder.get_encoder()
    print(
        f"encoder {enc.name}; pairs {len(rows)}; centre from {len(fit)} sentences; {len(spare)} distractors"
    )
    vec = lambda texts: enc.encode(texts, kind="query")  # noqa: E731 - stored claims are "query" vectors
    if args.cache and Path(args.cache).exists():
        saved = np.load(args.cache)
        fit_v, spare_v, src_v, tgt_v = (saved[k] for k in ("fit", "spare", "src", "tgt"))
    else:
        fit_v, spare_v = vec(fit), vec(spare)
        src_v, tgt_v = vec([r["text"] for r in rows]), vec([r["translation"] for r in rows])
        if args.cache:
            np.savez(args.cache, fit=fit_v, spare=spare_v, src=src_v, tgt=tgt_v)
    from textkit.similarity import ClaimKey

    src_keys = [ClaimKey.of(r["text"], r["language"]) for r in rows]
    tgt_keys = [ClaimKey.of(r["translation"], r["translation_language"]) for r in rows]
    spare_keys = [ClaimKey.of(s, "en") for s in spare]
    centre = fit_v.mean(axis=0)
    dev = np.array([r["id"] % 2 == 0 for r in rows])
    idx = np.arange(len(rows))
    veto_dev = vetoed([src_keys[i] for i in idx[dev]], [tgt_keys[i] for i in idx[dev]] + spare_keys)
    veto_held = vetoed([src_keys[i] for i in idx[~dev]], [tgt_keys[i] for i in idx[~dev]] + spare_keys)
    runs = (
        ("raw cosine", np.zeros_like(centre), False),
        ("centred cosine", centre, False),
        ("centred cosine + vetoes (what claims.matching does)", centre, True),
    )
    for name, c, use_veto in runs:
        s, t, d = centred(src_v, c), centred(tgt_v, c), centred(spare_v, c)
        best = None
        for threshold in np.arange(0.20, 1.0, 0.01):
            r, f = figures(s[dev], t[dev], d, threshold, veto_dev if use_veto else None)
            if f <= args.max_false and (best is None or r > best[1]):
                best = (round(float(threshold), 2), r, f)
        at = figures(s[~dev], t[~dev], d, FIXED, veto_held if use_veto else None)
        if best is None:
            print(f"{name}: no threshold keeps false matches <= {args.max_false:.0%} on dev")
            print(f"  at {FIXED:.2f}: held-out recall@1 {at[0]:.3f} false {at[1]:.3f}")
            continue
        threshold = best[0]
        r_dev, f_dev = best[1], best[2]
        r_held, f_held = figures(s[~dev], t[~dev], d, threshold, veto_held if use_veto else None)
        print(
            f"{name}: threshold chosen on dev (max recall@1 with false <= {args.max_false:.0%}) {threshold:.2f}; "
            f"dev recall@1 {r_dev:.3f} false {f_dev:.3f}; held-out recall@1 {r_held:.3f} false {f_held:.3f}"
        )
        for lang in ("en", "de", "fr"):
            sel = ~dev & np.array([r["language"] == lang for r in rows])
            r_l, _ = figures(s[sel], t[sel], d, threshold)  # (without vetoes)
            print(f"  held-out from {lang}: n={int(sel.sum())} recall@1 {r_l:.3f}")
        print(f"  at the committed threshold {FIXED:.2f}: held-out recall@1 {at[0]:.3f} false {at[1]:.3f}")
    if args.write:
        ARTEFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTEFACT.write_text(
            json.dumps(
                {
                    "encoder": enc.name,
                    "dim": int(enc.dim),
                    "sentences": len(fit),
                    "command": "python -m eval.crosslingual --write",
                    "centre": [round(float(x), 6) for x in centre],
                }
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {ARTEFACT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
