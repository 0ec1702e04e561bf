"""Admin for articles: pipeline status, claim counts, errors, and re-running failed articles."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html

from claims import services
from claims.models import Article, ArticleStatus, ClaimStatus, Snapshot, Source


class SnapshotInline(admin.TabularInline):
    model = Snapshot
    fields = ["fetched_at", "final_url", "http_status", "content_type", "content_length", "content_hash"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status_badge", "progress_bar", "language", "n_claims", "created_at"]
    list_filter = ["status", "language", "error_code"]
    search_fields = ["title", "canonical_url", "url"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    inlines = [SnapshotInline]
    fields = [
        "url", "canonical_url", "final_url", "status", "error_code", "error_message", "notes", "title", "author",
        "sitename", "published_at", "language", "language_note", "http_status", "content_type", "content_hash",
        "fetched_at", "attempts", "created_at", "updated_at", "text",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("text", "search_vector")
            .annotate(
                claim_count=Count("claims"),
                sourced_count=Count("claims", filter=~Q(claims__status=ClaimStatus.PENDING)),
            )
        )

    def has_add_permission(self, request) -> bool:
        return False  # articles are submitted through the API or `manage.py submit_article`

    @admin.display(description="claims", ordering="claim_count")
    def n_claims(self, article: Article) -> int:
        return article.claim_count

    @admin.display(description="status", ordering="status")
    def status_badge(self, article: Article) -> str:
        if article.status == ArticleStatus.FAILED:
            return format_html('<span title="{}">failed: <code>{}</code></span>', article.error_message,
                               article.error_code)
        return article.get_status_display()

    @admin.display(description="progress")
    def progress_bar(self, article: Article) -> str:
        stages = [ArticleStatus.QUEUED, ArticleStatus.FETCHING, ArticleStatus.EXTRACTING, ArticleStatus.SOURCING]
        if article.status == ArticleStatus.READY:
            percent = 100
        elif article.status == ArticleStatus.SOURCING and article.claim_count:
            percent = 60 + int(40 * article.sourced_count / article.claim_count)
        elif article.status in stages:
            percent = 20 * stages.index(article.status)
        else:
            percent = 0
        return format_html(
            '<div style="width:120px;background:#eee;border-radius:3px" title="{}%">'
            '<div style="width:{}%;background:#417690;height:8px;border-radius:3px"></div></div>',
            percent, percent,
        )

    @admin.action(description="Re-run the pipeline of the selected failed articles")
    def retry_failed(self, request, queryset):
        restarted = sum(services.retry_article(article=a) for a in queryset.filter(status=ArticleStatus.FAILED))
        self.message_user(request, f"{restarted} failed article(s) re-queued.", messages.SUCCESS)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "provider", "stance", "relevance", "claim", "published_at"]
    list_filter = ["provider", "stance"]
    search_fields = ["title", "url"]
    readonly_fields = [f.name for f in Source._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
