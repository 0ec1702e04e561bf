"""Verdict labels are presented from one table (reviewers/labels.py): the admin's badges, the overview's
charts and ClaimReview's rating all read it, and it covers every label the database can hold."""

from api import claimreview
from claims.models import VerdictLabel
from reviewers import admin, labels, overview


def test_every_label_has_one_colour_and_one_rating():
    assert set(labels.LABELS) == set(VerdictLabel.values)
    ratings = sorted(style.rating for style in labels.LABELS.values())
    assert ratings == list(range(labels.WORST_RATING, labels.BEST_RATING + 1))  # distinct, no gaps


def test_the_admin_the_overview_and_claimreview_read_the_one_table():
    assert admin.LABEL_COLOURS is labels.COLOURS
    assert overview.COLOURS is labels.COLOURS
    assert claimreview.RATING is labels.RATINGS
    assert (claimreview.WORST_RATING, claimreview.BEST_RATING) == (1, 3)
