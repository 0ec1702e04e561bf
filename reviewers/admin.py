"""The reviewers' workplace: queues sorted by check-worthiness, 'take the next claim', the claim page
(the claim in its article, ranked sources, published fact-checks, earlier matching claims, the verdict
form, the read-only history) and lead actions. Every write goes through reviewers.services, so the admin
obeys the same rules as the API; nothing here edits a status by hand."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from claims.admin import ArticleAdmin
from claims.models import Article, Claim, VerdictLabel
from factcheck.admin_base import RecordAdmin
from reviewers import queues
from reviewers.forms import AssignForm, VerdictForm
from reviewers.models import Assignment, ReviewState, Verdict
from reviewers.roles import can_decide, can_lead
from reviewers.services import (
    ClaimTaken,
    VersionConflict,
    assign_claim,
    record_verdict,
    release_claim,
    rerun_failed_stage,
    reviews_required,
    take_next_claim,
)

LABEL_COLOURS = {
    VerdictLabel.VERIFIED: "#2e7d32",
    VerdictLabel.DISPUTED: "#c62828",
    VerdictLabel.UNSUPPORTED: "#6d6d6d",
}
STATE_COLOURS = {
    ReviewState.PROVISIONAL: "#b26a00",
    ReviewState.FINAL: "#2e7d32",
    ReviewState.ESCALATED: "#c62828",
}


def messages_of(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        counts = queues.counts(request.user)
        return [(name, f"{label} ({counts[name]})") for name, label in queues.QUEUES.items()]

    def queryset(self, request, queryset):
        if self.value() in queues.QUEUES:
            return queues.in_queue(queryset, self.value(), request.user)
        return queryset


@admin.register(Claim)
class ClaimAdmin(RecordAdmin):
    # Read-only record: verdicts go through the verdict form on this page, and a claim carries the verdict
    # record, so it is never edited or deleted by hand.
    list_display = [
        "short_text",
        "score_bar",
        "article_link",
        "language",
        "review_badge",
        "assignee",
        "verdict_label",
        "decided_at",
    ]
    list_display_links = ["short_text"]
    list_filter = [
        QueueFilter,
        "language",
        ("article", admin.RelatedOnlyFieldListFilter),
        "verdict_label",
        "status",
    ]
    search_fields = ["text", "article__title"]
    list_select_related = ["article"]
    ordering = queues.ORDER
    list_per_page = 50
    change_list_template = "admin/claims/claim/change_list.html"
    change_form_template = "admin/claims/claim/change_form.html"
    actions = ["take_selected", "release_selected"]
    fields = [
        "text",
        "article",
        "start",
        "end",
        "language",
        "score",
        "signals",
        "status",
        "provider_reports",
        "verdict_label",
        "decided_at",
        "version",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return queues.with_review(super().get_queryset(request)).defer(
            "article__text", "article__search_vector"
        )

    # --- columns -----------------------------------------------------------------------------
    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return claim.text[:160]

    @admin.display(description="check-worthiness", ordering="-score")
    def score_bar(self, claim: Claim) -> str:
        percent = round(claim.score * 100)
        return format_html(
            '<span title="{}" style="display:inline-block;width:60px;height:8px;background:#e6e6e6;'
            'border-radius:3px;vertical-align:middle"><span style="display:block;width:{}%;height:8px;'
            'background:#417690;border-radius:3px"></span></span> {}',
            f"{claim.score:.2f}",
            percent,
            f"{claim.score:.2f}",
        )

    @admin.display(description="article", ordering="article__title")
    def article_link(self, claim: Claim) -> str:
        url = reverse("admin:claims_claim_changelist") + f"?article__id__exact={claim.article_id}"
        return format_html('<a href="{}" title="Claims of this article">{}</a>', url, str(claim.article)[:60])

    @admin.display(description="review")
    def review_badge(self, claim: Claim) -> str:
        return state_badge(getattr(claim, "review_state", "") or "")

    @admin.display(description="assigned to")
    def assignee(self, claim: Claim) -> str:
        assignee_id = getattr(claim, "assignee_id", None)
        if assignee_id is None:
            return "—"
        return self._usernames().get(assignee_id, str(assignee_id))

    def _usernames(self) -> dict[int, str]:
        # One query per page, not per row: the page's assignees are few.
        if not hasattr(self, "_names"):
            self._names = dict(
                get_user_model()
                .objects.filter(assignments__released_at__isnull=True)
                .values_list("pk", "username")
            )
        return self._names

    def changelist_view(self, request, extra_context=None):
        if hasattr(self, "_names"):
            del self._names
        context = {
            **(extra_context or {}),
            "can_decide": can_decide(request.user),
            "queue_counts": [
                (name, label, count)
                for (name, label), count in zip(
                    queues.QUEUES.items(), queues.counts(request.user).values(), strict=True
                )
            ],
        }
        return super().changelist_view(request, context)

    # --- actions -----------------------------------------------------------------------------
    @admin.action(description="Assign the selected claims to me")
    def take_selected(self, request, queryset):
        taken = 0
        for claim in queryset:
            try:
                assign_claim(claim=claim, reviewer=request.user, by=request.user)
                taken += 1
            except (ClaimTaken, PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"Claim {claim.pk}: {messages_of(exc)}", messages.WARNING)
        self.message_user(request, f"{taken} claim(s) assigned to you.", messages.SUCCESS)

    @admin.action(description="Release the selected claims back to the queue")
    def release_selected(self, request, queryset):
        released = 0
        for claim in queryset:
            try:
                released += release_claim(claim=claim, by=request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"Claim {claim.pk}: {messages_of(exc)}", messages.WARNING)
        self.message_user(request, f"{released} claim(s) released.", messages.SUCCESS)

    # --- extra views -------------------------------------------------------------------------
    def get_urls(self):
        extra = [
            path(
                "take-next/", self.admin_site.admin_view(self.take_next_view), name="claims_claim_take_next"
            ),
            path(
                "<int:claim_id>/assignment/",
                self.admin_site.admin_view(self.assignment_view),
                name="claims_claim_assignment",
            ),
        ]
        return extra + super().get_urls()

    def take_next_view(self, request):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        try:
            claim = take_next_claim(
                reviewer=request.user,
                article_id=int(request.POST["article"])
                if request.POST.get("article", "").isdigit()
                else None,
                language=request.POST.get("language") or None,
            )
        except PermissionDenied as exc:
            self.message_user(request, messages_of(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        if claim is None:
            self.message_user(
                request, "Nothing left to take: every claim is decided or someone holds it.", messages.INFO
            )
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        self.message_user(request, f"Claim {claim.pk} is now assigned to you.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))

    def assignment_view(self, request, claim_id: int):
        claim = get_object_or_404(Claim, pk=claim_id)
        back = HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
        if request.method != "POST":
            return back
        try:
            if "release" in request.POST:
                release_claim(claim=claim, by=request.user)
                self.message_user(request, "Claim released back to the queue.", messages.SUCCESS)
            elif "assign" in request.POST:
                form = AssignForm(request.POST)
                if not form.is_valid():
                    self.message_user(request, "Choose whom to assign the claim to.", messages.ERROR)
                    return back
                assign_claim(claim=claim, reviewer=form.cleaned_data["reviewer"], by=request.user)
                self.message_user(
                    request, f"Claim assigned to {form.cleaned_data['reviewer']}.", messages.SUCCESS
                )
            else:
                assign_claim(claim=claim, reviewer=request.user, by=request.user)
                self.message_user(request, "Claim assigned to you.", messages.SUCCESS)
        except (ClaimTaken, PermissionDenied, ValidationError) as exc:
            self.message_user(request, f"Not changed: {messages_of(exc)}", messages.ERROR)
        return back

    # --- the claim page ----------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        if claim is None:
            return super().change_view(request, object_id, form_url, extra_context)
        lead = can_lead(request.user)
        if request.method == "POST" and "record_verdict" in request.POST:
            form = VerdictForm(request.POST, claim=claim, can_override=lead)
            if form.is_valid():
                try:
                    record_verdict(
                        claim=claim,
                        reviewer=request.user,
                        label=form.cleaned_data["label"],
                        rationale=form.cleaned_data["rationale"],
                        source_ids=[int(s) for s in form.cleaned_data["sources"]],
                        expected_version=form.cleaned_data["version"],
                        override=form.cleaned_data.get("override", False),
                    )
                except VersionConflict:
                    # Keep what the reviewer wrote, but make them read the newer verdict first: the form
                    # now carries the current version, so submitting again deliberately supersedes it.
                    claim = self.get_object(request, object_id)
                    newest = claim.verdicts.order_by("-claim_version").select_related("reviewer").first()
                    data = request.POST.copy()
                    data["version"] = str(claim.version)
                    form = VerdictForm(data, claim=claim, can_override=lead)
                    self.message_user(
                        request,
                        f"Conflict — not saved: {newest.reviewer} recorded “{newest.get_label_display()}” on "
                        f"this claim while you were deciding. Your verdict is kept in the form below: read "
                        f"theirs in the history, then record yours again if you still disagree.",
                        messages.ERROR,
                    )
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(request, f"Not saved: {messages_of(exc)}", messages.ERROR)
                else:
                    self.message_user(request, "Verdict recorded.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
            # Show the page again with the form's errors; the claim itself is never saved from here.
            request.method = "GET"
        else:
            form = VerdictForm(claim=claim, can_override=lead)
        context = {**(extra_context or {}), **claim_page_context(claim, request.user), "verdict_form": form}
        return super().change_view(request, object_id, form_url, context)


def state_badge(state: str) -> str:
    if not state:
        return mark_safe('<span style="color:#666">not reviewed</span>')  # noqa: S308 - a constant
    return format_html(
        '<span style="color:#fff;background:{};padding:1px 6px;border-radius:8px;font-size:11px">{}</span>',
        STATE_COLOURS.get(state, "#666"),
        ReviewState(state).label.split(":")[0],
    )


def claim_page_context(claim: Claim, user) -> dict:
    """Everything the claim page shows besides the model's own fields (a handful of queries)."""
    article = claim.article
    sources = list(claim.sources.order_by("rank", "id"))
    history = list(claim.verdicts.select_related("reviewer", "supersedes").order_by("-claim_version"))
    newest = history[0] if history else None
    assignment = (
        Assignment.objects.open().filter(claim=claim).select_related("reviewer", "assigned_by").first()
    )
    # The earlier claims stored as matches at extraction (claims/matching.py): edited wording included,
    # whether or not they have a verdict yet; each with its article and its current (newest) verdict.
    matches = list(
        claim.matches.select_related("matched__article")
        .prefetch_related(
            Prefetch("matched__verdicts", Verdict.objects.order_by("-claim_version"), to_attr="newest")
        )
        .order_by("-similarity", "matched_id")[:5]
    )
    disagreement = history[:2] if newest is not None and newest.state == ReviewState.ESCALATED else []
    lead = can_lead(user)
    decider = can_decide(user)
    blocked = ""
    if decider and assignment is not None and assignment.reviewer_id != user.pk and not lead:
        blocked = f"This claim is assigned to {assignment.reviewer}; only they or a lead may decide it."
    elif decider and newest is not None and newest.state == ReviewState.ESCALATED and not lead:
        blocked = "Two reviewers disagree on this claim; a lead decides it."
    return {
        "claim": claim,
        "article": article,
        "article_text_highlight": highlight(claim),
        "ranked_sources": [s for s in sources if not s.rating],
        "fact_checks": [s for s in sources if s.rating],
        "matches": [(m, m.matched, m.matched.newest[0] if m.matched.newest else None) for m in matches],
        "history": history,
        "newest": newest,
        "disagreement": disagreement,
        "assignment": assignment,
        "assign_form": AssignForm() if lead else None,
        "can_decide": decider and not blocked,
        "decide_blocked": blocked,
        "is_lead": lead,
        "reviews_required": reviews_required(),
        "label_colours": LABEL_COLOURS,
    }


