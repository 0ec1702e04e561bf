"""training.evidence_ranking's cost and recall figures (docs/evidence-quality.md, "Recall before ranking"):
the API requests it counts per claim and whether the gold page is among the pages read, through the real
Wikipedia provider against the MediaWiki stand-in."""

import pytest

from eval.climate_split import data_path, rows_of
from eval.evidence_eval import GOLD, load
from evidence.queries import build_queries
from training.evidence_ranking import collect


@pytest.mark.usefixtures("eval_data")
def test_collect_counts_one_extracts_request_per_page_read_and_finds_more_gold_pages_with_more_pages():
    rows = [
        r
        for r in rows_of(load(data_path()), "dev")
        if any(e["evidence_label"] in GOLD for e in r["evidences"])
    ]
    rows = rows[:6]
    few = collect(rows, read_pages=6)
    many = collect(rows, read_pages=12)
    fewer_queries = collect(rows, read_pages=6, max_queries=0)
    for small, large, or_only, row in zip(few, many, fewer_queries, rows, strict=True):
        searches = large.requests - len(large.titles)
        # The same searches at 6 and 12 pages (the stand-in answers every query, so one extracts request per
        # page read); dropping the AND queries leaves the one OR query.
        assert small.requests - len(small.titles) == searches
        assert 1 < searches <= len(build_queries(row["claim"], "en", 3)) + 1
        assert or_only.requests - len(or_only.titles) == 1
        assert len(small.titles) == 6 and len(large.titles) == 12
        assert large.titles[:6] == small.titles
        assert large.gold_page_read >= small.gold_page_read
        gold_articles = {e["article"] for e in row["evidences"] if e["evidence_label"] in GOLD}
        assert large.gold_page_read == bool(gold_articles & set(large.titles))
    assert any(p.gold_page_read for p in many)
