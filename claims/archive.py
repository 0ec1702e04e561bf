"""The internal archive: PostgreSQL full-text search over earlier articles of this service.

Uses the claim language's text search configuration and the GIN index on Article.search_vector.
Unlike the other providers it reads the database, so it lives with the Django side of `claims`.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import F

from claims.models import Article, ArticleStatus
from claims.search import search_config
from evidence.providers.base import Candidate, EvidenceProvider

MAX_TERMS = 12


class ArchiveProvider(EvidenceProvider):
    name = "archive"
    weight = 1.0
    built_by_caller = True  # reads the database and leaves out the article being checked

    def __init__(self, *, exclude_article_id: int | None = None, max_results: int = 5) -> None:
        self.exclude_article_id = exclude_article_id
        self.max_results = max_results

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        return await sync_to_async(self.search_in_thread, thread_sensitive=False)(
            claim_text, language=language, queries=queries
        )

    def search_in_thread(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        """search_sync in a thread of the evidence pool (evidence/gathering.py), which is created per task
        and never reused: the connection this thread opened is closed before the thread is given back, so
        a search costs one connection for its own duration and none after it (docs/deployment.md)."""
        try:
            return self.search_sync(claim_text, language=language, queries=queries)
        finally:
            connections.close_all()

    def search_sync(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        config = search_config(language)
        seen: set[int] = set()
        candidates: list[Candidate] = []
        for query_text in queries or [claim_text]:
            terms = [t for t in query_text.replace('"', " ").split() if len(t) > 1][:MAX_TERMS]
            if not terms:
                continue
            # Any term may match (OR); the rank rewards articles that match many of them.
            query = SearchQuery(terms[0], config=config)
            for term in terms[1:]:
                query |= SearchQuery(term, config=config)
            ready = Article.objects.filter(status=ArticleStatus.READY, search_vector=query)
            if self.exclude_article_id is not None:
                ready = ready.exclude(pk=self.exclude_article_id)
            rows = (
                ready.annotate(rank=SearchRank(F("search_vector"), query))
                .order_by("-rank", "-id")
                .only("pk", "canonical_url", "title", "sitename", "published_at", "text")[: self.max_results]
            )
            for article in rows:
                if article.pk in seen:
                    continue
                seen.add(article.pk)
                candidates.append(
                    Candidate(
                        url=article.canonical_url,
                        title=article.title,
                        provider=self.name,
                        query=query_text,
                        publisher=article.sitename,
                        published_at=article.published_at,
                        snippet=article.text[:300],
                        text=article.text,
                        extra={"article_id": article.pk},
                    )
                )
        return candidates
