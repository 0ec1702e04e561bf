from evidence.queries import build_queries
from textkit.terms import claim_terms, numbers, parse_number, tokenize


def test_english_queries_drop_stop_words_and_keep_names_and_numbers():
    queries = build_queries("Joe Biden said the US spent $1,200 billion on defense in 2020.", "en")
    assert 1 <= len(queries) <= 3
    first = queries[0].split()
    assert {"Joe", "Biden", "1,200", "2020", "defense"} <= set(first)
    assert not {"the", "said", "on", "in"} & {w.lower() for w in first}


def test_later_queries_leave_out_the_figures():
    queries = build_queries("Joe Biden said the US spent $1,200 billion on defense in 2020.", "en")
    assert len(queries) >= 2
    assert "2020" not in queries[1] and "1,200" not in queries[1]
    assert "Biden" in queries[1]


def test_german_stop_words_and_decimal_comma():
    queries = build_queries(
        "Laut Angela Merkel ist die Arbeitslosigkeit 2019 um 3,5 Prozent gestiegen.", "de"
    )
    words = queries[0].split()
    assert {"Angela", "Merkel", "Arbeitslosigkeit", "2019", "3,5"} <= set(words)
    assert not {"laut", "ist", "die", "um"} & {w.lower() for w in words}
    assert "3.5" in tokenize("um 3,5 Prozent", "de")


def test_french_quoted_phrase_is_kept_as_a_phrase():
    queries = build_queries(
        "Emmanuel Macron a déclaré que « la dette publique » a atteint 3 000 milliards.", "fr"
    )
    assert queries[0].startswith('"la dette publique"')
    assert "Macron" in queries[0]
    assert "que" not in queries[0].split()


def test_at_most_max_queries_and_never_empty():
    assert (
        len(build_queries("Polar bears are going extinct because of global warming", "en", max_queries=1))
        == 1
    )
    assert build_queries("the of and", "en") == ["the of and"]
    assert build_queries("", "en") == []


def test_numbers_are_parsed_per_language_and_scaled():
    assert parse_number("1.000", "de") == 1000
    assert parse_number("1,000", "en") == 1000
    assert parse_number("3,5", "fr") == 3.5
    assert 2_300_000 in numbers("2,3 Millionen Menschen", "de")
    terms = claim_terms("In 2008 Barack Obama won 365 electoral votes.", "en")
    assert terms.years == {2008}
    assert {"barack", "obama"} <= terms.names
