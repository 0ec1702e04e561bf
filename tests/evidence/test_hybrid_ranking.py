"""The two-stage ranking: lexical over every passage, the encoder over the lexical top K only, and the
learned combination (or reciprocal rank fusion) deciding the order of those K."""

import numpy as np
import pytest

from evidence import ranking
from evidence.ranking import (
    FEATURES,
    RankingModel,
    analyse_document,
    budgeted_sentences,
    lexical_candidates,
    score_analysed,
    semantic_features,
)
from evidence.stance import stance_hint

CLAIM = "Arctic sea ice is shrinking because the climate is warming."
DOCS = [
    "Arctic sea ice extent has declined in every decade since satellite records began in 1979. "
    "The loss is driven by rising air and ocean temperatures.",
    "The Arctic fox lives in the tundra. Its fur turns white in winter. Foxes eat lemmings and birds.",
    "Ice cream sales rise in warm weather. Shrinking margins worry sellers. The climate of the market is hard.",
    "Glaciers in the Alps are retreating. " * 3 + "Sea levels rise as land ice melts into the ocean.",
]


@pytest.fixture
def fresh_sentence_cache(monkeypatch):
    cache = ranking._VectorCache(ranking.SENTENCE_CACHE)
    monkeypatch.setattr(ranking, "_sentence_vectors", cache)
    return cache


def test_k_zero_keeps_the_lexical_order_and_never_encodes(fresh_sentence_cache):
    docs = [analyse_document(d, language="en") for d in DOCS]
    scores = score_analysed(CLAIM, docs, language="en", rerank_k=0)
    pool = lexical_candidates(CLAIM, docs, language="en")
    for doc_score in scores:
        for p in doc_score.passages:
            match = next(c for c in pool if c.analysed.passage.text == p.text)
            assert p.score == round(match.lexical, 4)
    assert len(fresh_sentence_cache._data) == 0


def test_the_encoder_reads_only_the_sentences_of_the_lexical_top_k(fresh_sentence_cache):
    docs = [analyse_document(d, language="en") for d in DOCS]
    pool = lexical_candidates(CLAIM, docs, language="en")
    assert len(pool) > 3
    order, rows, _ = semantic_features(CLAIM, pool, rerank_k=3)
    assert len(order) == 3 and rows.shape == (3, len(FEATURES))
    lexical_top = sorted(range(len(pool)), key=lambda i: -pool[i].lexical)[:3]
    assert order == lexical_top
    allowed = {s for i in order for s in pool[i].analysed.passage.sentences}
    assert set(fresh_sentence_cache._data) <= allowed
    assert set(fresh_sentence_cache._data)  # and it did read them
    # cosines are of unit vectors; ranks are 1/(1+rank) with one first place each
    cos = rows[:, FEATURES.index("cos_max")]
    assert np.all(cos <= 1.0001) and np.all(cos >= -1.0001)
    assert sorted(rows[:, FEATURES.index("lexical_rank")]) == [1 / 3, 1 / 2, 1.0]
    assert rows[:, FEATURES.index("cos_gap")].max() == 0.0


def test_passages_outside_the_top_k_rank_below_every_reranked_one():
    docs = [analyse_document(d, language="en") for d in DOCS]
    pool = lexical_candidates(CLAIM, docs, language="en")
    order, *_ = semantic_features(CLAIM, pool, rerank_k=2)
    kept = {pool[i].analysed.passage.text for i in order}
    rrf = RankingModel({"kind": "rrf", "k": 60})
    scores = score_analysed(CLAIM, docs, language="en", rerank_k=2, max_passages=10, model=rrf)
    passages = [p for s in scores for p in s.passages]
    inside = [p.score for p in passages if p.text in kept]
    outside = [p.score for p in passages if p.text not in kept]
    assert inside and outside
    assert min(inside) > max(outside)


def test_rrf_puts_first_what_both_rankings_put_first():
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("lexical_rank")] = [1.0, 1 / 2, 1 / 3]
    rows[:, FEATURES.index("cosine_rank")] = [1.0, 1 / 3, 1 / 2]
    scores = RankingModel({"kind": "rrf", "k": 60}).score(rows)
    assert scores[0] == pytest.approx(1.0)
    assert scores[0] > scores[1] and scores[0] > scores[2]
    assert scores[1] == pytest.approx(scores[2])


