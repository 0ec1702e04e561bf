"""P1: main-text extraction (extraction.main_text.extract_article) vs trafilatura.baseline().

Run: .venv/bin/python bench/p1_main_text.py [--pairs 10]
Alternates baseline (A) and ours (B) over all pages of the evaluation data's pages/ (README, "Evaluation
data"), reports the median per-pair ratio B/A with the absolute times, checks the manifest's must_contain /
must_not_contain snippets against our text (target: both hold on >= 90% of pages), and ends with one JSON
line. Not a test; never gates CI.
No database needed.

Pages are decoded as ingest does it (extraction.decoding.to_document: BOM, <meta charset>, guess), so
both sides see the text a fetched page would give. The snippet check is also reported separately for a
fixed held-out third of the pages (chosen by a hash of the file name, see `held_out`): the extraction
rules were written looking at failures on the other pages only, so the held-out share shows how far they
generalise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from extraction.decoding import to_document  # noqa: E402
from extraction.main_text import extract_article  # noqa: E402
from factcheck.envfile import eval_data_dir  # noqa: E402

PAGES = eval_data_dir() / "pages"  # FACTCHECK_EVAL_DATA_DIR (factcheck/envfile.py)


def squash(text: str) -> str:
    return " ".join(text.split())


def held_out(file_name: str) -> bool:
    """The fixed third of the pages not looked at while writing extraction rules."""
    return int(hashlib.sha256(file_name.encode()).hexdigest(), 16) % 3 == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--pages", default=str(PAGES))
    args = parser.parse_args()
    pages_dir = Path(args.pages)
    manifest = json.loads((pages_dir / "manifest.json").read_text(encoding="utf-8"))
    pages = [
        (entry, to_document((pages_dir / entry["file"]).read_bytes(), "text/html").html) for entry in manifest
    ]

    def baseline() -> int:
        return sum(len(trafilatura.baseline(html)[1] or "") for _, html in pages)

    def ours() -> list[str]:
        return [extract_article(html, url=entry.get("url", "")).text for entry, html in pages]

    texts = ours()  # warm-up (lingua's models load once) and the quality check
    baseline()
    kept = dropped = both = 0
    held = [0, 0]  # [both hold, pages] on the held-out pages
    snippets = {"required": [0, 0], "boilerplate": [0, 0]}  # [held, total], per snippet
    misses = []
    for (entry, _), text in zip(pages, texts, strict=True):
        flat = squash(text)
        for snippet in entry.get("must_contain", []):
            snippets["required"][0] += squash(snippet) in flat
            snippets["required"][1] += 1
        for snippet in entry.get("must_not_contain", []):
            snippets["boilerplate"][0] += squash(snippet) not in flat
            snippets["boilerplate"][1] += 1
        has_all = all(squash(s) in flat for s in entry.get("must_contain", []))
        has_none = not any(squash(s) in flat for s in entry.get("must_not_contain", []))
        kept += has_all
        dropped += has_none
        both += has_all and has_none
        if held_out(entry["file"]):
            held[0] += has_all and has_none
            held[1] += 1
        if not (has_all and has_none) and not held_out(entry["file"]):
            misses.append(entry["file"])

    rows = []
    for _ in range(args.pairs):
        started = time.perf_counter()
        baseline()
        a = time.perf_counter() - started
        started = time.perf_counter()
        ours()
        b = time.perf_counter() - started
        rows.append((a, b))
    ratios = [b / a for a, b in rows]
    print(f"{'pair':>4} {'baseline_s':>11} {'ours_s':>8} {'ratio':>6}")
    for i, ((a, b), r) in enumerate(zip(rows, ratios, strict=True)):
        print(f"{i:>4} {a:>11.3f} {b:>8.3f} {r:>6.2f}")
    n = len(pages)
    print(f"pages: required kept on {kept}/{n}, boilerplate dropped on {dropped}/{n}, both on {both}/{n}")
    print(f"held-out pages: both on {held[0]}/{held[1]}; the others: both on {both - held[0]}/{n - held[1]}")
    req, boiler = snippets["required"], snippets["boilerplate"]
    print(f"snippets: required kept {req[0]}/{req[1]}, boilerplate dropped {boiler[0]}/{boiler[1]}")
    if misses:
        # Held-out failures are counted, not named, so that they stay unseen when rules are written.
        print("pages failing a snippet check (not held out):", ", ".join(misses))
    print(
        json.dumps(
            {
                "benchmark": "P1",
                "pages": n,
                "pairs": len(rows),
                "baseline_median_s": round(statistics.median(a for a, _ in rows), 4),
                "ours_median_s": round(statistics.median(b for _, b in rows), 4),
                "median_ratio": round(statistics.median(ratios), 3),
                "target_ratio": 5.0,
                "snippets_ok_share": round(both / n, 3),
                "held_out_snippets_ok_share": round(held[0] / held[1], 3),
                "tuning_snippets_ok_share": round((both - held[0]) / (n - held[1]), 3),
                "required_kept_share": round(kept / n, 3),
                "boilerplate_dropped_share": round(dropped / n, 3),
                "required_snippets_kept_share": round(req[0] / req[1], 3),
                "boilerplate_snippets_dropped_share": round(boiler[0] / boiler[1], 3),
                "target_share": 0.9,
            }
        )
    )


if __name__ == "__main__":
    main()
