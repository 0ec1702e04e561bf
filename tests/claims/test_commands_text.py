import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.support.evaldata import PAGES_DIR as PAGES


@pytest.mark.usefixtures("eval_data")
def test_extract_claims_prints_json_claims_with_offsets():
    out = StringIO()
    call_command("extract_claims", str(PAGES / "theguardian.com.academics.html"), "--json", stdout=out)
    claims = json.loads(out.getvalue())
    assert claims
    assert {"text", "start", "end", "score", "language"} <= set(claims[0])
    assert all(c["language"] == "en" and 0 <= c["score"] <= 1 for c in claims)


@pytest.mark.usefixtures("eval_data")
def test_extract_claims_accepts_a_forced_language():
    out = StringIO()
    call_command(
        "extract_claims", str(PAGES / "faz.net.streaming.html"), "--json", "--lang", "de", stdout=out
    )
    assert all(c["language"] == "de" for c in json.loads(out.getvalue()))


def test_evaluate_checkworthiness_ends_with_one_json_line(tmp_path):
    sample = tmp_path / "sample.tsv"
    sample.write_text(
        "Sentence_id\tText\tclass_label\n1\tThe deficit rose by $3 billion in 2019.\tYes\n2\tThank you.\tNo\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("evaluate_checkworthiness", str(sample), stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["n"] == 2 and {"precision", "recall", "f1"} <= set(result)
