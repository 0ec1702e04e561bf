"""How many real sentences the not-language gate (checkworthiness/language_gate.py) would drop, against the
labelled news of eval/claims-dev.

    .venv/bin/python -m eval.language_gate                  # the tuning articles (thresholds chosen here)
    .venv/bin/python -m eval.language_gate --part held_out  # the held-out articles (report only)
    .venv/bin/python -m eval.language_gate --show 20        # also print up to 20 labelled claims it drops

Per language: labelled claims (core / acceptable), how many the gate drops and how many of those are rows of a
table (labelled before issue 13's definition, which says tables are not claims), and the not_claim sentences
it drops (tables, code and lists of names among them are wanted). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from checkworthiness.language_gate import not_language

DEV_DIR = Path(__file__).resolve().parent / "claims-dev"


def rows_of(part: str) -> list[dict]:
    split = json.loads((DEV_DIR / "split.json").read_text(encoding="utf-8"))
    rows = []
    for page in split[part]:
        path = DEV_DIR / f"{page.removesuffix('.html')}.jsonl"
        rows.extend(json.loads(line) for line in path.open(encoding="utf-8"))
    return rows


def measure(rows: list[dict]) -> tuple[dict, list[tuple[str, str, str]]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    dropped_claims = []
    for row in rows:
        reason = not_language(row["text"], row["language"])
        kind = "claims" if row["label"] in ("core", "acceptable") else "not_claims"
        counts[row["language"]][kind] += 1
        if reason:
            counts[row["language"]][f"{kind}_dropped"] += 1
            if kind == "claims":
                dropped_claims.append((row["language"], reason, row["text"]))
                # a row of a table ("| Droit et économie | 91 | 166 | …"): not a claim by the definition
                counts[row["language"]]["claims_dropped_table_rows"] += row["text"].lstrip().startswith("|")
    result = {}
    for language, c in sorted(counts.items()):
        result[language] = {
            "claims": c["claims"],
            "claims_dropped": c["claims_dropped"],
            "claims_dropped_share": round(c["claims_dropped"] / c["claims"], 4) if c["claims"] else 0.0,
            "of_them_table_rows": c["claims_dropped_table_rows"],
            "not_claims": c["not_claims"],
            "not_claims_dropped": c["not_claims_dropped"],
        }
    claims = sum(r["claims"] for r in result.values())
    dropped = sum(r["claims_dropped"] for r in result.values())
    rows_dropped = sum(r["of_them_table_rows"] for r in result.values())
    result["all"] = {
        "claims": claims,
        "claims_dropped": dropped,
        "claims_dropped_share": round(dropped / claims, 4) if claims else 0.0,
        "sentences_dropped": dropped - rows_dropped,
        "sentences_dropped_share": round((dropped - rows_dropped) / claims, 4) if claims else 0.0,
    }
    return result, dropped_claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="tuning", choices=["tuning", "held_out"])
    parser.add_argument("--show", type=int, default=0, help="print up to N labelled claims the gate drops")
    args = parser.parse_args()
    result, dropped = measure(rows_of(args.part))
    print(
        f"{'language':8} {'claims':>7} {'dropped':>8} {'share':>7} {'table rows':>10} {'not_claims':>10} "
        f"{'dropped':>8}"
    )
    for language, r in result.items():
        if language == "all":
            continue
        print(
            f"{language:8} {r['claims']:7} {r['claims_dropped']:8} {r['claims_dropped_share']:7.2%} "
            f"{r['of_them_table_rows']:10} {r['not_claims']:10} {r['not_claims_dropped']:8}"
        )
    for language, reason, text in dropped[: args.show]:
        print(f"  [{language} {reason}] {text[:160]}")
    print(json.dumps({"part": args.part, **result}))


if __name__ == "__main__":
    main()
