"""Agreement between the two labellers of eval/claims-dev (Cohen's kappa), before and after settlement.

The second labeller labelled a third of the relabelled articles (eval/claims-dev/second-labeller/) without
seeing the first labels. Disagreements were then settled in docs/labelling-guide.md and, where a rule
decided for the second labeller, the gold label changed; `second-labeller/settled.json` records each of
those sentences with both original labels. So the first labeller's own labels are the gold labels with
the settled ones put back.

Run: .venv/bin/python -m eval.agreement   (prints a table, then one JSON line)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

DEV = Path(__file__).resolve().parent / "claims-dev"
SECOND = DEV / "second-labeller"
LABELS = ("core", "acceptable", "not_claim")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cohen_kappa(pairs: list[tuple[str, str]], categories: tuple[str, ...]) -> float:
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in categories) / (n * n)
    return (observed - expected) / (1 - expected)


def label_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(first labeller's own label, second labeller's) and (gold after settlement, second labeller's)."""
    settled = {
        (row["page"], row["i"]): row["first"] for row in json.loads((SECOND / "settled.json").read_text())
    }
    before, after = [], []
    for path in sorted(SECOND.glob("*.jsonl")):
        gold, second = read(DEV / path.name), read(path)
        assert [r["text"] for r in gold] == [r["text"] for r in second], path.name
        for g, s in zip(gold, second, strict=True):
            before.append((settled.get((g["page"], g["i"]), g["label"]), s["label"]))
            after.append((g["label"], s["label"]))
    return before, after


def summary(pairs: list[tuple[str, str]]) -> dict[str, float]:
    claim = [(a != "not_claim", b != "not_claim") for a, b in pairs]
    core = [(a == "core", b == "core") for a, b in pairs]
    return {
        "agreement": round(sum(a == b for a, b in pairs) / len(pairs), 3),
        "kappa_3_labels": round(cohen_kappa(pairs, LABELS), 3),
        "kappa_core_vs_rest": round(cohen_kappa(core, (True, False)), 3),
        "kappa_claim_vs_not_claim": round(cohen_kappa(claim, (True, False)), 3),
    }


def main() -> None:
    before, after = label_pairs()
    result = {"articles": len(list(SECOND.glob("*.jsonl"))), "sentences": len(before)}
    result["before_settlement"], result["after_settlement"] = summary(before), summary(after)
    print(f"{result['articles']} articles, {result['sentences']} sentences labelled twice")
    for name in ("before_settlement", "after_settlement"):
        print(f"  {name:<18} " + "  ".join(f"{k} {v:.3f}" for k, v in result[name].items()))
    print("  confusion before settlement (first, second):", dict(Counter(before).most_common()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
