"""The Climate-FEVER evidence evaluation on a small fixed sample, so that CI prints the figure and fails
when retrieval breaks. The floor sits well below the measured value (docs/evidence-quality.md): it
catches a broken pipeline, not a point of noise."""

import json

import pytest

from eval.evidence_eval import DEFAULT_DATA, main

SAMPLE = 60  # claims drawn with seed 0; 39 of them have SUPPORTS/REFUTES evidence
HIT_AT_5_FLOOR = 0.3  # measured 0.46 on this sample (0.46 on --sample 200); 0.372 before the OR query


@pytest.mark.usefixtures("eval_data")
def test_evidence_evaluation_on_a_sample_finds_gold_evidence(capsys, settings):
    assert DEFAULT_DATA == settings.FACTCHECK_EVAL_DATA_DIR / "evidence" / "climate-fever.jsonl"
    assert main(["--sample", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    results = json.loads(out.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\nClimate-FEVER sample of {SAMPLE}: hit@5 {results['hit_at_5']:.3f}, {json.dumps(results)}")
    assert results["claims"] == SAMPLE
    assert results["provider_states"] == {"ok": SAMPLE}
    assert 0 < results["hit_at_5"] <= results["gold_article_found"] <= 1
    assert results["hit_at_5"] >= HIT_AT_5_FLOOR