def highlight(claim: Claim) -> str:
    """The claim inside its article's text, highlighted (the whole text; the page scrolls to the mark)."""
    text = claim.article.text
    start, end = claim.start, claim.end
    if not text or end > len(text):
        return format_html("<mark>{}</mark>", claim.text)
    return format_html('{}<mark id="claim-mark">{}</mark>{}', text[:start], text[start:end], text[end:])


@admin.register(Verdict)
class VerdictAdmin(RecordAdmin):
    list_display = ["claim", "label", "state", "reviewer", "decided_at"]
    list_filter = ["label", "state", "decided_at"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim", "reviewer"]
    readonly_fields = [f.name for f in Verdict._meta.fields]


@admin.register(Assignment)
class AssignmentAdmin(RecordAdmin):
    """Who held which claim, when; read-only (assignments change through the claim page)."""

    list_display = ["claim", "reviewer", "assigned_by", "assigned_at", "released_at", "release_reason"]
    list_filter = ["release_reason", ("reviewer", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["claim", "reviewer", "assigned_by"]
    readonly_fields = [f.name for f in Assignment._meta.fields]


# Re-running pipeline stages is a lead's right (reviewers.roles), so the article admin is registered here,
# where roles are known, with that action; claims.admin stays free of reviewers imports.


@admin.register(Article)
class ReviewArticleAdmin(ArticleAdmin):
    actions = ["rerun_failed_stage"]

    @admin.action(description="Re-run the failed stage of the selected articles (leads)")
    def rerun_failed_stage(self, request, queryset):
        done = []
        for article in queryset:
            try:
                what = rerun_failed_stage(article=article, user=request.user)
            except PermissionDenied as exc:
                self.message_user(request, messages_of(exc), messages.ERROR)
                return
            if what:
                done.append(f"{article.pk}: {what}")
        if done:
            self.message_user(request, "Re-queued " + "; ".join(done) + ".", messages.SUCCESS)
        else:
            self.message_user(request, "Nothing failed in the selected articles.", messages.INFO)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_lead(request.user):
            actions.pop("rerun_failed_stage", None)
        return actions
