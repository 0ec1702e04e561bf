import json

from checkworthiness import model as checkworthiness
from checkworthiness.model import MODEL_PATH, get_model, head_for
from training.checkworthiness import evaluate_rows


def test_artefact_is_small_versioned_and_documents_its_data():
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert MODEL_PATH.stat().st_size < 5_000_000
    assert data["version"] == MODEL_PATH.stem
    assert "clef2024_en_train.tsv" in data["metadata"]["data"]["weights"]
    assert set(data["heads"]) == {"lexical", "signals", "universal"}


def test_model_loads_once_per_process():
    model = get_model()
    loads = checkworthiness.LOAD_COUNT
    for _ in range(3):
        assert get_model() is model
    assert checkworthiness.LOAD_COUNT == loads <= 1


def test_scores_are_probabilities_and_rank_factual_above_chatter():
    model = get_model()
    factual = model.score("Unemployment fell to 3.5 percent in 2019, the lowest rate in 50 years.", "en")
    chatter = model.score("Thank you very much, it is great to be here tonight.", "en")
    assert 0.0 <= chatter < factual <= 1.0


def test_each_language_has_its_head():
    assert (head_for("en"), head_for("de"), head_for("fr"), head_for("it"), head_for("")) == (
        "lexical",
        "signals",
        "signals",
        "universal",
        "universal",
    )
    model = get_model()
    german = model.score("Laut Statistischem Bundesamt stieg die Inflation 2019 um 2,5 Prozent.", "de")
    opinion = model.score("Ich finde das wirklich schön.", "de")
    assert german > opinion


def test_evaluation_reports_positive_class_figures():
    rows = [("The deficit rose by $3 billion in 2019.", 1), ("Thank you all.", 0)]
    result = evaluate_rows(rows, language="en")
    assert set(result) >= {"precision", "recall", "f1", "n"} and result["n"] == 2


def test_artefact_records_the_news_sentences_and_never_the_held_out_data():
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert "eval/claims-dev tuning articles" in data["metadata"]["data"]["weights"]
    assert "held-out" in data["metadata"]["data"]["never_used_for_training"]
    assert "devtest" in data["metadata"]["data"]["never_used_for_training"]
