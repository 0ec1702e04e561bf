"""PostgreSQL full-text search vocabulary shared by the pipeline and the archive provider."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector
from django.db.models import Value
from django.db.models.expressions import CombinedExpression

TEXT_SEARCH_CONFIGS = {
    "de": "german",
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
}


def search_config(language: str) -> str:
    """The text search configuration for a language; `simple` (no stemming) for the others."""
    return TEXT_SEARCH_CONFIGS.get(language, "simple")


def search_vector(title: str, text: str, language: str) -> CombinedExpression:
    config = search_config(language)
    return SearchVector(Value(title), weight="A", config=config) + SearchVector(
        Value(text), weight="B", config=config
    )