def test_a_learned_combination_weighs_the_standardised_features():
    spec = {
        "kind": "logistic",
        "features": list(FEATURES),
        "mean": [0.0] * len(FEATURES),
        "scale": [1.0] * len(FEATURES),
        "coef": [2.0 if name == "cos_max" else 0.0 for name in FEATURES],
        "intercept": -1.0,
    }
    model = RankingModel(spec)
    rows = np.zeros((2, len(FEATURES)))
    rows[1, FEATURES.index("cos_max")] = 1.0  # same passage, but the encoder finds it closer to the claim
    worse, better = model.score(rows)
    assert 0 < worse < better < 1
    assert worse == pytest.approx(1 / (1 + np.e))
    with pytest.raises(ValueError):
        RankingModel({**spec, "features": list(FEATURES[:-1])})


def test_a_sentence_budget_bounds_what_the_encoder_reads(fresh_sentence_cache):
    docs = [analyse_document(d, language="en") for d in DOCS]
    pool = lexical_candidates(CLAIM, docs, language="en")
    order = sorted(range(len(pool)), key=lambda i: -pool[i].lexical)
    top = [pool[i] for i in order]
    every = budgeted_sentences(CLAIM, top, 0)
    assert every == list(dict.fromkeys(s for c in top for s in c.analysed.passage.sentences))
    budget = 150
    assert sum(len(s) for s in every) > budget  # the budget binds on this pool
    chosen = budgeted_sentences(CLAIM, top, budget)
    assert chosen and sum(len(s) for s in chosen) <= budget
    assert [s for s in every if s in chosen] == chosen  # kept in pool order
    # the sentence sharing the most claim terms is read; one sharing none is not
    assert any(s.startswith("Arctic sea ice extent has declined") for s in chosen)
    assert not any(s.startswith("Foxes eat lemmings") for s in chosen)
    # a budget smaller than any sentence still reads one
    assert len(budgeted_sentences(CLAIM, top, 1)) == 1

    order_k, rows, _ = semantic_features(CLAIM, pool, rerank_k=len(pool), sentence_budget=budget)
    assert order_k == order
    assert set(fresh_sentence_cache._data) == set(chosen)
    read = [any(s in chosen for s in c.analysed.passage.sentences) for c in top]
    assert any(read) and not all(read)
    cos_max = rows[:, FEATURES.index("cos_max")]
    cos_mean = rows[:, FEATURES.index("cos_mean")]
    unread = cos_max[[not r for r in read]]
    # a passage none of whose sentences was read gets the lowest cosine of the claim's passages
    assert np.all(unread == cos_mean[read].min())
    assert np.all(cos_max[read] >= unread.max())


def test_the_models_sentence_budget_reaches_the_encoder(fresh_sentence_cache):
    docs = [analyse_document(d, language="en") for d in DOCS]
    pool = lexical_candidates(CLAIM, docs, language="en")
    rrf = RankingModel({"kind": "rrf", "k": 60, "sentence_budget": 150})
    assert rrf.sentence_budget == 150 and RankingModel({"kind": "rrf"}).sentence_budget == 0
    score_analysed(CLAIM, docs, language="en", rerank_k=len(pool), model=rrf)
    top = sorted(pool, key=lambda c: -c.lexical)
    assert set(fresh_sentence_cache._data) == set(budgeted_sentences(CLAIM, top, 150))


def test_the_stance_encodes_nothing_beyond_what_the_ranking_read(fresh_sentence_cache):
    docs = [analyse_document(d, language="en") for d in DOCS]
    model = RankingModel({"kind": "rrf", "k": 60, "sentence_budget": 150})
    scores = score_analysed(CLAIM, docs, language="en", rerank_k=2, max_passages=10, model=model)
    read = set(fresh_sentence_cache._data)
    passages = [p for s in scores for p in s.passages]
    assert read and all(p.vectors is not None for p in passages)
    assert any(p.vectors for p in passages) and any(p.vectors == {} for p in passages)
    for p in passages:
        assert p.vectors is not None and set(p.vectors) <= read
        assert all(s in p.text for s in p.vectors)
    for s in scores:
        stance_hint(
            CLAIM,
            [p.text for p in s.passages],
            language="en",
            terms=[p.terms for p in s.passages],
            read=[p.vectors for p in s.passages],
        )
    assert set(fresh_sentence_cache._data) == read
    # without a semantic stage the passages carry no vectors, and the stance model reads every sentence
    lexical = score_analysed(CLAIM, docs, language="en", rerank_k=0)
    assert all(p.vectors is None for s in lexical for p in s.passages)
