"""Score a CheckThat!-format TSV and print precision / recall / F1 of the positive class."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from training.checkworthiness import evaluate_rows, read_checkthat_tsv, read_ct22_zip


class Command(BaseCommand):
    help = (
        "Evaluate the check-worthiness model on a CheckThat! 2024 TSV (Sentence_id, Text, class_label Yes/No) "
        "or a split of a CheckThat! 2022 Task 1A zip (--split)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--lang", default="en", help="language the sentences are scored as (default en)")
        parser.add_argument(
            "--split", default="dev_test", help="split of a CheckThat! 2022 zip (default dev_test)"
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="default: the model's CheckThat! threshold (out-of-fold, train + dev)",
        )

    def handle(self, *args, path: str, lang: str, threshold, **options):
        if not Path(path).exists():
            raise CommandError(f"No such file: {path}.")
        if path.endswith(".zip"):
            rows = read_ct22_zip(Path(path), options["split"])
        else:
            rows = read_checkthat_tsv(Path(path))
        if not rows:
            raise CommandError("The file has no rows labelled Yes or No.")
        result = evaluate_rows(rows, language=lang, threshold=threshold)
        self.stdout.write(f"{'precision':>10} {'recall':>8} {'f1':>8} {'n':>6}")
        self.stdout.write(
            f"{result['precision']:>10.4f} {result['recall']:>8.4f} {result['f1']:>8.4f} {result['n']:>6}"
        )
        self.stdout.write(json.dumps(result))
