"""The verdict feed consumers poll: keyset pages in decision order, conditional GETs, a fast path.

The feed is the hottest read of the service (docs/benchmarks.md, P5), so a page is one precomposed SQL
statement (the ORM would spend about as long compiling it as PostgreSQL spends answering it), its rows
become items without model instances or serializers, and orjson renders them. The serializers below only
describe that shape for the OpenAPI schema; the filters are validated by `VerdictFilter`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache

import orjson
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from api.filters import VerdictFilter
from api.pagination import Position
from claims.models import Claim, VerdictLabel
from reviewers.models import ReviewState, Verdict

# The newest decision time the feed may show. A verdict's time is taken just before its transaction
# starts, so while any transaction that began before time T is still open, a verdict decided before T may
# still commit; showing rows past T could put it behind a consumer's cursor, skipped for ever. Open
# transactions of this database hold the horizon back (minus a margin for clock skew between app
# servers); transactions older than FACTCHECK_FEED_MAX_TRANSACTION_AGE are ignored (nothing that old is
# recording a verdict, and a forgotten session must not freeze the feed). The function behind the
# pg_stat_activity view, without the view's joins to pg_database and pg_authid: about half the horizon's
# cost (docs/benchmarks.md, P5).
HORIZON_SQL = """
    "reviewers_verdict"."decided_at" < (
        SELECT LEAST(clock_timestamp(), MIN(a.xact_start) - make_interval(secs => %s))
          FROM pg_stat_get_activity(NULL) a
         WHERE a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
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


_VERDICT = Verdict._meta.db_table
_CLAIM = Claim._meta.db_table
_USER = get_user_model()._meta.db_table
# The columns in the order feed_item() reads them; "superseded_by" is the verdict naming this one in
# `supersedes`.
FEED_SELECT = f"""
    SELECT "{_VERDICT}"."id", "{_VERDICT}"."claim_id", "{_CLAIM}"."article_id", "{_CLAIM}"."language",
           "{_VERDICT}"."label", "{_VERDICT}"."rationale", "{_VERDICT}"."cited_sources", "{_USER}"."username",
           "{_VERDICT}"."decided_at", "{_VERDICT}"."claim_version", "{_VERDICT}"."state",
           "{_VERDICT}"."supersedes_id", "superseded_by"."id"
      FROM "{_VERDICT}"
     INNER JOIN "{_CLAIM}" ON "{_CLAIM}"."id" = "{_VERDICT}"."claim_id"
     INNER JOIN "{_USER}" ON "{_USER}"."id" = "{_VERDICT}"."reviewer_id"
      LEFT JOIN "{_VERDICT}" "superseded_by" ON "superseded_by"."supersedes_id" = "{_VERDICT}"."id"
"""
# One condition per filter of VerdictFilter, with the filter's own field and lookup.
FILTER_SQL = {
    "updated_since": f'"{_VERDICT}"."decided_at" >= %s',
    "label": f'"{_VERDICT}"."label" = %s',
    "language": f'"{_CLAIM}"."language" = %s',
    "article": f'"{_CLAIM}"."article_id" = %s',
}
if set(FILTER_SQL) != set(VerdictFilter.base_filters):  # a filter without SQL would be silently ignored
    raise ImproperlyConfigured(
        f"FILTER_SQL does not match VerdictFilter: {sorted(VerdictFilter.base_filters)}"
    )


@lru_cache(maxsize=64)
def _feed_sql(seek: str | None, forward: bool, filters: tuple[str, ...]) -> str:
    conditions = [HORIZON_SQL]
    if seek:
        # A row-value comparison, so PostgreSQL turns it into one range scan of verdict_feed_idx.
        conditions.append(f'("{_VERDICT}"."decided_at", "{_VERDICT}"."id") {seek} (%s, %s)')
    conditions += [FILTER_SQL[name] for name in filters]
    order = "ASC" if forward else "DESC"
    return (
        f"{FEED_SELECT} WHERE {' AND '.join(conditions)}"
        f' ORDER BY "{_VERDICT}"."decided_at" {order}, "{_VERDICT}"."id" {order} LIMIT %s'
    )


def feed_rows(position: Position | None, limit: int, filters: dict) -> list[tuple]:
    """Up to `limit` feed rows after `position` in feed order (before it, nearest first, if it points
    backward), below the horizon and matching `filters` (VerdictFilter's cleaned data). One query."""
    forward = position is None or position.forward
    params: list = [settings.FACTCHECK_FEED_SETTLE_SECONDS, settings.FACTCHECK_FEED_MAX_TRANSACTION_AGE]
    seek = None
    if position is not None:
        seek = ">" if forward else "<"
        params += [position.at, position.pk]
    names = tuple(name for name in FILTER_SQL if filters.get(name) not in (None, ""))
    for name in names:
        value = filters[name]
        # PostgreSQL refuses offsets past ±15:59, which Python accepts: compare in UTC.
        params.append(value.astimezone(UTC) if isinstance(value, datetime) else value)
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(_feed_sql(seek, forward, names), params)
        return cursor.fetchall()


def row_position(row: tuple) -> tuple[datetime, int]:
    return row[8], row[0]


FINAL = ReviewState.FINAL.value


def feed_item(row: tuple) -> dict:
    """One feed item from a `feed_rows` row."""
    sources = row[6]
    return {
        "id": row[0],
        "claim": row[1],
        "article": row[2],
        "language": row[3],
        "label": row[4],
        "rationale": row[5],
        # Django has psycopg2 hand jsonb over as text; the ORM would parse it in from_db_value.
        "sources": orjson.loads(sources) if isinstance(sources, str) else sources,
        "reviewer": row[7],
        "decided_at": row[8],  # a UTC datetime: ORJSONRenderer (and DRF's encoder) write it with "Z"
        "claim_version": row[9],
        "state": row[10],
        "final": row[10] == FINAL,
        "supersedes": row[11],
        "superseded_by": row[12],
    }


def page_etag(items: list[dict], *parts: str | None) -> str:
    """A validator derived from the page: its rows, what replaced them, and its links."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update("".join(f"{i['id']}:{i['superseded_by']}:{i['state']};" for i in items).encode())
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
        return orjson.dumps(data, option=orjson.OPT_UTC_Z)


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
    label = serializers.ChoiceField(  # type: ignore[assignment]  # shadows Field.label in the stubs only
        choices=VerdictLabel.choices
    )
    rationale = serializers.CharField()
    sources = CitedSourceSerializer(many=True)
    reviewer = serializers.CharField()
    decided_at = serializers.DateTimeField()
    claim_version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ReviewState.choices)
    final = serializers.BooleanField()
    supersedes = serializers.IntegerField(allow_null=True, help_text="The verdict this one replaced.")
    superseded_by = serializers.IntegerField(allow_null=True, help_text="The verdict that replaced this one.")


# What a keyset feed (the verdict feed, the ClaimReview feed) takes and the 304 it may answer, for the schema.
KEYSET_PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque cursor from next/previous/resume."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 500, default 50."),
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The ETag of the page as last read: 304 when nothing on it changed.",
    ),
]
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified since the ETag in If-None-Match.")}


class KeysetLinksSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The following page; null at the end.")
    previous = serializers.URLField(allow_null=True)
    resume = serializers.URLField(help_text="Where to poll later for what comes after this page.")


@extend_schema_serializer(many=False)
class FeedPageSerializer(KeysetLinksSerializer):
    results = FeedVerdictSerializer(many=True)
