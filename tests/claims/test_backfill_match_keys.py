"""manage.py backfill_match_keys: stored claims get the current matching keys, in batches, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims.matching import find_matches, match_keys
from claims.models import Claim
from tests.factories import make_article, make_claim
from textkit.similarity import fingerprint

ORIGINAL = "The city council approved a budget of 12 million euros for new cycle lanes on Monday."
EDITED = "On Monday, the City Council approved a 12 million euro budget for new cycle lanes!"

pytestmark = pytest.mark.django_db


def backfill(*args) -> str:
    out = StringIO()
    call_command("backfill_match_keys", *args, stdout=out)
    return out.getvalue()


def test_stale_and_missing_keys_are_recomputed_in_batches_and_a_rerun_writes_nothing():
    article = make_article(language="de")
    stale = make_claim(text=ORIGINAL, fingerprint=fingerprint(ORIGINAL), match_keys=[1, 2, 3])
    missing = make_claim(text="Unemployment in Germany rose to 5.7 percent in March.")
    german = make_claim(article, text="Die Arbeitslosigkeit stieg im März auf 5,7 Prozent.", language="")
    current = make_claim(
        text="Polar bears are going extinct.", match_keys=match_keys("Polar bears are going extinct.")
    )
    later = make_article()
    # with its old keys the earlier claim is invisible to edited wording (another fingerprint)
    assert find_matches(EDITED, exclude_article_id=later.pk) == []

    out = backfill("--batch-size", "2")
    assert "done: 4 claims checked, 3 updated" in out
    assert out.count("checked,") == 3  # two batches of 2, then the summary
    for claim in (stale, missing, current):
        claim.refresh_from_db()
        assert claim.match_keys == match_keys(claim.text, claim.language)
    german.refresh_from_db()
    assert german.match_keys == match_keys(
        german.text, "de"
    )  # the article's language when the claim has none
    assert [m.claim_id for m in find_matches(EDITED, exclude_article_id=later.pk)] == [stale.pk]

    assert "done: 4 claims checked, 0 updated" in backfill()
    assert "done: 1 claims checked, 0 updated" in backfill("--after", str(german.pk))
    assert Claim.objects.count() == 4


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError):
        backfill("--batch-size", "0")
