"""The reviewers' workplace: queues sorted by check-worthiness, 'take the next claim', the claim page
(the claim in its article, ranked sources, published fact-checks, earlier matching claims, the verdict
form, the read-only history) and lead actions. Every write goes through reviewers.services, so the admin
obeys the same rules as the API; nothing here edits a status by hand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from claims.admin import ArticleAdmin, SnapshotInline
from claims.models import Article, Claim
from claims.published import published_fact_checks
from claims.search_story import search_story
from factcheck.admin_base import RecordAdmin
from reviewers import labels, queues
from reviewers.activity import claim_activity
from reviewers.forms import AssignForm, SendBackForm, VerdictForm
from reviewers.models import Assignment, ClaimAction, ClaimEvent, ReviewState, Verdict
from reviewers.roles import can_decide, can_lead
from reviewers.services import (
    ClaimTaken,
    VersionConflict,
    assign_claim,
    current_draft,
    decision_blocker,
    discard_draft,
    record_verdict,
    release_claim,
    rerun_claim_search,
    rerun_failed_stage,
    reviews_required,
    save_draft,
    send_back_claim,
    take_next_claim,
)
from reviewers.tokens import ApiToken
from textkit.display import shorten

LABEL_COLOURS = labels.COLOURS
STATE_COLOURS = {
    ReviewState.PROVISIONAL: "#b26a00",
    ReviewState.FINAL: "#2e7d32",
    ReviewState.ESCALATED: "#c62828",
}


def below_cut_badge(claim: Claim) -> str:
    """A mark for a claim ranked past its article's cap (not offered by the queue); empty otherwise."""
    if not claim.below_cut:
        return ""
    return format_html(
        ' <span class="badge below-cut" title="Ranked {} in its article, past the cap of {} claims the '
        'queue offers">below the cut</span>',
        claim.rank,
        settings.FACTCHECK_CLAIMS_PER_ARTICLE,
    )


