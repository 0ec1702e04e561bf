"""Training and evaluation of the check-worthiness model (development only: needs scikit-learn).

`train()` fits the heads that checkworthiness/model.py scores with; `evaluate_rows()` measures a model on
labelled sentences. The `train_checkworthiness` and `evaluate_checkworthiness` commands call these.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

from checkworthiness.claimfinder import exclusion_reason
from checkworthiness.model import MODEL_PATH, MODEL_VERSION, features_for, get_model, sigmoid
from checkworthiness.signals import detect_signals
from extraction.segmentation import split_sentences


def read_checkthat_tsv(path: Path) -> list[tuple[str, int]]:
    """Read a CheckThat! 2024 TSV (Sentence_id, Text, class_label Yes/No) into (text, label) pairs."""
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            label = (row.get("class_label") or "").strip()
            if label in ("Yes", "No"):
                rows.append((row["Text"], 1 if label == "Yes" else 0))
    return rows


def read_ct22_zip(path: Path, split: str) -> list[tuple[str, int]]:
    """Read one split (train/dev/dev_test) of a CheckThat! 2022 Task 1A tweets zip."""
    rows = []
    with zipfile.ZipFile(path) as archive:
        name = next(
            n for n in archive.namelist() if n.endswith(f"_{split}.tsv") and not n.startswith("__MACOSX")
        )
        text = archive.read(name).decode("utf-8")
    for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
        label = (row.get("class_label") or "").strip()
        if label in ("0", "1"):
            rows.append((row["tweet_text"], int(label)))
    return rows


def _best_f1_threshold(probabilities, labels) -> tuple[float, float]:
    best = (0.0, 0.5)
    for threshold in [i / 100 for i in range(5, 96)]:
        tp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= threshold and y)
        fp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= threshold and not y)
        fn = sum(1 for p, y in zip(probabilities, labels, strict=True) if p < threshold and y)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0]:
            best = (f1, threshold)
    return best


# How much one labelled news sentence counts against one CheckThat! sentence in the signals head (chosen
# by leave-one-article-out cross-validation on the tuning articles; see docs/quality.md).
NEWS_WEIGHT = 10.0
LEXICAL_FOLDS = 5


def _stratified_folds(labels: list[int], folds: int, seed: int) -> list[int]:
    """Assign every row to a fold, keeping the class balance; deterministic for a seed."""
    import random

    rng = random.Random(seed)
    assignment = [0] * len(labels)
    for value in (0, 1):
        rows = [i for i, y in enumerate(labels) if y == value]
        rng.shuffle(rows)
        for position, row in enumerate(rows):
            assignment[row] = position % folds
    return assignment


def train(
    data_dir: Path,
    *,
    out_path: Path = MODEL_PATH,
    seed: int = 13,
    log=print,
    news_rows: list[tuple[str, int, str, float, str]] | None = None,
) -> dict[str, Any]:
    """Train all heads reproducibly (fixed seed, deterministic solver) and write the JSON artefact.

    Lexical head: weights from CheckThat! 2024 English train+dev; Platt calibration and the CheckThat!
    threshold from out-of-fold scores of the dev rows (5-fold cross-validation over train+dev, so dev is
    never scored by a model that saw it). Signals and universal heads: weights from English train (plus, for
    the signals head, the labelled tuning news sentences `news_rows` = (text, label, language, weight, page),
    and for the universal head Dutch and Spanish CheckThat! 2022 tweets), calibration from English dev.
    The devtest split is never touched here.
    """
    # scikit-learn is a development dependency: import it here so the runtime never needs it.
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    english_train = read_checkthat_tsv(data_dir / "clef2024_en_train.tsv")
    english_dev = read_checkthat_tsv(data_dir / "clef2024_en_dev.tsv")
    tweets = []
    for name, language in (
        ("CT22_dutch_1A_checkworthy.zip", "nl"),
        ("CT22_spanish_1A_checkworthy.zip", "es"),
    ):
        if (data_dir / name).exists():
            tweets += [(t, y, language) for t, y in read_ct22_zip(data_dir / name, "train")]
    log(f"english train={len(english_train)} dev={len(english_dev)} tweets(nl+es)={len(tweets)}")

    def matrix(rows, head, vocabulary=None, min_df=1):
        feature_lists = [features_for(text, language, head) for text, _, language in rows]
        if vocabulary is None:
            counts: dict[str, int] = {}
            for feats in feature_lists:
                for f in set(feats):
                    counts[f] = counts.get(f, 0) + 1
            vocabulary = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= min_df))}
        data, indices, indptr = [], [], [0]
        for feats in feature_lists:
            unique = set(feats)
            scale = 1.0 / math.sqrt(len(unique)) if unique else 0.0
            cols = sorted(vocabulary[f] for f in unique if f in vocabulary)
            indices += cols
            data += [scale] * len(cols)
            indptr.append(len(indices))
        shape = (len(rows), len(vocabulary))
        return csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=shape), vocabulary

    news_rows = news_rows or []
    english = [(t, y, "en") for t, y in english_train]
    news = [(t, y, language) for t, y, language, _, _ in news_rows]
    configs = {
        "lexical": (english + [(t, y, "en") for t, y in english_dev], 2, 4.0, None),
        "signals": (
            english + news,
            1,
            1.0,
            [1.0] * len(english) + [NEWS_WEIGHT * w for *_, w, _ in news_rows],
        ),
        "universal": (english + tweets, 1, 1.0, None),
    }
    dev_rows = [(t, y, "en") for t, y in english_dev]
    y_dev = np.array([y for _, y, _ in dev_rows])
    heads: dict[str, Any] = {}
    report: dict[str, Any] = {}

    def fit(x, y, c_value, weights=None):
        classifier = LogisticRegression(C=c_value, class_weight="balanced", max_iter=3000, random_state=seed)
        return classifier.fit(x, y, sample_weight=None if weights is None else np.array(weights))

    for head, (rows, min_df, c_value, weights) in configs.items():
        x_train, vocabulary = matrix(rows, head, min_df=min_df)
        y_train = np.array([y for _, y, _ in rows])
        classifier = fit(x_train, y_train, c_value, weights)
        if head == "lexical":
            # Dev is part of the training data: score each dev row with the fold model that did not see it.
            folds = _stratified_folds(list(y_train), LEXICAL_FOLDS, seed)
            margins = np.zeros(len(rows))
            for fold in range(LEXICAL_FOLDS):
                inside = np.array([f != fold for f in folds])
                fold_x, fold_vocabulary = matrix(
                    [r for r, m in zip(rows, inside, strict=True) if m], head, min_df=2
                )
                fold_model = fit(fold_x, y_train[inside], c_value)
                held_x, _ = matrix(
                    [r for r, m in zip(rows, inside, strict=True) if not m], head, fold_vocabulary
                )
                margins[~inside] = fold_model.decision_function(held_x)
            margins = margins[len(english) :]
        else:
            x_dev, _ = matrix(dev_rows, head, vocabulary)
            margins = classifier.decision_function(x_dev)
        platt = LogisticRegression(C=1e4, max_iter=1000, random_state=seed)
        platt.fit(margins.reshape(-1, 1), y_dev)
        a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
        probabilities = [sigmoid(a * m + b) for m in margins]
        f1, threshold = _best_f1_threshold(probabilities, list(y_dev))
        names = sorted(vocabulary, key=vocabulary.get)
        weights = {
            name: round(float(w), 4)
            for name, w in zip(names, classifier.coef_[0], strict=True)
            if abs(w) >= 0.01
        }
        heads[head] = {
            "intercept": round(float(classifier.intercept_[0]), 6),
            "weights": weights,
            "calibration": [round(a, 6), round(b, 6)],
            "dev_f1": round(f1, 4),
            "dev_threshold": threshold,
            "features": len(weights),
        }
        report[head] = {"dev_f1": round(f1, 4), "threshold": threshold, "features": len(weights)}
        log(f"{head}: features={len(weights)} dev F1={f1:.4f} at threshold {threshold}")
        if head == "signals" and news_rows:
            report["signals_news_cv"] = _news_cross_validation(
                rows[: len(english)], news_rows, matrix, fit, (a, b), log
            )
    artefact = {
        "version": MODEL_VERSION,
        "checkthat_threshold": heads["lexical"]["dev_threshold"],
        "metadata": {
            "trained_with": "python manage.py train_checkworthiness (scikit-learn LogisticRegression, "
            f"lbfgs, class_weight=balanced, seed={seed})",
            "data": {
                "weights": "CLEF-2024 CheckThat! Task 1 English train (clef2024_en_train.tsv), plus its dev "
                "split for the lexical head; CLEF-2022 CheckThat! Task 1A Dutch and Spanish tweets, train "
                "splits (universal head only); eval/claims-dev tuning articles, "
                f"{len(news_rows)} sentences weighted {NEWS_WEIGHT} (signals head only)",
                "calibration_and_threshold": "clef2024_en_dev.tsv (lexical head: out-of-fold scores of a "
                f"{LEXICAL_FOLDS}-fold cross-validation over train+dev)",
                "never_used_for_training": "clef2024_en_devtest.tsv; eval/claims-dev held-out articles",
            },
            "heads": {"lexical": "en", "signals": "de, fr", "universal": "other languages"},
        },
        "heads": heads,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(artefact, ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
    return report


def _news_cross_validation(english_rows, news_rows, matrix, fit, calibration, log) -> dict[str, Any]:
    """Leave one tuning article out: fit the signals head without it, score its sentences, report per language.

    Sentences here are the ones the exclusion rules let through, so figures approximate evaluate_claims.
    """
    import numpy as np

    from_default = 0.15  # the default article threshold; the report says how it fares
    a, b = calibration
    pages = sorted({page for *_, page in news_rows})
    probabilities = [0.0] * len(news_rows)
    for page in pages:
        inside = [row for row in news_rows if row[4] != page]
        rows = english_rows + [(t, y, language) for t, y, language, _, _ in inside]
        weights = [1.0] * len(english_rows) + [NEWS_WEIGHT * w for *_, w, _ in inside]
        x, vocabulary = matrix(rows, "signals")
        model = fit(x, np.array([y for _, y, _ in rows]), 1.0, weights)
        held = [i for i, row in enumerate(news_rows) if row[4] == page]
        x_held, _ = matrix([(news_rows[i][0], 0, news_rows[i][2]) for i in held], "signals", vocabulary)
        for i, margin in zip(held, model.decision_function(x_held), strict=True):
            probabilities[i] = sigmoid(a * margin + b)
    report: dict[str, Any] = {}
    for language in sorted({row[2] for row in news_rows}):
        idx = [i for i, row in enumerate(news_rows) if row[2] == language]
        core = [i for i in idx if news_rows[i][1] == 1 and news_rows[i][3] == 1.0]
        kept = [i for i in idx if probabilities[i] >= from_default]
        recall = sum(1 for i in core if probabilities[i] >= from_default) / len(core) if core else 0.0
        precision = sum(1 for i in kept if news_rows[i][1] == 1) / len(kept) if kept else 0.0
        report[language] = {
            "sentences": len(idx),
            "recall_core": round(recall, 3),
            "precision": round(precision, 3),
        }
    log(f"signals head, leave-one-article-out on tuning news at {from_default}: {json.dumps(report)}")
    return report


def evaluate_rows(
    rows: list[tuple[str, int]], *, language: str = "en", threshold: float | None = None
) -> dict:
    """Score labelled sentences and return precision, recall and F1 of the positive class."""
    model = get_model()
    if threshold is None:
        threshold = model.checkthat_threshold
    tp = fp = fn = 0
    for text, label in rows:
        predicted = model.score(text, language) >= threshold
        tp += predicted and label
        fp += predicted and not label
        fn += (not predicted) and label
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "n": len(rows),
        "threshold": threshold,
        "language": language,
        "model": model.version,
    }


def training_sentences(
    labelled: dict[str, list[dict[str, Any]]], texts: dict[str, tuple[str, str, str]]
) -> list[tuple[str, int, str, float, str]]:
    """Turn labelled articles into (text, label, language, weight, page) rows for the signals head.

    Only sentences the exclusion rules let through are used (the model never scores the others); core and
    not_claim count fully, acceptable counts as positive with half weight.
    """
    rows: list[tuple[str, int, str, float, str]] = []
    for page, labels in labelled.items():
        text, language, title = texts[page]
        for sentence in split_sentences(text, language=language):
            best = max(labels, key=lambda r: min(r["end"], sentence.end) - max(r["start"], sentence.start))
            if exclusion_reason(sentence, detect_signals(sentence.text, language), title=title):
                continue
            label = best["label"]
            rows.append(
                (
                    sentence.text,
                    0 if label == "not_claim" else 1,
                    language,
                    0.5 if label == "acceptable" else 1.0,
                    page,
                )
            )
    return rows
