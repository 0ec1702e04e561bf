"""Saving and loading the ranking's sentence vectors between development runs (training, evaluation).

Encoding is the slow part of the evidence models' training and evaluation on a shared 2-core machine; a
vector depends only on the encoder and the text, so a later run may start from an earlier run's vectors
and get the same results. The file records the encoder's name and refuses another encoder's vectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save(path: Path) -> int:
    from encoder import get_encoder
    from evidence.ranking import export_sentence_vectors

    vectors = export_sentence_vectors()
    texts = list(vectors)
    matrix = np.vstack([vectors[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)
    from evidence.ranking import _imported_claims

    claims = list(_imported_claims)
    extra = (
        {
            "claim_texts": np.array(claims, dtype=object),
            "claim_vectors": np.vstack(list(_imported_claims.values())),
        }
        if claims
        else {}
    )
    np.savez(path, texts=np.array(texts, dtype=object), vectors=matrix, encoder=get_encoder().name, **extra)
    return len(texts)


def load(path: Path) -> int:
    from encoder import get_encoder
    from evidence.ranking import import_claim_vectors, import_sentence_vectors

    if not Path(path).exists():
        return 0
    data = np.load(path, allow_pickle=True)
    if str(data["encoder"]) != get_encoder().name:
        raise ValueError(f"{path} holds vectors of encoder {data['encoder']}, not {get_encoder().name}")
    import_sentence_vectors(dict(zip(data["texts"].tolist(), data["vectors"], strict=True)))
    if "claim_texts" in data.files:  # written by training.evidence_vectors: claims too
        import_claim_vectors(dict(zip(data["claim_texts"].tolist(), data["claim_vectors"], strict=True)))
    return len(data["texts"])
