"""The reviewers' workplace: claims with their article, score, sources and verdict history, and a
verdict form that goes through the same service as the API (so the same rules apply)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Claim, Source
from reviewers.forms import VerdictForm
from reviewers.models import Verdict
from reviewers.roles import can_decide
from reviewers.services import VersionConflict, record_verdict


class SourceInline(admin.TabularInline):
    model = Source
    fields = ["rank", "link", "provider", "publisher", "published_at", "stance", "relevance", "best_passage"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["rank"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="source")
    def link(self, source: Source) -> str:
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', source.url,
                           source.title or source.url)

    @admin.display(description="best passage")
    def best_passage(self, source: Source) -> str:
        return (source.passages or [source.snippet])[0][:400] if (source.passages or source.snippet) else ""


class VerdictInline(admin.TabularInline):
    model = Verdict
    fk_name = "claim"
    fields = ["decided_at", "label", "rationale", "reviewer", "cited_sources", "supersedes"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-decided_at", "-id"]
    verbose_name_plural = "verdict history (newest first; verdicts are never edited)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["short_text", "article", "score", "language", "status", "verdict_label", "decided_at"]
    list_filter = ["verdict_label", "status", "language"]
    search_fields = ["text", "article__title"]
    list_select_related = ["article"]
    ordering = ["-score", "id"]
    inlines = [SourceInline, VerdictInline]
    change_form_template = "admin/claims/claim/change_form.html"
    fields = ["text", "article", "start", "end", "context", "language", "score", "signals", "status",
              "provider_reports", "verdict_label", "decided_at", "version"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # claims carry the verdict record; they are never deleted by hand

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return claim.text[:140]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        if claim is None:
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and "record_verdict" in request.POST:
            form = VerdictForm(request.POST, claim=claim)
            if form.is_valid():
                try:
                    record_verdict(
                        claim=claim,
                        reviewer=request.user,
                        label=form.cleaned_data["label"],
                        rationale=form.cleaned_data["rationale"],
                        source_ids=[int(s) for s in form.cleaned_data["sources"]],
                        expected_version=form.cleaned_data["version"],
                    )
                except VersionConflict as exc:
                    self.message_user(request, f"Not saved: {exc}", messages.ERROR)
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(request, "Not saved: " + " ".join(getattr(exc, "messages", [str(exc)])),
                                      messages.ERROR)
                else:
                    self.message_user(request, "Verdict recorded.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
            # Show the page again with the form's errors; the claim itself is never saved from here.
            request.method = "GET"
        else:
            form = VerdictForm(claim=claim)
        context = {
            **(extra_context or {}),
            "verdict_form": form,
            "can_decide": can_decide(request.user),
            "article_text_highlight": highlight(claim),
        }
        return super().change_view(request, object_id, form_url, context)


def highlight(claim: Claim) -> str:
    """The claim inside a window of its article's text, highlighted."""
    text = claim.article.text
    start, end = claim.start, claim.end
    before = text[max(0, start - 600):start]
    after = text[end:end + 600]
    return format_html('…{}<mark>{}</mark>{}…', before, text[start:end], after)


@admin.register(Verdict)
class VerdictAdmin(admin.ModelAdmin):
    list_display = ["claim", "label", "reviewer", "decided_at"]
    list_filter = ["label", "decided_at"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim", "reviewer"]
    readonly_fields = [f.name for f in Verdict._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
