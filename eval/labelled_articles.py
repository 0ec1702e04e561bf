"""The labelled news articles of eval/claims-dev: loading them in line with today's extraction, and
measuring claim extraction against their sentence labels (`manage.py evaluate_claims`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkworthiness.claimfinder import find_claims
from extraction.main_text import extract_article


def evaluate_labelled_articles(
    labelled: dict[str, list[dict[str, Any]]], texts: dict[str, tuple[str, str, str]], *, threshold: float
) -> dict[str, dict[str, float]]:
    """Compare find_claims() with sentence labels (core / acceptable / not_claim), per language.

    `labelled` maps page -> labelled sentences (start, end, label); `texts` maps page -> (text, language,
    title). Recall: share of core sentences covered by a span of an extracted claim. Precision: share of
    extracted claims whose sentence is labelled core or acceptable.
    """
    totals: dict[str, dict[str, int]] = {}
    for page, rows in labelled.items():
        text, language, title = texts[page]
        claims = find_claims(text, language=language, title=title, threshold=threshold)
        counts = totals.setdefault(
            language, {"core": 0, "core_found": 0, "extracted": 0, "good": 0, "pages": 0}
        )
        counts["pages"] += 1
        spans = [span for claim in claims for span in claim.spans]

        def label_at(start: int, end: int, rows: list[dict[str, Any]] = rows) -> str:
            best, best_overlap = "not_claim", 0
            for row in rows:
                overlap = min(end, row["end"]) - max(start, row["start"])
                if overlap > best_overlap:
                    best, best_overlap = row["label"], overlap
            return best

        for row in rows:
            if row["label"] != "core":
                continue
            counts["core"] += 1
            length = row["end"] - row["start"]
            if any(min(e, row["end"]) - max(s, row["start"]) >= 0.5 * length for s, e in spans):
                counts["core_found"] += 1
        for claim in claims:
            counts["extracted"] += 1
            counts["good"] += label_at(claim.start, claim.end) in ("core", "acceptable")
    result: dict[str, dict[str, float]] = {}
    for language, c in sorted(totals.items()):
        result[language] = {
            "pages": c["pages"],
            "core_sentences": c["core"],
            "extracted": c["extracted"],
            "recall_core": round(c["core_found"] / c["core"], 3) if c["core"] else 0.0,
            "precision": round(c["good"] / c["extracted"], 3) if c["extracted"] else 0.0,
        }
    return result


class LabelsOutOfDate(ValueError):
    """The extracted text of a labelled article changed, so its labels no longer line up."""


def load_labelled_articles(
    dev_dir: Path, pages_dir: Path, part: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, tuple[str, str, str]]]:
    """Read one part ("tuning" / "held_out") of eval/claims-dev: page -> labelled rows, page -> (text, lang, title)."""
    split = json.loads((dev_dir / "split.json").read_text(encoding="utf-8"))
    labelled: dict[str, list[dict[str, Any]]] = {}
    texts: dict[str, tuple[str, str, str]] = {}
    for page in split[part]:
        path = dev_dir / f"{page.removesuffix('.html')}.jsonl"
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        article = extract_article((pages_dir / page).read_bytes().decode("utf-8", errors="replace"))
        if any(article.text[r["start"] : r["end"]] != r["text"] for r in rows):
            raise LabelsOutOfDate(f"The extracted text of {page} changed; the labels no longer line up.")
        labelled[page] = rows
        texts[page] = (article.text, rows[0]["language"], article.title)
    return labelled, texts
