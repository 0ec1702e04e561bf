"""P2: claim extraction vs its floor, sentence splitting plus one encoder pass over the same sentences, on the
extracted texts of the shared pages.

Run: .venv/bin/python bench/p2_claim_extraction.py [--pairs 10] [--limit N]
Alternates the floor (A: split every text, encode every sentence once, in batches, with the service's
encoder) and claim extraction as the extract stage does it (B: find_claims, then the claims' vectors: the
finder's own, the encoder only for a claim it left without one, as claims/stages._claim_rows does), over
all pages (or the first N with text), reports the median per-pair ratio B/A with the absolute times, and
ends with one JSON line. The encoder is loaded once, outside the timing, with FACTCHECK_ENCODER_THREADS
threads (default 1, as in a worker). Not a timed test; never gates CI.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checkworthiness.claimfinder import find_claims  # noqa: E402
from encoder import get_encoder  # noqa: E402
from extraction.main_text import extract_article  # noqa: E402
from extraction.segmentation import split_sentences  # noqa: E402
from factcheck.envfile import eval_data_dir  # noqa: E402

PAGES = eval_data_dir() / "pages"  # FACTCHECK_EVAL_DATA_DIR (factcheck/envfile.py)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--pages", default=str(PAGES))
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages with text (0: all)")
    args = parser.parse_args()
    manifest = json.loads((Path(args.pages) / "manifest.json").read_text(encoding="utf-8"))
    texts = []
    for entry in manifest:
        if args.limit and len(texts) >= args.limit:
            break
        article = extract_article(
            (Path(args.pages) / entry["file"]).read_bytes().decode("utf-8", errors="replace")
        )
        if article.text:
            texts.append((article.text, article.language, article.title))
    encoder = get_encoder()
    segment_language = {lang: lang if lang in ("de", "en", "fr") else "en" for _, lang, _ in texts}

    def splitter() -> int:
        count = 0
        for text, lang, _ in texts:
            sentences = split_sentences(text, language=segment_language[lang])
            encoder.encode([s.text for s in sentences], kind="query")
            count += len(sentences)
        return count

    def claims() -> int:
        count = 0
        for text, lang, title in texts:
            found = find_claims(text, language=lang, title=title)
            # The vectors stored with the claims, as claims/stages._claim_rows takes them: the finder's own
            # (it encoded every sentence it scored), the encoder only for a claim that has none.
            missing = [c.text for c in found if c.vector is None]
            if missing:
                encoder.encode(missing, kind="query")
            count += len(found)
        return count

    splitter(), claims()  # warm up: model and detector load once, outside the timing
    rows = []
    for _ in range(args.pairs):
        started = time.perf_counter()
        sentences = splitter()
        a = time.perf_counter() - started
        started = time.perf_counter()
        found = claims()
        b = time.perf_counter() - started
        rows.append((a, b))
    ratios = [b / a for a, b in rows]
    print(f"{'pair':>4} {'floor_s':>11} {'claims_s':>9} {'ratio':>6}")
    for i, ((a, b), r) in enumerate(zip(rows, ratios, strict=True)):
        print(f"{i:>4} {a:>11.3f} {b:>9.3f} {r:>6.3f}")
    result = {
        "benchmark": "P2",
        "pages": len(texts),
        "sentences": sentences,
        "claims": found,
        "pairs": len(rows),
        "encoder": encoder.name,
        "floor_median_s": round(statistics.median(a for a, _ in rows), 4),
        "claims_median_s": round(statistics.median(b for _, b in rows), 4),
        "median_ratio": round(statistics.median(ratios), 3),
        "target_ratio": 1.5,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