def messages_of(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        counts = queues.counts(request.user)
        return [(name, f"{label} ({counts[name]})") for name, label in queues.QUEUES.items()]

    def queryset(self, request, queryset):
        name = self.value()
        if name is not None and name in queues.QUEUES:
            return queues.in_queue(queryset, name, request.user)
        return queryset


class CutFilter(admin.SimpleListFilter):
    """Claims within their article's cap (offered by the queue) or below it (kept, ranked, not offered)."""

    title = "per-article cap"
    parameter_name = "cut"

    def lookups(self, request, model_admin):
        return [("above", "Offered (within the cap)"), ("below", "Below the cut")]

    def queryset(self, request, queryset):
        if self.value() in ("above", "below"):
            return queryset.filter(below_cut=self.value() == "below")
        return queryset


def _decision(form) -> dict[str, Any]:
    """A reviewer's label, rationale and ticked sources from the claim page's form, as save_draft and
    record_verdict take them."""
    return {
        "label": form.cleaned_data["label"],
        "rationale": form.cleaned_data["rationale"],
        "source_ids": [int(s) for s in form.cleaned_data["sources"]],
    }


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
        "verdict_column",
    ]
    list_display_links = ["short_text"]
    list_filter = [
        QueueFilter,
        CutFilter,
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
    fields = readonly_fields = (
        "text",
        "article",
        "start",
        "end",
        "language",
        "score",
        "rank",
        "below_cut",
        "signals",
        "status",
        "provider_reports",
        "verdict_label",
        "decided_at",
        "version",
    )

    def get_queryset(self, request):
        return queues.with_review(super().get_queryset(request)).defer(
            "article__text", "article__search_vector"
        )

    # --- columns -----------------------------------------------------------------------------
    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        # Cut at a word with an ellipsis; the whole text shows on hover and on the claim's page.
        return format_html(
            '<span class="claim-cell" title="{}">{}</span>', claim.text, shorten(claim.text, 220)
        )

    @admin.display(description="check-worthiness", ordering="-score")
    def score_bar(self, claim: Claim) -> str:
        return format_html(
            '<span class="score-bar" title="check-worthiness {}"><span style="width:{}%"></span></span> {}{}',
            f"{claim.score:.2f}",
            round(claim.score * 100),
            f"{claim.score:.2f}",
            below_cut_badge(claim),
        )

    @admin.display(description="article", ordering="article__title")
    def article_link(self, claim: Claim) -> str:
        url = reverse("admin:claims_claim_changelist") + f"?article__id__exact={claim.article_id}"
        title = str(claim.article)
        return format_html(
            '<a href="{}" title="Claims of this article: {}">{}</a>', url, title, shorten(title, 60)
        )

    @admin.display(description="verdict", ordering="-decided_at")
    def verdict_column(self, claim: Claim) -> str:
        if not claim.verdict_label:
            return "—"
        return format_html(
            '<span class="badge label-{}">{}</span><div class="quiet">{}</div>',
            claim.verdict_label,
            claim.get_verdict_label_display(),
            claim.decided_at.strftime("%Y-%m-%d %H:%M") if claim.decided_at else "",
        )

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
            path(
                "<int:claim_id>/search/",
                self.admin_site.admin_view(self.rerun_search_view),
                name="claims_claim_rerun_search",
            ),
        ]
        return extra + super().get_urls()

    def take_next_view(self, request):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        article = request.POST.get("article", "")
        try:
            claim = take_next_claim(
                reviewer=request.user,
                article_id=int(article) if article.isdigit() and len(article) < 19 else None,
                language=(request.POST.get("language") or "")[:8] or None,
                another="another" in request.POST,
            )
        except PermissionDenied as exc:
            self.message_user(request, messages_of(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        if claim is None:
            self.message_user(
                request, "Nothing left to take: every claim is decided or someone holds it.", messages.INFO
            )
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        self.message_user(request, f"Claim {claim.pk} is assigned to you.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))

    def assignment_view(self, request, claim_id: int):
        claim = get_object_or_404(Claim, pk=claim_id)
        back = HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
        if request.method != "POST":
            return back
        try:
            if "send_back" in request.POST:
                form = SendBackForm(request.POST)
                if not form.is_valid():
                    self.message_user(
                        request,
                        "Not sent back: say why in the comment; the next reviewer reads it.",
                        messages.ERROR,
                    )
                    return back
                send_back_claim(claim=claim, by=request.user, comment=form.cleaned_data["comment"])
                self.message_user(
                    request, "Claim sent back to the queue with your comment.", messages.SUCCESS
                )
            elif "release" in request.POST:
                release_claim(claim=claim, by=request.user)
                self.message_user(request, "Claim released back to the queue.", messages.SUCCESS)
            elif "assign" in request.POST:
                assign_form = AssignForm(request.POST)
                if not assign_form.is_valid():
                    self.message_user(request, "Choose whom to assign the claim to.", messages.ERROR)
                    return back
                assign_claim(claim=claim, reviewer=assign_form.cleaned_data["reviewer"], by=request.user)
                self.message_user(
                    request, f"Claim assigned to {assign_form.cleaned_data['reviewer']}.", messages.SUCCESS
                )
            else:
                assign_claim(claim=claim, reviewer=request.user, by=request.user)
                self.message_user(request, "Claim assigned to you.", messages.SUCCESS)
        except (ClaimTaken, PermissionDenied, ValidationError) as exc:
            self.message_user(request, f"Not changed: {messages_of(exc)}", messages.ERROR)
        return back

    def rerun_search_view(self, request, claim_id: int):
        claim = get_object_or_404(Claim, pk=claim_id)
        back = HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]) + "#search")
        if request.method != "POST":
            return back
        try:
            if rerun_claim_search(claim=claim, user=request.user):
                self.message_user(
                    request, "The source search runs again; reload in a moment.", messages.SUCCESS
                )
            else:
                self.message_user(request, "The source search of this claim is still running.", messages.INFO)
        except PermissionDenied as exc:
            self.message_user(request, f"Not re-run: {messages_of(exc)}", messages.ERROR)
        return back

    # --- the claim page ----------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        if claim is None:
            return super().change_view(request, object_id, form_url, extra_context)
        lead = can_lead(request.user)
        page = HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
        form = None
        if request.method == "POST" and "discard_draft" in request.POST:
            self._discard_draft(request, claim)
            return page
        if request.method == "POST" and "save_draft" in request.POST:
            form = VerdictForm(request.POST, claim=claim, can_override=lead, draft=True)
            if self._save_draft(request, claim, form):
                return page
            request.method = "GET"
        elif request.method == "POST" and "record_verdict" in request.POST:
            form = VerdictForm(request.POST, claim=claim, can_override=lead)
            if form.is_valid():
                claim, form = self._record_verdict(request, object_id, claim, form, lead)
                if form is None:
                    return page
            # Show the page again with the form's errors; the claim itself is never saved from here.
            request.method = "GET"
        context = {**(extra_context or {}), **claim_page_context(claim, request.user)}
        context["verdict_form"] = form or self._blank_form(claim, lead, context["draft"])
        return super().change_view(request, object_id, form_url, context)

    def _discard_draft(self, request, claim) -> None:
        try:
            discarded = discard_draft(claim=claim, reviewer=request.user)
        except PermissionDenied as exc:
            self.message_user(request, f"Not discarded: {messages_of(exc)}", messages.ERROR)
        else:
            self.message_user(
                request, "Draft discarded." if discarded else "You had no draft here.", messages.INFO
            )

    def _save_draft(self, request, claim, form) -> bool:
        """True when the draft was saved; otherwise the form (or a message) says why."""
        if not form.is_valid():
            return False
        try:
            save_draft(
                claim=claim,
                reviewer=request.user,
                **_decision(form),
            )
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, f"Draft not saved: {messages_of(exc)}", messages.ERROR)
            return False
        self.message_user(
            request, "Draft saved; nothing is decided yet. It is here when you come back.", messages.SUCCESS
        )
        return True

    def _record_verdict(self, request, object_id, claim, form, lead):
        """(claim, None) when the verdict was recorded; otherwise the claim as it now is and the form to show
        again."""
        try:
            record_verdict(
                claim=claim,
                reviewer=request.user,
                **_decision(form),
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
            self.message_user(
                request,
                f"Conflict — not saved: {newest.reviewer} recorded “{newest.get_label_display()}” on "
                f"this claim while you were deciding. Your verdict is kept in the form below: read "
                f"theirs in the history, then record yours again if you still disagree.",
                messages.ERROR,
            )
            return claim, VerdictForm(data, claim=claim, can_override=lead)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, f"Not saved: {messages_of(exc)}", messages.ERROR)
            return claim, form
        self.message_user(request, "Verdict recorded.", messages.SUCCESS)
        return claim, None

    def _blank_form(self, claim, lead, draft):
        initial = (
            {
                "label": draft.label,
                "rationale": draft.rationale,
                "sources": [str(i) for i in draft.source_ids],
            }
            if draft
            else None
        )
        return VerdictForm(claim=claim, can_override=lead, initial=initial)


