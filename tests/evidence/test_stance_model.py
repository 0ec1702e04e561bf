"""The trained stance model: decides only above its threshold, explains itself, and a published rating
still comes first."""

import numpy as np
import pytest

from evidence.ranking import encode_sentences
from evidence.stance import (
    CLASSES,
    SIGNALS,
    StanceModel,
    pair_features,
    passage_stance,
    rule_stance,
    signals,
    stance_hint,
    stance_model,
)


def _model(threshold: float, bias: tuple[float, float, float]) -> StanceModel:
    width = 4 * 384 + len(SIGNALS)  # u, v, |u−v|, u·v of the 384-dimensional encoder, then the signals
    spec = {"classes": list(CLASSES), "signals": list(SIGNALS), "coef": [[0.0] * width] * 3}
    return StanceModel({**spec, "intercept": list(bias), "threshold": threshold})


def test_the_committed_model_speaks_for_english_and_other_languages_keep_the_rules():
    model = stance_model()
    assert model is not None and model.covers("en") and not model.covers("de")
    assert 0.5 < model.threshold < 1.0
    claim = "Die Arbeitslosenquote in Deutschland lag 2023 bei 9,5 Prozent."
    passage = "Die Arbeitslosenquote in Deutschland lag 2023 bei 5,7 Prozent."
    assert passage_stance(claim, passage, language="de") == rule_stance(claim, passage, language="de")
    assert passage_stance(claim, passage, language="de")[0] == "refutes"
    stance, reason = passage_stance("Sea ice is growing.", "Cats sleep a lot.", language="en")
    assert stance == "unclear" and reason.startswith("model undecided")


def test_below_the_threshold_the_stance_is_unclear():
    leaning = _model(0.9, (1.0, 0.0, 0.0))  # supports at ~58%
    stance, reason = passage_stance(
        "Sea ice is shrinking.", "Arctic sea ice is shrinking.", language="en", model=leaning
    )
    assert stance == "unclear" and "undecided" in reason
    sure = _model(0.5, (1.0, 0.0, 0.0))
    stance, reason = passage_stance(
        "Sea ice is shrinking.", "Arctic sea ice is shrinking.", language="en", model=sure
    )
    assert stance == "supports" and "58%" in reason and "Arctic sea ice" in reason


def test_refutes_when_the_model_is_sure_it_refutes():
    model = _model(0.5, (0.0, 2.0, 0.0))
    assert (
        passage_stance("Sea ice is growing.", "Sea ice is shrinking.", language="en", model=model)[0]
        == "refutes"
    )


def test_the_most_confident_sentence_of_a_passage_speaks():
    model = _model(0.8, (0.0, 0.0, 0.0))
    model.coef[1, -len(SIGNALS) + SIGNALS.index("negation_differs")] = 5.0  # refutes when negation differs
    claim = "Vaccines cause autism."
    passage = "The weather was mild. Large studies found that vaccines do not cause autism."
    stance, reason = passage_stance(claim, passage, language="en", model=model)
    assert stance == "refutes"
    assert "vaccines do not cause autism" in reason and "negation differs" in reason
    assert "weather" not in reason


def test_signals_name_what_a_reviewer_can_check():
    row = signals(
        "Unemployment rises to 12 percent in 2020.",
        "Unemployment falls to 5.7 percent in 2019.",
        language="en",
    )
    named = dict(zip(SIGNALS, row, strict=True))
    assert named["figures_differ"] == 1.0 and named["dates_differ"] == 1.0 and named["antonym"] == 1.0
    same = dict(
        zip(SIGNALS, signals("It rose to 12 percent.", "It rose to 12 percent.", language="en"), strict=True)
    )
    assert same["figures_agree"] == 1.0 and same["figures_differ"] == 0.0 and same["antonym"] == 0.0


def test_pair_features_are_u_v_difference_and_product():
    u = np.array([1.0, 0.0])
    v = np.array([0.6, 0.8])
    row = pair_features(u, v, np.array([0.5]))
    assert row.tolist() == pytest.approx([1.0, 0.0, 0.6, 0.8, 0.4, 0.8, 0.6, 0.0, 0.5])


def test_a_published_rating_decides_before_the_model():
    assert (
        stance_hint("Sea ice is growing.", ["Sea ice is growing fast."], language="en", rating="False")[0]
        == "refutes"
    )


def test_an_unrelated_passage_is_unclear():
    assert (
        passage_stance("The Eiffel Tower is 330 metres tall.", "Cats sleep a lot.", language="en")[0]
        == "unclear"
    )


def test_given_what_the_ranking_read_the_model_reads_only_those_sentences():
    model = _model(0.8, (0.0, 0.0, 0.0))
    model.coef[1, -len(SIGNALS) + SIGNALS.index("negation_differs")] = 5.0  # refutes when negation differs
    claim = "Vaccines cause autism."
    weather, studies = "The weather was mild.", "Large studies found that vaccines do not cause autism."
    passage = f"{weather} {studies}"
    every = encode_sentences([weather, studies])
    assert passage_stance(claim, passage, language="en", model=model, read=every) == passage_stance(
        claim, passage, language="en", model=model
    )
    # the ranking read only the first sentence: the deciding one is not looked at
    stance, _ = passage_stance(claim, passage, language="en", model=model, read={weather: every[weather]})
    assert stance == "unclear"
    stance, reason = passage_stance(claim, passage, language="en", model=model, read={})
    assert stance == "unclear" and "read none" in reason
