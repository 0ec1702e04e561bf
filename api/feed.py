"""The verdict feed consumers poll: keyset pages in decision order, conditional GETs, a fast path.

Items are built straight from one `values()` query (no model instances, no serializer per object) and
rendered with orjson: the feed is the hottest read of the service (BENCHMARKS.md P5). The serializers
below only describe that shape for the OpenAPI schema.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import orjson
from django.conf import settings
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from claims.models import VerdictLabel
from reviewers.models import ReviewState, Verdict

FEED_FIELDS = (
    "id",
    "claim_id",
    "claim__article_id",
    "claim__language",
    "label",
    "rationale",
    "cited_sources",
    "reviewer__username",
    "decided_at",
    "claim_version",
    "state",
    "supersedes_id",
    "superseded_by__id",
)

# The newest decision time the feed may show. A verdict's time is taken just before its transaction
# starts, so while any transaction that began before time T is still open, a verdict decided before T may
# still commit; showing rows past T could put it behind a consumer's cursor, skipped for ever. Open
# transactions of this database hold the horizon back (minus a margin for clock skew between app
# servers); transactions older than FACTCHECK_FEED_MAX_TRANSACTION_AGE are ignored (nothing that old is
# recording a verdict, and a forgotten session must not freeze the feed).
HORIZON_SQL = """
    "reviewers_verdict"."decided_at" < (
        SELECT LEAST(clock_timestamp(), MIN(a.xact_start) - make_interval(secs => %s))
          FROM pg_stat_activity a
         WHERE a.datname = current_database()
           AND a.pid <> pg_backend_pid()
           AND a.backend_type = 'client backend'
           AND a.xact_start > clock_timestamp() - make_interval(secs => %s)
    )
"""


def below_horizon(queryset: QuerySet) -> QuerySet:
    params = (settings.FACTCHECK_FEED_SETTLE_SECONDS, settings.FACTCHECK_FEED_MAX_TRANSACTION_AGE)
    return queryset.filter(RawSQL(HORIZON_SQL, params, output_field=BooleanField()))


def feed_queryset() -> QuerySet:
    return below_horizon(Verdict.objects.all())


def _time(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def feed_item(row: dict) -> dict:
    return {
        "id": row["id"],
        "claim": row["claim_id"],
        "article": row["claim__article_id"],
        "language": row["claim__language"],
        "label": row["label"],
        "rationale": row["rationale"],
        "sources": row["cited_sources"],
        "reviewer": row["reviewer__username"],
        "decided_at": _time(row["decided_at"]),
        "claim_version": row["claim_version"],
        "state": row["state"],
        "final": row["state"] == ReviewState.FINAL,
        "supersedes": row["supersedes_id"],
        "superseded_by": row["superseded_by__id"],
    }


def page_etag(items: list[dict], *parts: str | None) -> str:
    """A validator derived from the page: its rows, what replaced them, and its links."""
    digest = hashlib.blake2b(digest_size=16)
    for item in items:
        digest.update(f"{item['id']}:{item['superseded_by']}:{item['state']};".encode())
    for part in parts:
        digest.update(f"|{part}".encode())
    return f'W/"feed-{digest.hexdigest()}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of If-None-Match against our ETag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data)


# --------------------------------------------------------------------------- schema only


class CitedSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    provider = serializers.CharField()


class FeedVerdictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim = serializers.IntegerField()
    article = serializers.IntegerField()
    language = serializers.CharField(allow_blank=True)
    label = serializers.ChoiceField(choices=VerdictLabel.choices)
    rationale = serializers.CharField()
    sources = CitedSourceSerializer(many=True)
    reviewer = serializers.CharField()
    decided_at = serializers.DateTimeField()
    claim_version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ReviewState.choices)
    final = serializers.BooleanField()
    supersedes = serializers.IntegerField(allow_null=True, help_text="The verdict this one replaced.")
    superseded_by = serializers.IntegerField(allow_null=True, help_text="The verdict that replaced this one.")


class KeysetLinksSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The following page; null at the end.")
    previous = serializers.URLField(allow_null=True)
    resume = serializers.URLField(help_text="Where to poll later for what comes after this page.")


@extend_schema_serializer(many=False)
class FeedPageSerializer(KeysetLinksSerializer):
    results = FeedVerdictSerializer(many=True)
