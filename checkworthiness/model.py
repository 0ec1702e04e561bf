"""Check-worthiness scoring: interpretable signals + a small logistic model exported from scikit-learn.

The runtime reads a versioned JSON artefact (checkworthiness/artefacts/) and scores with plain Python, so
scikit-learn is needed only by training (training/checkworthiness.py, the `train_checkworthiness` command). The model is loaded once per
process. Plain Python, no Django import.

Three heads share one feature extractor:
- "lexical": word uni/bigrams + signals, for English (the labelled data is English);
- "signals": the signals only, with per-language lexicons, for German and French; its weights also learn
  from the labelled tuning news articles (eval/claims-dev), since no German/French check-worthiness data exists;
- "universal": language-independent signals only (numbers, dates, acronyms, ...), for other languages.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkworthiness.signals import detect_signals, signal_features

MODEL_VERSION = "checkworthiness-v2"
MODEL_PATH = Path(__file__).resolve().parent / "artefacts" / f"{MODEL_VERSION}.json"

UNIVERSAL_SIGNALS = ("number", "percent", "money", "quantity", "date", "quote", "question", "short", "long")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_DIGITS = re.compile(r"\d")

_model: Model | None = None
_model_lock = threading.Lock()
LOAD_COUNT = 0  # how many times the artefact was read in this process (tests pin it to 1)


def lexical_features(text: str) -> list[str]:
    """Lowercased word unigrams and bigrams; digits collapse to 0 so that amounts generalise."""
    tokens = [_DIGITS.sub("0", t.lower()) for t in _TOKEN.findall(text)]
    features = [f"w:{t}" for t in tokens]
    features += [f"b:{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    return features


def features_for(
    text: str, language: str, head: str, signals: dict[str, list[str]] | None = None
) -> list[str]:
    """Return the active (binary) features of a sentence for one head."""
    if signals is None:
        signals = detect_signals(text, language)
    names = list(signal_features(signals, text))
    if head == "universal":
        names = [n for n in names if n[2:].split("_many")[0] in UNIVERSAL_SIGNALS or n == "s:no_anchor"]
    if head == "lexical":
        names += lexical_features(text)
    return names


def head_for(language: str) -> str:
    if language == "en":
        return "lexical"
    if language in ("de", "fr"):
        return "signals"
    return "universal"


@dataclass
class Head:
    intercept: float
    weights: dict[str, float]
    calibration: tuple[float, float]  # Platt scaling: p = sigmoid(a * margin + b)

    def margin(self, features: list[str]) -> float:
        unique = set(features)
        if not unique:
            return self.intercept
        scale = 1.0 / math.sqrt(len(unique))
        return self.intercept + scale * sum(self.weights.get(f, 0.0) for f in unique)

    def probability(self, features: list[str]) -> float:
        a, b = self.calibration
        return sigmoid(a * self.margin(features) + b)


@dataclass
class Model:
    version: str
    heads: dict[str, Head]
    checkthat_threshold: float
    metadata: dict[str, Any]

    def score(self, text: str, language: str, signals: dict[str, list[str]] | None = None) -> float:
        head = head_for(language)
        return self.heads[head].probability(features_for(text, language, head, signals))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def load_model(path: Path = MODEL_PATH) -> Model:
    """Read an artefact from disk (use get_model() in application code)."""
    global LOAD_COUNT
    LOAD_COUNT += 1
    data = json.loads(path.read_text(encoding="utf-8"))
    heads = {
        name: Head(intercept=h["intercept"], weights=h["weights"], calibration=tuple(h["calibration"]))
        for name, h in data["heads"].items()
    }
    return Model(
        version=data["version"],
        heads=heads,
        checkthat_threshold=data["checkthat_threshold"],
        metadata=data.get("metadata", {}),
    )


def get_model() -> Model:
    """Return the process-wide model, loading the artefact on first use (thread-safe)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = load_model()
    return _model
