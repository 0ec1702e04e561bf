"""Small factory functions for rows the tests need; the pipeline itself makes real ones elsewhere."""

from __future__ import annotations

import itertools

from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Source

_seq = itertools.count(1)


def make_article(**fields) -> Article:
    n = next(_seq)
    defaults = {
        "url": f"https://news.example/story-{n}",
        "canonical_url": f"https://news.example/story-{n}",
        "title": f"Story {n}",
        "language": "en",
        "text": "The city council approved a budget of 12 million euros on Monday. Critics said it was too small.",
        "status": ArticleStatus.READY,
    }
    defaults.update(fields)
    return Article.objects.create(**defaults)


def make_claim(article: Article | None = None, **fields) -> Claim:
    article = article or make_article()
    text = fields.pop("text", "The city council approved a budget of 12 million euros on Monday.")
    start = fields.pop("start", 0)
    defaults = {
        "text": text,
        "start": start,
        "end": start + len(text),
        "spans": [[start, start + len(text)]],
        "language": article.language,
        "score": 0.9,
        "signals": {"number": ["12 million euros"]},
        "fingerprint": f"fp-{next(_seq)}",
        "status": ClaimStatus.SOURCED,
    }
    defaults.update(fields)
    return Claim.objects.create(article=article, **defaults)


def make_source(claim: Claim, **fields) -> Source:
    n = next(_seq)
    defaults = {
        "url": f"https://en.wikipedia.org/wiki/Budget_{n}",
        "canonical_url": f"https://en.wikipedia.org/wiki/Budget_{n}",
        "title": f"Budget {n}",
        "provider": "wikipedia",
        "passages": ["The council budget was 12 million euros."],
        "relevance": 0.8,
        "rank": n,
    }
    defaults.update(fields)
    return Source.objects.create(claim=claim, **defaults)
