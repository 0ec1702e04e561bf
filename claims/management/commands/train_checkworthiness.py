"""Retrain the check-worthiness model reproducibly and write the versioned artefact (needs scikit-learn)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from claims.pipeline.checkworthiness import MODEL_PATH, train

DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "checkworthiness"


class Command(BaseCommand):
    help = "Train the check-worthiness heads on the CheckThat! data and write claims/pipeline/model/*.json."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--data", default=str(DEFAULT_DATA), help="directory with the CheckThat! files")
        parser.add_argument("--out", default=str(MODEL_PATH))
        parser.add_argument("--seed", type=int, default=13)

    def handle(self, *args, data: str, out: str, seed: int, **options):
        report = train(Path(data), out_path=Path(out), seed=seed, log=self.stdout.write)
        self.stdout.write(json.dumps({"artefact": out, **report}))
