"""The labelled development articles (eval/claims-dev) must keep lining up with the current extraction:
`manage.py evaluate_claims` and `train_checkworthiness` refuse to run when they do not, and a change to
main-text extraction once broke them without any test noticing. Every sentence of each extracted text
must carry exactly one label (docs/labelling-guide.md)."""

import json
from pathlib import Path

import pytest

from eval.labelled_articles import load_labelled_articles
from extraction.segmentation import split_sentences
from tests.support.evaldata import DATA_DIR

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "eval" / "claims-dev"
SPLIT = json.loads((DEV / "split.json").read_text(encoding="utf-8"))
PAGES = DATA_DIR / SPLIT["pages_dir"]  # the pages under FACTCHECK_EVAL_DATA_DIR


@pytest.mark.usefixtures("eval_data")
@pytest.mark.parametrize("part", ["tuning", "held_out"])
def test_every_sentence_of_the_labelled_articles_has_one_label_that_lines_up(part):
    labelled, texts = load_labelled_articles(DEV, PAGES, part)  # raises LabelsOutOfDate when text moved
    assert len(labelled) == len(SPLIT[part])
    for page, rows in labelled.items():
        text, language, _ = texts[page]
        segment_language = language if language in ("de", "en", "fr") else "en"
        sentences = split_sentences(text, language=segment_language)
        unlabelled = [
            s.text
            for s in sentences
            if not any(min(s.end, r["end"]) > max(s.start, r["start"]) for r in rows)
        ]
        assert not unlabelled, f"{page}: sentences without a label: {unlabelled}"
        assert {r["label"] for r in rows} <= {"core", "acceptable", "not_claim"}
        assert [r["i"] for r in rows] == list(range(len(rows)))
