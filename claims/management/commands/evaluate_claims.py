"""Evaluate claim extraction on the labelled development articles (eval/claims-dev)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eval.labelled_articles import LabelsOutOfDate, evaluate_labelled_articles, load_labelled_articles

DEV_DIR = Path(settings.BASE_DIR) / "eval" / "claims-dev"


class Command(BaseCommand):
    help = "Per-language recall of core claims and precision (core+acceptable share), tuning vs held-out."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--dev-dir", default=str(DEV_DIR))
        parser.add_argument(
            "--pages-dir", default="", help="default: pages_dir of split.json under FACTCHECK_EVAL_DATA_DIR"
        )
        parser.add_argument("--threshold", type=float, default=None)

    def handle(self, *args, dev_dir: str, pages_dir: str, threshold, **options):
        dev = Path(dev_dir)
        split = json.loads((dev / "split.json").read_text(encoding="utf-8"))
        pages = Path(pages_dir) if pages_dir else Path(settings.FACTCHECK_EVAL_DATA_DIR) / split["pages_dir"]
        if threshold is None:
            threshold = settings.FACTCHECK_CHECKWORTHINESS_THRESHOLD
        results = {"threshold": threshold}
        for part in ("tuning", "held_out"):
            try:
                labelled, texts = load_labelled_articles(dev, pages, part)
            except LabelsOutOfDate as exc:
                raise CommandError(str(exc)) from exc
            results[part] = evaluate_labelled_articles(labelled, texts, threshold=threshold)
            self.stdout.write(f"{part} (threshold {threshold})")
            self.stdout.write(
                f"  {'lang':<5}{'pages':>6}{'core':>6}{'claims':>8}{'recall_core':>13}{'precision':>11}"
            )
            for language, r in results[part].items():
                self.stdout.write(
                    f"  {language:<5}{r['pages']:>6}{r['core_sentences']:>6}{r['extracted']:>8}"
                    f"{r['recall_core']:>13.3f}{r['precision']:>11.3f}"
                )
        self.stdout.write(json.dumps(results))
