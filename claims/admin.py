"""Admin for articles: pipeline progress per stage, claim counts, errors with their code. The article admin
is registered by reviewers.admin, which adds the lead-only re-run action (claims never imports reviewers)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join

from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Snapshot, Source
from factcheck.admin_base import ReadOnlyAdmin

# Every admin page of these models is read-only: each shows exactly the fields it lists.
SNAPSHOT_FIELDS: tuple[str, ...] = (
    "fetched_at",
    "final_url",
    "http_status",
    "content_type",
    "content_length",
    "content_hash",
)
CLAIM_INLINE_FIELDS: tuple[str, ...] = ("text", "score", "status", "provider_summary", "verdict_label")
ARTICLE_FIELDS: tuple[str, ...] = (
    "progress_bar",
    "url",
    "canonical_url",
    "final_url",
    "status",
    "error_code",
    "error_message",
    "notes",
    "title",
    "author",
    "sitename",
    "published_at",
    "language",
    "language_note",
    "http_status",
    "content_type",
    "content_hash",
    "fetched_at",
    "attempts",
    "created_at",
    "updated_at",
    "text",
)
# The pipeline segment an article in a running status is in.
RUNNING_SEGMENT: dict[str, str] = {
    ArticleStatus.QUEUED: "fetch",
    ArticleStatus.FETCHING: "fetch",
    ArticleStatus.EXTRACTING: "extract",
    ArticleStatus.SOURCING: "sources",
}


class SnapshotInline(admin.TabularInline):
    model = Snapshot
    fields = readonly_fields = SNAPSHOT_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


STAGES = [
    ("fetch", "Fetch"),
    ("extract", "Extract"),
    ("sources", "Sources"),
]


def failed_stage(article: Article) -> str:
    """The stage a failed article stopped in, told by what it got done before failing."""
    if article.fetched_at is None:
        return "fetch"
    if not article.text:
        return "extract"
    return "sources"


class ClaimInline(admin.TabularInline):
    """The article's claims with where their source search stands (read-only; reviewed on their own page)."""

    model = Claim
    fields = readonly_fields = CLAIM_INLINE_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-score"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="providers")
    def provider_summary(self, claim: Claim) -> str:
        return (
            ", ".join(f"{r.get('provider')}: {r.get('state')}" for r in claim.provider_reports or []) or "—"
        )


class ArticleAdmin(ReadOnlyAdmin):
    """Articles and their pipeline: a stage bar per article, errors with their code. Registered by
    reviewers.admin, which adds the lead-only action that re-runs a failed stage. Read-only: articles are
    submitted through the API or `manage.py submit_article`, and the pipeline owns every field."""

    list_display = [
        "__str__",
        "status_badge",
        "progress_bar",
        "error_column",
        "language",
        "n_claims",
        "created_at",
    ]
    list_filter = ["status", "language", "error_code"]
    search_fields = ["title", "canonical_url", "url"]
    date_hierarchy = "created_at"
    actions = []
    inlines = [ClaimInline, SnapshotInline]
    fields = readonly_fields = ARTICLE_FIELDS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("search_vector")
            .annotate(
                claim_count=Count("claims"),
                sourced_count=Count("claims", filter=~Q(claims__status=ClaimStatus.PENDING)),
                sources_failed_count=Count("claims", filter=Q(claims__status=ClaimStatus.SOURCES_FAILED)),
            )
        )

    @admin.display(description="claims", ordering="claim_count")
    def n_claims(self, article: Article) -> int:
        return getattr(article, "claim_count", 0)

    @admin.display(description="status", ordering="status")
    def status_badge(self, article: Article) -> str:
        return article.get_status_display()

    @admin.display(description="error", ordering="error_code")
    def error_column(self, article: Article) -> str:
        if article.status == ArticleStatus.FAILED:
            return format_html(
                '<code style="color:#ba2121" title="{}">{}</code> <small>in {}</small>',
                article.error_message,
                article.error_code,
                failed_stage(article),
            )
        failed = getattr(article, "sources_failed_count", 0)
        if failed:
            return format_html(
                '<code style="color:#b26a00">sources_failed</code> <small>{} claim(s)</small>', failed
            )
        return "—"

    @admin.display(description="pipeline")
    def progress_bar(self, article: Article) -> str:
        """Three segments (fetch, extract, sources), green when done, blue while running, red where the
        article failed, amber when some claims' searches failed; the words and the sources' count stand
        beside the bar, never inside it (a count such as 636/636 does not fit a segment)."""
        claims = getattr(article, "claim_count", 0)
        sourced = getattr(article, "sourced_count", 0)
        running = RUNNING_SEGMENT.get(article.status)
        stopped = failed_stage(article) if article.status == ArticleStatus.FAILED else None
        current = running or stopped
        order = [key for key, _ in STAGES]
        cells = []
        for key, label in STAGES:
            fill, colour = 0, "#417690"
            if article.status == ArticleStatus.READY or (current and order.index(key) < order.index(current)):
                fill, colour = 100, "#3d7c43"
            elif key == current:
                colour = "#ba2121" if stopped else "#417690"
                fill = (
                    100 if stopped else (int(100 * sourced / claims) if key == "sources" and claims else 15)
                )
            if key == "sources" and article.status == ArticleStatus.READY:
                if getattr(article, "sources_failed_count", 0):
                    colour = "#b26a00"
            cells.append((label, fill, colour))
        if stopped:
            words = f"stopped at {stopped}"
        elif running:
            words = {"fetch": "fetching", "extract": "extracting", "sources": "searching"}[running]
        else:
            words = "done" if article.status == ArticleStatus.READY else ""
        if claims:
            words = f"{words} · sources {sourced}/{claims}" if words else f"sources {sourced}/{claims}"
        return format_html(
            '<div class="pipeline" title="{}"><div class="pipeline-bar">{}</div>'
            '<div class="pipeline-words">{}</div></div>',
            article.get_status_display(),
            format_html_join(
                "",
                '<div class="pipeline-step" title="{}"><div style="width:{}%;background:{}"></div></div>',
                ((label, fill, colour) for label, fill, colour in cells),
            ),
            words,
        )


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["title", "provider", "stance", "relevance", "claim", "published_at"]
    list_filter = ["provider", "stance"]
    search_fields = ["title", "url"]
    readonly_fields = [f.name for f in Source._meta.fields]
