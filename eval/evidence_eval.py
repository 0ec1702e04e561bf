"""Evidence quality on Climate-FEVER, through the real Wikipedia provider and a local MediaWiki stand-in.

The stand-in's corpus is every Climate-FEVER evidence sentence, grouped by its Wikipedia article (one
sentence per paragraph). For each claim, the `find_sources` management command runs exactly as an operator
would run it (queries → MediaWiki Action API → extracts → passages → ranking → stance), with the settings
pointed at the stand-in, and we measure from its JSON output:

- hit@5: share of claims (with at least one SUPPORTS/REFUTES evidence sentence) whose first five passages,
  in ranked order, contain such a gold sentence;
- claim stance agreement: the relevance-weighted vote of the top-5 sources' non-"unclear" hints against
  the claim label (SUPPORTS / REFUTES claims only), with the share left "unclear";
- sentence stance agreement: passage_stance(claim, gold sentence) against that sentence's label;
- gold article found: share of claims (with gold evidence) for which a page holding a gold sentence is
  among the ranked sources at all, which separates what retrieval missed from what ranking missed;
- stance on hits: for the claims that are hits, the stance hint of the source whose passage (among the
  first five) holds the gold sentence, against that sentence's label — share decided and precision when
  decided.

`--vectors PATH` (repeatable) starts the ranking's sentence cache from vectors a training run saved
(training/vectors.py): the same figures, less encoding. `--part train|dev|test` restricts the claims to one part of eval/climate-fever-split.json (the models are
trained on train and chosen on dev; test is the held-out figure).

Run: .venv/bin/python -m eval.evidence_eval [--part test] [--sample N] [--data PATH]
(default data: evidence/climate-fever.jsonl under FACTCHECK_EVAL_DATA_DIR, factcheck/envfile.py)
Ends with one JSON line of results.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import django

from factcheck.envfile import eval_data_dir

DEFAULT_DATA = eval_data_dir() / "evidence" / "climate-fever.jsonl"
GOLD = {"SUPPORTS", "REFUTES"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build_corpus(rows: list[dict]) -> dict[str, str]:
    sentences: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for ev in row["evidences"]:
            text = " ".join(ev["evidence"].split())
            if text and text not in sentences[ev["article"]]:
                sentences[ev["article"]].append(text)
    return {title: "\n\n".join(sents) for title, sents in sentences.items()}


def claim_vote(sources: list[dict]) -> str:
    weight: Counter[str] = Counter()
    for source in sources[:5]:
        if source["stance"] != "unclear":
            weight[source["stance"]] += source["relevance"]
    if not weight:
        return "unclear"
    return weight.most_common(1)[0][0]


def find_sources(claim: str) -> tuple[list[dict], str]:
    """Run `manage.py find_sources --json` for one claim: its ranked sources and the provider's state."""
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command(
        "find_sources", claim, lang="en", as_json=True, providers="wikipedia", stdout=out, stderr=err
    )
    state = err.getvalue().split()[1] if err.getvalue().startswith("wikipedia:") else "missing"
    return json.loads(out.getvalue()), state


