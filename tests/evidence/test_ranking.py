from evidence.passages import split_passages, split_sentences
from evidence.ranking import score_documents, sort_key, weighted_relevance
from evidence.stance import rating_stance, rule_stance, stance_hint
from textkit.terms import text_terms

CLAIM = "The Eiffel Tower was completed in 1889 and is 330 metres tall."


def test_sentences_survive_abbreviations_and_paragraphs():
    text = "Dr. Smith visited the U.S. in May. He stayed two weeks.\n\nA new paragraph starts here"
    assert split_sentences(text) == [
        "Dr. Smith visited the U.S. in May.",
        "He stayed two weeks.",
        "A new paragraph starts here",
    ]


def test_passages_are_a_few_sentences_and_at_most_800_chars():
    text = " ".join(f"Sentence number {i} talks about the tower and other things." for i in range(50))
    text += " " + "word " * 400 + "end."
    passages = split_passages(text)
    assert passages
    assert all(len(p.text) <= 800 for p in passages)
    assert all(p.last - p.first + 1 <= 3 for p in passages)


def test_the_passage_that_settles_the_claim_ranks_first():
    docs = [
        "Paris has many cafés. The weather was mild in spring. Tourists like the museums.",
        "The city council met on Tuesday. The Eiffel Tower was completed in 1889. It is 330 metres tall. "
        "Parking fees will rise next year.",
        "The tower of London is old. Many towers exist in Europe.",
    ]
    scores = score_documents(CLAIM, docs, language="en")
    assert scores[1].relevance > scores[0].relevance
    assert scores[1].relevance > scores[2].relevance
    assert "completed in 1889" in scores[1].passages[0].text
    assert scores[1].passages[0].agreement == 1.0


def test_at_most_three_non_overlapping_passages_best_first():
    doc = " ".join(
        f"Paragraph {i}: the Eiffel Tower is a wrought-iron tower in Paris. Unrelated filler text number {i}."
        for i in range(20)
    )
    (score,) = score_documents(CLAIM, [doc], language="en", max_passages=3)
    assert 1 <= len(score.passages) <= 3
    assert [p.score for p in score.passages] == sorted((p.score for p in score.passages), reverse=True)
    for a in score.passages:
        for b in score.passages:
            assert a is b or a.last < b.first or b.last < a.first


def test_provider_weights_and_matching_fact_checks_first():
    assert weighted_relevance("archive", 0.5) > weighted_relevance("searxng", 0.5)
    ranked = sorted(
        [("wikipedia", 0.9, ""), ("factchecktools", 0.4, "False"), ("factchecktools", 0.1, "True")],
        key=lambda s: sort_key(*s),
    )
    assert ranked[0] == ("factchecktools", 0.4, "False")
    assert ranked[-1] == ("factchecktools", 0.1, "True")  # a fact-check about something else is not promoted


def test_different_year_in_a_matching_passage_is_a_refutation_candidate():
    stance, reason = rule_stance(
        "The Eiffel Tower was completed in 1925.",
        "The Eiffel Tower was completed in 1889 for the fair.",
        language="en",
    )
    assert stance == "refutes"
    assert "1925" in reason and "1889" in reason


def test_different_figure_is_a_refutation_candidate():
    stance, reason = rule_stance(
        "Unemployment in Germany rose to 12 percent.",
        "Unemployment in Germany rose to 5.7 percent in March.",
        language="en",
    )
    assert stance == "refutes"
    assert "12" in reason and "5.7" in reason


def test_negation_mismatch_is_a_refutation_candidate():
    stance, reason = rule_stance(
        "Vaccines cause autism in children.",
        "Vaccines do not cause autism in children, studies show.",
        language="en",
    )
    assert stance == "refutes"
    assert "negat" in reason


def test_a_passage_repeating_the_claim_supports_it():
    stance, reason = rule_stance(
        CLAIM, "Completed in 1889, the Eiffel Tower is 330 metres tall.", language="en"
    )
    assert stance == "supports"
    assert "1889" in reason


def test_unrelated_passage_is_unclear():
    assert rule_stance(CLAIM, "Cats sleep a lot.", language="en")[0] == "unclear"
    assert stance_hint(CLAIM, ["Cats sleep a lot."], language="en")[0] == "unclear"


def test_german_figures_disagreeing():
    stance, _ = rule_stance(
        "Die Arbeitslosenquote in Deutschland lag 2023 bei 9,5 Prozent.",
        "Die Arbeitslosenquote in Deutschland lag 2023 bei 5,7 Prozent.",
        language="de",
    )
    assert stance == "refutes"


def test_published_rating_decides_the_stance():
    assert rating_stance("False")[0] == "refutes"
    assert rating_stance("Faux")[0] == "refutes"
    assert rating_stance("Mostly true")[0] == "supports"
    assert rating_stance("Needs context")[0] == "unclear"
    assert stance_hint(CLAIM, ["anything"], language="en", rating="Pants on Fire")[0] == "refutes"


def test_stance_from_the_terms_ranking_computed_is_the_stance_from_the_text():
    """gather_evidence hands ScoredPassage.terms to stance_hint instead of re-tokenizing each passage."""
    cases = [
        (CLAIM, "Completed in 1889, the Eiffel Tower is 330 metres tall. It was the tallest structure."),
        ("The Eiffel Tower was completed in 1925.", "The Eiffel Tower was completed in 1889 for the fair."),
        (
            "Unemployment in Germany rose to 12 percent.",
            "Unemployment in Germany rose to 5.7 percent in March.",
        ),
        ("Vaccines cause autism in children.", "Vaccines do not cause autism in children, studies show."),
        ("Vaccines cause autism in children.", "The claim that vaccines cause autism in children is a myth."),
        (
            "Die Arbeitslosenquote in Deutschland lag 2023 bei 9,5 Prozent.",
            "Die Arbeitslosenquote in Deutschland lag 2023 bei 5,7 Prozent. Das meldete die Bundesagentur.",
        ),
    ]
    stances = set()
    for claim, document in cases:
        language = "de" if "Deutschland" in claim else "en"
        (score,) = score_documents(claim, [document], language=language, max_passages=3)
        assert score.passages, claim
        for passage in score.passages:
            assert passage.terms == text_terms(passage.text, language)
        texts = [p.text for p in score.passages]
        with_terms = stance_hint(claim, texts, language=language, terms=[p.terms for p in score.passages])
        assert with_terms == stance_hint(claim, texts, language=language)
        best = score.passages[0]
        rule = rule_stance(claim, best.text, language=language, terms=best.terms)
        assert rule == rule_stance(claim, best.text, language=language)
        stances.add(rule[0])
    assert stances == {"supports", "refutes"}