def state_badge(state: str) -> str:
    if not state:
        return mark_safe('<span class="quiet">not reviewed</span>')  # noqa: S308 - a constant
    return format_html(
        '<span class="badge state-{}">{}</span>', state, ReviewState(state).label.split(":")[0]
    )


MATCHES_SHOWN = 20


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
        .defer("matched__article__text", "matched__article__search_vector")
        .prefetch_related(
            Prefetch("matched__verdicts", Verdict.objects.order_by("-claim_version"), to_attr="newest")
        )
        .order_by("-similarity", "matched_id")[:MATCHES_SHOWN]
    )
    disagreement = history[:2] if newest is not None and newest.state == ReviewState.ESCALATED else []
    lead = can_lead(user)
    decider = can_decide(user)
    blocked = ""
    if decider:
        blocked = decision_blocker(
            user=user,
            holder_id=assignment.reviewer_id if assignment else None,
            holder=str(assignment.reviewer) if assignment else "",
            newest_state=newest.state if newest else None,
        )
    activity = claim_activity(claim=claim, user=user) if decider else []
    # The last word of whoever sent the claim back, while it waits in the queue for the next reviewer.
    sent_back = None
    if assignment is None:
        last = next((e for e in reversed(activity) if e.action != ClaimAction.DRAFTED), None)
        sent_back = last if last is not None and last.action == ClaimAction.SENT_BACK else None
    holds = assignment is not None and assignment.reviewer_id == user.pk
    return {
        "claim": claim,
        "article": article,
        "article_text_highlight": highlight(claim),
        "search": search_story(claim, (s.provider for s in sources)),
        "ranked_sources": [s for s in sources if not s.rating],
        "fact_checks": [s for s in sources if s.rating],
        "embedded_fact_checks": published_fact_checks(article, sources),
        "matches": [
            # `newest` is the list the Prefetch above puts on each claim (to_attr); the stubs cannot know it
            (m, m.matched, m.matched.newest[0] if m.matched.newest else None)  # type: ignore[attr-defined]
            for m in matches
        ],
        "history": history,
        "newest": newest,
        "disagreement": disagreement,
        "assignment": assignment,
        "holds": holds,
        "assign_form": AssignForm() if lead else None,
        "send_back_form": SendBackForm() if (holds or (lead and assignment)) else None,
        "can_decide": decider and not blocked,
        "decide_blocked": blocked,
        "draft": current_draft(claim=claim, reviewer=user) if decider and not blocked else None,
        "activity": activity,
        "sent_back": sent_back,
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
    list_display = ["claim_text", "label_badge", "review_state", "reviewer", "decided_at"]
    list_filter = ["label", "state", "decided_at"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim", "reviewer"]
    readonly_fields = [f.name for f in Verdict._meta.fields]

    @admin.display(description="claim", ordering="claim__text")
    def claim_text(self, verdict: Verdict) -> str:
        return format_html('<span title="{}">{}</span>', verdict.claim.text, shorten(verdict.claim.text, 160))

    @admin.display(description="label", ordering="label")
    def label_badge(self, verdict: Verdict) -> str:
        return format_html(
            '<span class="badge label-{}">{}</span>', verdict.label, verdict.get_label_display()
        )

    @admin.display(description="state", ordering="state")
    def review_state(self, verdict: Verdict) -> str:
        return state_badge(verdict.state)


@admin.register(Assignment)
class AssignmentAdmin(RecordAdmin):
    """Who held which claim, when; read-only (assignments change through the claim page)."""

    list_display = ["claim", "reviewer", "assigned_by", "assigned_at", "released_at", "release_reason"]
    list_filter = ["release_reason", ("reviewer", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["claim", "reviewer", "assigned_by"]
    readonly_fields = [f.name for f in Assignment._meta.fields]


# Re-running pipeline stages is a lead's right (reviewers.roles), so the article admin is registered here,
# where roles are known, with that action; claims.admin stays free of reviewers imports.


@admin.register(ClaimEvent)
class ClaimEventAdmin(RecordAdmin):
    """Every claim's activity besides verdicts (the verdict list has those); read-only, written by the
    services."""

    list_display = ["at", "claim_text", "action", "actor", "reviewer", "short_comment"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["claim", "actor", "reviewer"]
    readonly_fields = [f.name for f in ClaimEvent._meta.fields]

    @admin.display(description="claim", ordering="claim__text")
    def claim_text(self, event: ClaimEvent) -> str:
        return format_html('<span title="{}">{}</span>', event.claim.text, shorten(event.claim.text, 120))

    @admin.display(description="comment")
    def short_comment(self, event: ClaimEvent) -> str:
        return shorten(event.comment, 120) or "—"


class ErrorCodeFilter(admin.SimpleListFilter):
    """The error codes articles failed with (Django's field filter would also list the empty code)."""

    title = "error"
    parameter_name = "error_code"

    def lookups(self, request, model_admin):
        codes = Article.objects.exclude(error_code="").values_list("error_code", flat=True).distinct()
        return [(code, code) for code in sorted(codes)]

    def queryset(self, request, queryset):
        return queryset.filter(error_code=self.value()) if self.value() else queryset


ARTICLE_CLAIMS_SHOWN = 50


@admin.register(Article)
class ReviewArticleAdmin(ArticleAdmin):
    actions = ["rerun_failed_stage"]
    # The article's claims are one table of this page's own (each claim's text once, linked to its page),
    # the most check-worthy first, not an inline: an article may have hundreds.
    inlines = [SnapshotInline]
    change_form_template = "admin/claims/article/change_form.html"
    list_filter = ["status", "language", ErrorCodeFilter]
    # The text is shown by the template in a box of its own that scrolls (and takes the keyboard focus).
    fields = tuple(name for name in ArticleAdmin.fields if name != "text")
    readonly_fields = fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if article is not None:
            claims = (
                queues.with_review(Claim.objects.filter(article=article))
                .only(
                    "pk",
                    "text",
                    "score",
                    "rank",
                    "below_cut",
                    "status",
                    "provider_reports",
                    "verdict_label",
                    "language",
                )
                .order_by(*queues.ORDER)
            )
            context["article_claims"] = claims[:ARTICLE_CLAIMS_SHOWN]
            context["article_claims_total"] = article.claim_count
            context["article_claims_cap"] = settings.FACTCHECK_CLAIMS_PER_ARTICLE
            context["article_claims_below_cut"] = Claim.objects.filter(
                article=article, below_cut=True
            ).count()
            context["article_below_cut_url"] = (
                reverse("admin:claims_claim_changelist") + f"?article__id__exact={article.pk}&cut=below"
            )
            context["article_claims_url"] = (
                reverse("admin:claims_claim_changelist") + f"?article__id__exact={article.pk}"
            )
        return super().change_view(request, object_id, form_url, context)

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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: made here (the key is shown once, on the page after saving), listed by their prefix,
    deleted to revoke. The database keeps only a digest of the key (reviewers/tokens.py)."""

    list_display = ["prefix", "user", "created"]
    list_select_related = ["user"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["prefix", "created"]
    autocomplete_fields = ["user"]

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else ["prefix", "user", "created"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a token is made or deleted, never edited

    def save_model(self, request, obj, form, change):
        obj.save()
        messages.warning(
            request,
            f"API token for {obj.user} (shown only now, copy it to the client): {obj.key}",
        )
