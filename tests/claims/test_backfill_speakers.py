"""manage.py backfill_speakers: stored claims get the speaker extraction would give them today, in batches,
idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims.models import Claim
from tests.factories import make_article, make_claim

pytestmark = pytest.mark.django_db

TEXT = (
    "Bernd Lucke hielt am Mittwoch eine Vorlesung. „Der AStA verkläre die Vorfälle“, sagte Lucke am Samstag."
)


def backfill(*args) -> str:
    out = StringIO()
    call_command("backfill_speakers", *args, stdout=out)
    return out.getvalue()


def test_claims_get_their_speaker_and_a_rerun_writes_nothing():
    article = make_article(language="de", text=TEXT)
    quoted = TEXT[TEXT.index("„") :]
    attributed = make_claim(article, text=quoted, start=TEXT.index("„"), language="de")
    own = make_claim(article, text=TEXT[: TEXT.index("„") - 1], start=0, language="de")
    wrong = make_claim(
        text="The council approved 12 million euros.", speaker_name="Jane Doe", speaker_type="Person"
    )

    assert "done: 3 claims checked, 2 updated" in backfill("--batch-size", "2")
    assert (
        Claim.objects.get(pk=attributed.pk).speaker_name,
        Claim.objects.get(pk=attributed.pk).speaker_type,
    ) == (
        "Bernd Lucke",
        "Person",
    )
    assert Claim.objects.get(pk=own.pk).speaker_name == ""
    assert Claim.objects.get(pk=wrong.pk).speaker_name == ""
    assert "done: 3 claims checked, 0 updated" in backfill()


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError):
        backfill("--batch-size", "0")
