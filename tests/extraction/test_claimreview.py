"""extraction/claimreview.py reads ClaimReview markup with extruct, in every shape fact-checkers use."""

from extraction.claimreview import claim_reviews
from extraction.main_text import extract_article
from tests.support.claimreview import array, claim_review, graph, json_ld, microdata, page, single

BASE = "https://checks.example.org/2024/rail"
REVIEW = claim_review(
    "Deutsche Bahn carried 1.8 billion passengers in 2023",
    "Mostly true",
    value=4,
    author="Rail Facts Desk",
    url="https://checks.example.org/2024/rail",
    date="2024-02-01",
)
EXPECTED = {
    "claim_reviewed": "Deutsche Bahn carried 1.8 billion passengers in 2023",
    "rating": {"name": "Mostly true", "value": "4", "best": "5", "worst": "1"},
    "author": "Rail Facts Desk",
    "url": "https://checks.example.org/2024/rail",
    "date_published": "2024-02-01",
}


def test_a_single_json_ld_object():
    assert claim_reviews(page("Rail", ["Text."], head=single(REVIEW)), url=BASE) == [EXPECTED]


def test_inside_a_graph():
    assert claim_reviews(page("Rail", ["Text."], head=graph(REVIEW)), url=BASE) == [EXPECTED]


def test_in_a_json_ld_array():
    assert claim_reviews(page("Rail", ["Text."], head=array(REVIEW)), url=BASE) == [EXPECTED]


def test_as_microdata_with_a_relative_url():
    review = {**REVIEW, "url": "/2024/rail-check"}
    (found,) = claim_reviews(page("Rail", ["Text."], body=microdata(review)), url=BASE)
    assert found["url"] == "https://checks.example.org/2024/rail-check"  # resolved against the page
    assert found["rating"] == {"name": "Mostly true", "value": "4", "best": "5", "worst": ""}
    assert found["author"] == "Rail Facts Desk" and found["date_published"] == "2024-02-01"


def test_nested_in_another_item_and_repeated_only_once():
    nested = json_ld({"@context": "https://schema.org", "@type": "WebPage", "mainEntity": REVIEW})
    html = page("Rail", ["Text."], head=nested + single(REVIEW))
    assert claim_reviews(html, url=BASE) == [EXPECTED]


def test_a_broken_script_does_not_hide_the_others_and_other_types_are_ignored():
    broken = '<script type="application/ld+json">{"@type": "ClaimReview", oops</script>'
    other = json_ld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "ClaimReview"})
    html = page("Rail", ["Text."], head=broken + other + graph(REVIEW))
    assert claim_reviews(html, url=BASE) == [EXPECTED]


def test_a_javascript_url_is_never_kept():
    review = {**REVIEW, "url": "javascript:alert(1)"}
    (found,) = claim_reviews(page("Rail", ["Text."], head=single(review)), url=BASE)
    assert found["url"] == ""


def test_pages_without_markup_give_nothing():
    assert claim_reviews(page("ClaimReview explained", ["A ClaimReview is markup."]), url=BASE) == []
    assert claim_reviews("", url=BASE) == []


def test_the_article_extractor_keeps_them():
    html = page(
        "Deutsche Bahn passenger numbers checked",
        ["Deutsche Bahn carried 1.8 billion passengers in 2023, the company said in its annual report."],
        head=single(REVIEW),
    )
    assert extract_article(html, url=BASE).claim_reviews == [EXPECTED]
