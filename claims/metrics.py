"""The claims app's metrics for GET /metrics (registered in ClaimsConfig.ready)."""

from __future__ import annotations

from django.db.models import Count

from claims.models import Article, ArticleStatus
from factcheck.metrics import Exposition


def collect_articles(out: Exposition) -> None:
    counts = dict(Article.objects.order_by().values_list("status").annotate(n=Count("id")))
    out.metric(
        "factcheck_articles",
        "gauge",
        "Articles by pipeline status.",
        [({"status": status}, counts.get(status, 0)) for status in ArticleStatus.values],
    )
