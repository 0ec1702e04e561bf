"""P1: main-text extraction (claims.pipeline.extraction.extract_article) vs trafilatura.baseline().

Run: .venv/bin/python bench/p1_main_text.py [--pairs 10]
Alternates baseline (A) and ours (B) over all pages of ../shared/data/pages, reports the median per-pair
ratio B/A with the absolute times, checks the manifest's must_contain / must_not_contain snippets against
our text (target: both hold on >= 90% of pages), and ends with one JSON line. Not a test; never gates CI.
No database needed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from claims.pipeline.extraction import extract_article  # noqa: E402

PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "pages"


def squash(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--pages", default=str(PAGES))
    args = parser.parse_args()
    pages_dir = Path(args.pages)
    manifest = json.loads((pages_dir / "manifest.json").read_text(encoding="utf-8"))
    pages = [
        (entry, (pages_dir / entry["file"]).read_bytes().decode("utf-8", errors="replace"))
        for entry in manifest
    ]

    def baseline() -> int:
        return sum(len(trafilatura.baseline(html)[1] or "") for _, html in pages)

    def ours() -> list[str]:
        return [extract_article(html, url=entry.get("url", "")).text for entry, html in pages]

    texts = ours()  # warm-up (lingua's models load once) and the quality check
    baseline()
    kept = dropped = both = 0
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
        if not (has_all and has_none):
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
    req, boiler = snippets["required"], snippets["boilerplate"]
    print(f"snippets: required kept {req[0]}/{req[1]}, boilerplate dropped {boiler[0]}/{boiler[1]}")
    if misses:
        print("pages failing a snippet check:", ", ".join(misses))
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
