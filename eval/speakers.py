"""How well checkworthiness.speakers finds a sentence's speaker, against the labelled news of eval/claims-dev
(a `speaker` {name, type} on every attributed sentence; docs/labelling-guide.md).

    .venv/bin/python -m eval.speakers                  # the tuning articles (for development)
    .venv/bin/python -m eval.speakers --part held_out  # the held-out articles (report only; never tune on them)
    .venv/bin/python -m eval.speakers --errors 30      # also print the first 30 misses and wrong names

Per language and overall, over every labelled sentence (a claim's speaker is found the same way):
- found precision / recall: of the sentences given a speaker, how many have one in the labels; of the
  labelled speakers, how many were found;
- exact / partial name: of the sentences where both have a speaker, how many names are the same (case,
  punctuation and a leading article aside) / share a name word (a surname, "Polizei" in "Polizei Frankfurt");
- type: of those, how many have the labelled type (Person / Organization);
- "named in the sentence": the labelled speakers whose name (a word of it) occurs in the sentence itself,
  and the recall on them: interview answers and paragraphs continuing a quotation name their speaker only
  further away, which a sentence-level extractor is not meant to reach.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

from checkworthiness.speakers import BEFORE_CHARS, find_speaker

DEV_DIR = Path(__file__).resolve().parent / "claims-dev"
LEADING = {
    "der",
    "die",
    "das",
    "des",
    "dem",
    "den",
    "ein",
    "eine",
    "the",
    "a",
    "an",
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
}
_WORD = re.compile(r"\w+", re.UNICODE)


def name_words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name).casefold().replace("’", "'")
    words = _WORD.findall(text)
    while words and words[0] in LEADING:
        words = words[1:]
    return words


def exact_match(predicted: str, gold: str) -> bool:
    return name_words(predicted) == name_words(gold)


def partial_match(predicted: str, gold: str) -> bool:
    """The names share a word (of two letters or more: "Di Li"), or one word holds the other
    ("Regierungssprecher" and "Sprecher der Regierung")."""
    a = [w for w in name_words(predicted) if len(w) >= 2]
    b = [w for w in name_words(gold) if len(w) >= 2]
    if set(a) & set(b):
        return True
    return any(len(x) >= 5 and len(y) >= 5 and (x in y or y in x) for x in a for y in b)


def named_in_sentence(gold: str, sentence: str) -> bool:
    return any(len(w) >= 3 and w in sentence.casefold() for w in name_words(gold))


def load(part: str) -> list[list[dict]]:
    split = json.loads((DEV_DIR / "split.json").read_text(encoding="utf-8"))
    articles = []
    for page in split[part]:
        path = DEV_DIR / f"{page.removesuffix('.html')}.jsonl"
        articles.append([json.loads(line) for line in path.open(encoding="utf-8")])
    return articles


def evaluate(articles: list[list[dict]], *, errors: int = 0) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    shown = 0
    for rows in articles:
        for index, row in enumerate(rows):
            # What the pipeline passes (claims/stages.py): the article's text before the sentence.
            before = " ".join(r["text"] for r in rows[:index])[-BEFORE_CHARS:]
            after = rows[index + 1]["text"] if index + 1 < len(rows) else ""
            found = find_speaker(row["text"], language=row["language"], before=before, after=after)
            gold = row.get("speaker")
            for key in (row["language"], "all"):
                c = counts[key]
                c["sentences"] += 1
                c["gold"] += gold is not None
                c["predicted"] += found is not None
                if gold is not None:
                    named = named_in_sentence(gold["name"], row["text"])
                    c["gold_named_in_sentence"] += named
                    c["found_named_in_sentence"] += named and found is not None
                if gold is not None and found is not None:
                    c["both"] += 1
                    c["exact"] += exact_match(found.name, gold["name"])
                    c["partial"] += partial_match(found.name, gold["name"])
                    c["type"] += found.type == gold["type"]
            wrong = found is not None and (gold is None or not partial_match(found.name, gold["name"]))
            missed = gold is not None and found is None and named_in_sentence(gold["name"], row["text"])
            if (wrong or missed) and shown < errors:
                shown += 1
                label = "WRONG" if wrong else "MISSED"
                print(
                    f"{label} [{row['language']}] found={found.name if found else None!r} "
                    f"gold={gold['name'] if gold else None!r}: {row['text'][:200]!r}",
                    file=sys.stderr,
                )
    return {key: figures(c) for key, c in sorted(counts.items())}


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def figures(c: dict[str, int]) -> dict[str, float]:
    return {
        "sentences": c["sentences"],
        "gold_speakers": c["gold"],
        "found": c["predicted"],
        "found_precision": ratio(c["both"], c["predicted"]),
        "found_recall": ratio(c["both"], c["gold"]),
        "exact_name": ratio(c["exact"], c["both"]),
        "partial_name": ratio(c["partial"], c["both"]),
        "type": ratio(c["type"], c["both"]),
        "gold_named_in_sentence": c["gold_named_in_sentence"],
        "found_recall_named_in_sentence": ratio(c["found_named_in_sentence"], c["gold_named_in_sentence"]),
    }


COLUMNS = [
    ("sentences", "sentences"),
    ("gold_speakers", "labelled"),
    ("found", "found"),
    ("found_precision", "P found"),
    ("found_recall", "R found"),
    ("exact_name", "exact"),
    ("partial_name", "partial"),
    ("type", "type"),
    ("gold_named_in_sentence", "named in sent."),
    ("found_recall_named_in_sentence", "R named"),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["tuning", "held_out"], default="tuning")
    parser.add_argument("--errors", type=int, default=0, help="print this many wrong or missed speakers")
    args = parser.parse_args(argv)
    result = evaluate(load(args.part), errors=args.errors)
    print(f"speakers on the {args.part} articles of eval/claims-dev")
    print("| language | " + " | ".join(title for _, title in COLUMNS) + " |")
    print("| --- " * (len(COLUMNS) + 1) + "|")
    for language, row in result.items():
        print(f"| {language} | " + " | ".join(str(row[key]) for key, _ in COLUMNS) + " |")
    print(json.dumps({"part": args.part, **result}))


if __name__ == "__main__":
    main()
