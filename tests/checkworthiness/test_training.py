"""Training writes an artefact the runtime scores exactly as the fitted scikit-learn model does."""

import json

import numpy as np

from checkworthiness.model import encode_sentences, feature_names, load_model
from checkworthiness.signals import detect_signals
from training import checkworthiness as training

FACTS = [
    "Unemployment fell to {n} percent in {year}, the statistics office said.",
    "The city spent ${n} million on roads in {year}.",
    "Exports to China rose by {n} percent between {year} and 2022.",
]
CHATTER = [
    "Thank you, {name}, it is great to be here tonight.",
    "I really think we should talk about what matters to {name}.",
    "Well, {name}, let me say that I love this country.",
]
NAMES = ["Bob", "Anna", "Jim", "Maria", "Tom", "Lisa"]


def write_tsv(path, rows):
    lines = ["Sentence_id\tText\tclass_label"]
    lines += [f"{i}\t{text}\t{'Yes' if label else 'No'}" for i, (text, label) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def labelled(offset):
    facts = [
        (template.format(n=3 + i + offset, year=2000 + i + offset), 1) for i in range(6) for template in FACTS
    ]
    chatter = [(template.format(name=name), 0) for name in NAMES for template in CHATTER]
    return facts[: 12 + offset] + chatter[: 12 + offset]


def test_runtime_margins_equal_the_fitted_models_and_every_row_is_used(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_tsv(data / "clef2024_en_train.tsv", labelled(4))
    write_tsv(data / "clef2024_en_dev.tsv", labelled(0))
    out = tmp_path / "model.json"
    report = training.train(data, out_path=out, seed=13, log=lambda _: None, checkthat_limit=0, c_value=1.0)
    # --checkthat-limit 0 trains on every train sentence (in the seeded shuffle's order)
    assert report["rows"] == {"checkthat_train": 32, "checkthat_dev": 24}
    assert json.loads(out.read_text(encoding="utf-8"))["metadata"]["rows"] == report["rows"]
    model = load_model(out)

    # the same fit, done here with scikit-learn, gives every training sentence the same margin
    rows = training.training_rows(data, [], seed=13)
    texts = [r.text for r in rows]
    vectors = encode_sentences(texts)
    x, _ = training.featurise(rows, vectors)
    fitted = training._classifier(1.0, 13).fit(x, [r.label for r in rows])
    names = [feature_names(detect_signals(t, "en"), t) for t in texts]
    assert np.allclose(model.margins(vectors, names), fitted.decision_function(x), atol=2e-3)
    assert np.ptp(fitted.decision_function(x)) > 1.0  # margins that differ, so the comparison means something
