"""Running a new article through the pipeline's first stages in the test process (no worker)."""

from __future__ import annotations

from claims import services, stages
from claims.models import Article


def fetched_and_extracted(url: str) -> Article:
    """Submit `url`, fetch it (which must be its first fetch) and extract it; the article as extraction
    left it."""
    article, _ = services.submit_article(url=url)
    assert stages.fetch_article(article_id=article.pk)
    stages.extract_article(article_id=article.pk)
    article.refresh_from_db()
    return article
