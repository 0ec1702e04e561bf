"""Retrain the check-worthiness model reproducibly and write the versioned artefact (needs scikit-learn)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from checkworthiness.model import MODEL_PATH
from eval.labelled_articles import load_labelled_articles
from training.checkworthiness import CHECKTHAT_LIMIT, TWEET_LIMIT, train, training_sentences

DEV_DIR = Path(settings.BASE_DIR) / "eval" / "claims-dev"


class Command(BaseCommand):
    help = "Train the check-worthiness model (encoder vectors + signals) and write checkworthiness/artefacts/*.json."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--data",
            default=str(Path(settings.FACTCHECK_EVAL_DATA_DIR) / "checkworthiness"),
            help="directory with the CheckThat! files (default: under FACTCHECK_EVAL_DATA_DIR)",
        )
        parser.add_argument("--out", default=str(MODEL_PATH))
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument(
            "--cache-dir",
            default="",
            help="directory (outside the repository) caching the encoder vectors of training sentences",
        )
        parser.add_argument(
            "--checkthat-limit",
            type=int,
            default=CHECKTHAT_LIMIT,
            help="use the first N CheckThat! train sentences of a seeded shuffle (0: all)",
        )
        parser.add_argument(
            "--tweet-limit",
            type=int,
            default=TWEET_LIMIT,
            help="use the first N tweets of a seeded shuffle of each CLEF 2022 train set (0: all)",
        )
        parser.add_argument(
            "--dev-dir", default=str(DEV_DIR), help="labelled news articles; only the tuning part is used"
        )

    def handle(self, *args, data: str, out: str, seed: int, dev_dir: str, **options):
        dev = Path(dev_dir)
        split = json.loads((dev / "split.json").read_text(encoding="utf-8"))
        pages = Path(settings.FACTCHECK_EVAL_DATA_DIR) / split["pages_dir"]
        # Held-out articles are never read here: they are for measuring, not for fitting.
        news_rows = training_sentences(*load_labelled_articles(dev, pages, "tuning"))
        report = train(
            Path(data),
            out_path=Path(out),
            seed=seed,
            log=self.stdout.write,
            news_rows=news_rows,
            cache_dir=Path(options["cache_dir"]) if options["cache_dir"] else None,
            checkthat_limit=options["checkthat_limit"],
            tweet_limit=options["tweet_limit"],
        )
        self.stdout.write(json.dumps({"artefact": out, **report}))
