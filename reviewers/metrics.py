"""The reviewers app's metrics for GET /metrics (registered in ReviewersConfig.ready)."""

from __future__ import annotations

from factcheck.metrics import Exposition
from reviewers.models import Verdict


def collect_verdicts(out: Exposition) -> None:
    out.metric(
        "factcheck_verdicts_total", "counter", "Verdicts ever recorded.", [({}, Verdict.objects.count())]
    )
