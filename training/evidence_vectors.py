"""Encode once, for every evidence training and evaluation run (development only).

Every Climate-FEVER claim (encoder "query" side) and every sentence the ranking and the stance model read
(the stand-in's pages cut by evidence.passages.split_passages, and each evidence sentence as the stance
training reads it; "passage" side) into one file in the format of training/vectors.py. The training and
evaluation commands take it with `--vectors FILE` and encode nothing that is in it: same figures, minutes of
CPU less per run on a small machine.

Run: .venv/bin/python -m training.evidence_vectors /path/to/vectors.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 64


def texts() -> tuple[list[str], list[str]]:
    """(sentences, claims), each distinct and in a fixed order."""
    from eval.climate_split import data_path
    from eval.evidence_eval import build_corpus, load
    from evidence.passages import split_passages

    rows = load(data_path())
    sentences = [
        s
        for text in build_corpus(rows).values()
        for p in split_passages(text)
        for s in (p.sentences or (p.text,))
    ]
    sentences += [" ".join(e["evidence"].split()) for r in rows for e in r["evidences"]]
    return list(dict.fromkeys(s for s in sentences if s)), list(dict.fromkeys(r["claim"] for r in rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from encoder import get_encoder

    sentences, claims = texts()
    print(f"{len(sentences)} sentences, {len(claims)} claims", flush=True)
    encoder = get_encoder()
    started, cpu = time.monotonic(), time.process_time()

    def run(items: list[str], kind: str) -> np.ndarray:
        out = []
        for start in range(0, len(items), BATCH):
            out.append(encoder.encode(items[start : start + BATCH], kind=kind))  # type: ignore[arg-type]
            print(
                f"{kind} {min(start + BATCH, len(items))}/{len(items)}: {time.monotonic() - started:.0f} s, "
                f"CPU {time.process_time() - cpu:.0f} s",
                flush=True,
            )
        return np.vstack(out) if out else np.zeros((0, encoder.dim), np.float32)

    sentence_vectors = run(sentences, "passage")
    claim_vectors = run(claims, "query")
    np.savez(
        args.out,
        texts=np.array(sentences, dtype=object),
        vectors=sentence_vectors,
        encoder=encoder.name,
        claim_texts=np.array(claims, dtype=object),
        claim_vectors=claim_vectors,
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