def _stance_on_hit(top5: list[tuple[str, dict]], gold_rows: list[dict]) -> list[str]:
    """ "decided" and "correct" (if so) for the source holding the first gold passage among the top five."""
    for passage, source in top5:
        labels = [e["evidence_label"].lower() for e in gold_rows if _norm(e["evidence"]) in passage]
        if labels:
            decided = source["stance"] != "unclear"
            return [
                "hits",
                *(["decided"] if decided else []),
                *(["correct"] if source["stance"] == labels[0] else []),
            ]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sample", type=int, default=0, help="evaluate N random claims (seed 0); 0 = all")
    parser.add_argument("--max-results", type=int, default=5, help="FACTCHECK_SOURCES_PER_CLAIM")
    parser.add_argument(
        "--vectors",
        type=Path,
        action="append",
        default=[],
        help="sentence vectors of an earlier run (same results, less CPU)",
    )
    parser.add_argument("--part", choices=("all", "train", "dev", "test"), default="all")
    parser.add_argument(
        "--rerank-k", type=int, default=None, help="FACTCHECK_EVIDENCE_RERANK_K (default: setting)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    django.setup()
    from django.conf import settings
    from django.test import override_settings

    from eval.climate_split import rows_of
    from evidence.stance import passage_stance
    from tests.support.mediawiki import MediaWikiServer
    from training import vectors

    for path in args.vectors:
        print(f"{vectors.load(path)} sentence vectors loaded from {path}")
    rows = load(args.data)
    corpus = build_corpus(rows)  # every evidence sentence of every part, labels unseen by the stand-in
    claims = rows_of(rows, args.part)
    rerank_k = settings.FACTCHECK_EVIDENCE_RERANK_K if args.rerank_k is None else args.rerank_k
    if args.sample and args.sample < len(rows):
        claims = random.Random(0).sample(claims, args.sample)

    hits = evaluated = article_found = 0
    hit_stance = Counter()
    stance_total = stance_agree = stance_unclear = 0
    sentence_total = sentence_agree = sentence_unclear = 0
    labels: Counter[str] = Counter()
    states: Counter[str] = Counter()
    started = time.monotonic()
    with (
        MediaWikiServer(corpus) as server,
        # Generous timeouts: the stand-in scores OR queries in pure Python, and this measures quality, not
        # speed. Everything else is the settings' defaults.
        override_settings(
            FACTCHECK_WIKIPEDIA_API=server.api_template,
            FACTCHECK_FETCH_ALLOW_NETWORKS=[f"{server.host}/32"],
            FACTCHECK_FETCH_ALLOW_PORTS=[server.port],
            FACTCHECK_FETCH_CONNECT_TIMEOUT=5.0,
            FACTCHECK_FETCH_READ_TIMEOUT=20.0,
            FACTCHECK_FETCH_TOTAL_TIMEOUT=30.0,
            FACTCHECK_SOURCES_PER_CLAIM=args.max_results,
            FACTCHECK_SOURCES_DEADLINE=90.0,
            FACTCHECK_EVIDENCE_RERANK_K=rerank_k,
        ),
    ):
        for row in claims:
            claim = row["claim"]
            gold_rows = [e for e in row["evidences"] if e["evidence_label"] in GOLD]
            gold = [_norm(e["evidence"]) for e in gold_rows]
            sources, state = find_sources(claim)
            states[state] += 1
            if gold:
                evaluated += 1
                top5 = [(_norm(p), s) for s in sources for p in s["passages"]][:5]
                if any(g in p for g in gold for p, _ in top5):
                    hits += 1
                    hit_stance.update(_stance_on_hit(top5, gold_rows))
                titles = {e["article"] for e in gold_rows}
                article_found += any(s["title"] in titles for s in sources)
            if row["claim_label"] in GOLD:
                stance_total += 1
                predicted = claim_vote(sources)
                labels[predicted] += 1
                stance_unclear += predicted == "unclear"
                stance_agree += predicted == row["claim_label"].lower()
            for ev in gold_rows:
                sentence_total += 1
                predicted, _ = passage_stance(claim, ev["evidence"], language="en")
                sentence_unclear += predicted == "unclear"
                sentence_agree += predicted == ev["evidence_label"].lower()
    elapsed = time.monotonic() - started

    def share(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    majority = max(Counter(r["claim_label"] for r in claims if r["claim_label"] in GOLD).values(), default=0)
    results = {
        "claims": len(claims),
        "claims_with_gold_evidence": evaluated,
        "hit_at_5": share(hits, evaluated),
        "gold_article_found": share(article_found, evaluated),
        "claim_stance_agreement": share(stance_agree, stance_total),
        "claim_stance_unclear": share(stance_unclear, stance_total),
        "claim_stance_agreement_when_decided": share(stance_agree, stance_total - stance_unclear),
        "claim_stance_majority_baseline": share(majority, stance_total),
        "sentence_stance_agreement": share(sentence_agree, sentence_total),
        "sentence_stance_unclear": share(sentence_unclear, sentence_total),
        "sentence_stance_agreement_when_decided": share(sentence_agree, sentence_total - sentence_unclear),
        "part": args.part,
        "rerank_k": rerank_k,
        "stance_on_hits_decided": share(hit_stance["decided"], hit_stance["hits"]),
        "stance_on_hits_precision": share(hit_stance["correct"], hit_stance["decided"]),
        "provider_states": dict(states),
        "predicted_claim_stances": dict(labels),
        "seconds": round(elapsed, 1),
    }
    print(
        f"claims evaluated         {len(claims)} of part {args.part} ({evaluated} with SUPPORTS/REFUTES evidence)"
    )
    print(f"hit@5 (gold sentence)    {results['hit_at_5']:.3f}")
    print(f"gold article among sources {results['gold_article_found']:.3f} (what retrieval found at all)")
    print(
        f"claim stance agreement   {results['claim_stance_agreement']:.3f} "
        f"(unclear {results['claim_stance_unclear']:.3f}, when decided "
        f"{results['claim_stance_agreement_when_decided']:.3f}, majority {results['claim_stance_majority_baseline']:.3f})"
    )
    print(
        f"sentence stance agreement {results['sentence_stance_agreement']:.3f} "
        f"(unclear {results['sentence_stance_unclear']:.3f}, when decided "
        f"{results['sentence_stance_agreement_when_decided']:.3f})"
    )
    print(
        f"stance on hits           decided {results['stance_on_hits_decided']:.3f}, precision when decided "
        f"{results['stance_on_hits_precision']:.3f} ({hit_stance['decided']} of {hit_stance['hits']} hits decided)"
    )
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
