"""The fixed split of Climate-FEVER into train / dev / test parts, by claim id.

Fixed before any tuning (issue 14): the ranking and stance models are fitted on `train`, every choice
(features, fusion, thresholds) is made on `dev`, and `test` is only ever reported, never used for a choice.
The split is committed (eval/climate-fever-split.json) so that it does not depend on this code staying the
same; `python -m eval.climate_split --write` regenerates it (seed 14, 60 / 20 / 20 of the claim ids in the
data file's order, shuffled) and fails if the result differs from the committed file.

Run: .venv/bin/python -m eval.climate_split [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from factcheck.envfile import eval_data_dir

SPLIT_PATH = Path(__file__).with_name("climate-fever-split.json")
SEED = 14
PARTS = (("train", 0.6), ("dev", 0.2), ("test", 0.2))


def data_path() -> Path:
    return eval_data_dir() / "evidence" / "climate-fever.jsonl"


def make_split(claim_ids: list[str], seed: int = SEED) -> dict[str, list[str]]:
    """Shuffle the ids with `seed` and cut them 60 / 20 / 20; each part sorted numerically for diffs."""
    ids = list(claim_ids)
    random.Random(seed).shuffle(ids)
    out: dict[str, list[str]] = {}
    start = 0
    for i, (name, share) in enumerate(PARTS):
        end = len(ids) if i == len(PARTS) - 1 else start + round(share * len(ids))
        out[name] = sorted(ids[start:end], key=lambda c: (len(c), c))
        start = end
    return out


def load_split() -> dict[str, set[str]]:
    """{part: set of claim ids} from the committed split file."""
    with SPLIT_PATH.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return {name: set(data[name]) for name, _ in PARTS}


def rows_of(rows: list[dict], part: str) -> list[dict]:
    """The rows of one part ("train", "dev", "test"; "all" for every row), in the data file's order."""
    if part == "all":
        return list(rows)
    wanted = load_split()[part]
    return [r for r in rows if r["claim_id"] in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the split file if it does not exist")
    args = parser.parse_args(argv)
    with data_path().open(encoding="utf-8") as fh:
        ids = [json.loads(line)["claim_id"] for line in fh if line.strip()]
    split = make_split(ids)
    if SPLIT_PATH.exists():
        same = json.loads(SPLIT_PATH.read_text(encoding="utf-8")) == {"seed": SEED, **split}
        print(f"{SPLIT_PATH.name}: {'matches' if same else 'DIFFERS FROM'} seed {SEED}")
        for name, _ in PARTS:
            print(f"  {name:5} {len(split[name])} claims")
        return 0 if same else 1
    if not args.write:
        print(f"{SPLIT_PATH} does not exist; run with --write")
        return 1
    SPLIT_PATH.write_text(json.dumps({"seed": SEED, **split}, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {SPLIT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
