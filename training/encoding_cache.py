"""Encoder vectors of training sentences, cached on disk outside the repository (development only).

Encoding ~30k sentences takes minutes on a small machine; training runs read the cache when it holds a text
and encode only what is missing. Keyed by (encoder name, kind, text), so a cache never serves vectors of
another model or prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from encoder import get_encoder

BATCH = 64
SAVE_EVERY = 10  # batches between saves of the shard: a stopped run loses at most this much work


def _key(name: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{name}\x00{kind}\x00{text}".encode()).hexdigest()


def encode_cached(
    texts: Sequence[str],
    *,
    kind: str,
    cache_dir: Path | None,
    log: Callable[[str], object] = print,
) -> np.ndarray:
    """(len(texts), dim) unit vectors; vectors already in `cache_dir` are read, the others encoded and added."""
    encoder = get_encoder()
    keys = [_key(encoder.name, kind, t) for t in texts]
    store: dict[str, np.ndarray] = {}
    shard = (
        cache_dir / f"{hashlib.sha256(f'{encoder.name}{kind}'.encode()).hexdigest()[:12]}.npz"
        if cache_dir
        else None
    )
    if shard is not None and shard.exists():
        with np.load(shard) as data:
            store = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    # in the caller's order (first occurrence), so a caller can put what it needs first and stop early
    missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in store}.items())
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        vectors = encoder.encode([t for _, t in chunk], kind=kind)  # type: ignore[arg-type]
        store.update({k: v for (k, _), v in zip(chunk, vectors, strict=True)})
        if (start // BATCH) % 20 == 0:
            log(f"encoded {start + len(chunk)}/{len(missing)} ({kind})")
        if shard is not None and (
            (start // BATCH) % SAVE_EVERY == SAVE_EVERY - 1 or start + BATCH >= len(missing)
        ):
            _save(shard, store)
    return (
        np.stack([store[k] for k in keys]).astype(np.float32)
        if keys
        else np.zeros((0, encoder.dim), np.float32)
    )


def _save(shard: Path, store: dict[str, np.ndarray]) -> None:
    shard.parent.mkdir(parents=True, exist_ok=True)
    tmp = shard.with_suffix(".tmp.npz")
    np.savez(tmp, keys=np.array(list(store)), vectors=np.stack(list(store.values())))
    tmp.replace(shard)
