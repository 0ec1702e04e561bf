"""REST API views: DRF generic views; serializers validate, services decide."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.claimreview import ClaimReviewSerializer, claim_review, newest_final
from api.conditional import conditional_response
from api.exceptions import PreconditionFailed
from api.feed import (
    KEYSET_PAGE_PARAMETERS,
    NOT_MODIFIED,
    FeedPageSerializer,
    ORJSONRenderer,
    etag_matches,
    feed_item,
    feed_queryset,
    feed_rows,
    page_etag,
    row_position,
)
from api.filters import ArticleFilter, ClaimFilter, VerdictFilter
from api.pagination import CreatedCursorPagination, IdCursorPagination, KeysetPagination
from api.permissions import ReadOnlyUnlessEditor
from api.serializers import (
    MAX_BIGINT,
    ActivitySerializer,
    ArticleSerializer,
    ArticleSubmitSerializer,
    AssignInputSerializer,
    AssignmentSerializer,
    ClaimDetailSerializer,
    ClaimSerializer,
    DraftInputSerializer,
    DraftSerializer,
    ErrorSerializer,
    SearchRerunSerializer,
    SendBackInputSerializer,
    TakeNextInputSerializer,
    VerdictInputSerializer,
    VerdictSerializer,
)
from claims import services as claim_services
from claims.models import Article, Claim, ClaimStatus
from reviewers import services as review_services
from reviewers.activity import claim_activity
from reviewers.models import Verdict

NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No such claim.")}
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag as last read: 304 when the response would say the same.",
)


def with_progress(queryset):
    return queryset.annotate(
        n_claims=Count("claims"),
        n_sourced=Count("claims", filter=~Q(claims__status=ClaimStatus.PENDING)),
    )


@extend_schema(tags=["articles"])
class ArticleViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Articles submitted for fact-checking, with their pipeline status."""

    serializer_class = ArticleSerializer
    permission_classes = [ReadOnlyUnlessEditor]
    pagination_class = CreatedCursorPagination
    filterset_class = ArticleFilter

    def get_queryset(self):
        return with_progress(Article.objects.defer("text", "search_vector"))

    @extend_schema(
        request=ArticleSubmitSerializer,
        responses={202: ArticleSerializer, 200: ArticleSerializer},
        description="Submit an article URL. 202 when queued; 200 with the existing article when the same "
        "canonical URL was submitted before (a failed one is re-queued).",
    )
    def create(self, request, *args, **kwargs):
        serializer = ArticleSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article, created = claim_services.submit_article(url=serializer.validated_data["url"])
        article = self.get_queryset().get(pk=article.pk)
        return Response(
            ArticleSerializer(article).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


# A claim's ETag: its verdict version (what If-Match checks), then, on a GET, a digest of the representation
# (what If-None-Match checks; api/conditional.py). Both forms are accepted in If-Match.
CLAIM_ETAG = re.compile(r'^(?:W/)?"claim-(\d+)-v(\d+)(?:\.[0-9a-f]+)?"$')


def if_match_versions(if_match: str, claim_id: int) -> tuple[int, ...]:
    """The versions of this claim that an If-Match names: it may list several ETags, and matches when any
    one does (RFC 9110 13.1.1). 412 when none names this claim."""
    versions = []
    for tag in if_match.split(","):  # our ETags hold no commas
        match = CLAIM_ETAG.match(tag.strip())
        if match and int(match.group(1)) == claim_id:
            # A version beyond 64 bits was never any claim's: compared as -1, it is stale (412), not a 500.
            versions.append(int(match.group(2)) if int(match.group(2)) <= MAX_BIGINT else -1)
    if not versions:
        raise PreconditionFailed("If-Match does not name this claim.")
    return tuple(versions)


# Writes that read the claim only to hand it to a service (no filters, no prefetching).
PLAIN_CLAIM_ACTIONS = {"assign", "send_back", "draft", "activity", "rerun_search"}
NO_CLAIM = "No Claim matches the given query."  # what get_object() says


@extend_schema(tags=["claims"])
class ClaimViewSet(viewsets.ReadOnlyModelViewSet):
    """Claims found in articles, with their sources and current verdict."""

    permission_classes = [ReadOnlyUnlessEditor]
    pagination_class = IdCursorPagination
    filterset_class = ClaimFilter

    def get_serializer_class(self):
        return ClaimDetailSerializer if self.action == "retrieve" else ClaimSerializer

    def get_permissions(self):
        if self.action == "verdict":
            # record_verdict enforces who may decide (reviewers/roles.py), reading the roles with the
            # locked claim when the token lookup did not: asking here first would cost a statement.
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        if self.action in PLAIN_CLAIM_ACTIONS:
            # The services read what they need (once the claim is locked, for writes).
            return Claim.objects.all()
        latest = Verdict.objects.select_related("reviewer", "superseded_by").order_by("-claim_version")
        queryset = Claim.objects.prefetch_related(
            Prefetch("verdicts", queryset=latest, to_attr="verdict_history")
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("sources").select_related("article")
            queryset = queryset.defer("article__text", "article__search_vector")
        if self.action == "claimreview":
            queryset = queryset.select_related("article")
        return queryset

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: ClaimDetailSerializer, **NOT_MODIFIED, **NOT_FOUND},
        description="The claim with its sources, how each provider's search went, its earlier matches and "
        "its current verdict. The ETag serves both If-Match on a verdict (its `v` part is the verdict "
        "version) and If-None-Match here (304 when nothing in the response changed).",
    )
    def retrieve(self, request, *args, **kwargs):
        claim = self.get_object()
        data = self.get_serializer(claim).data
        return conditional_response(request, data, tag=claim.etag.strip('"'))

    @extend_schema(
        request=VerdictInputSerializer,
        responses={
            201: VerdictSerializer,
            412: OpenApiResponse(ErrorSerializer, description="Stale version."),
        },
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The claim's ETag as read; a stale one gets 412.",
            ),
        ],
        description="Record a verdict (reviewers and leads only). It supersedes the current one.",
    )
    @action(detail=True, methods=["post"], url_path="verdict", filter_backends=[])
    def verdict(self, request, pk=None):
        # No get_object(): record_verdict locks the claim by its id with the UPDATE that records the
        # verdict, and says when there is no such claim (one round trip less than reading it first).
        # Nothing is lost: the action has no filters, and the permission class has no object check.
        try:
            claim_id = int(pk)
        except ValueError:
            raise Http404(NO_CLAIM) from None
        serializer = VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = serializer.validated_data.get("version")
        if_match = request.headers.get("If-Match")
        if if_match and if_match.strip() != "*":
            expected = if_match_versions(if_match, claim_id)
        try:
            verdict = review_services.record_verdict(
                claim=claim_id,
                reviewer=request.user,
                label=serializer.validated_data["label"],
                rationale=serializer.validated_data["rationale"],
                source_ids=serializer.validated_data.get("sources", []),
                expected_version=expected,
                override=serializer.validated_data.get("override", False),
            )
        except Claim.DoesNotExist:
            raise Http404(NO_CLAIM) from None
        response = Response(VerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)
        response["ETag"] = verdict.claim.etag
        return response

    @extend_schema(
        request=TakeNextInputSerializer,
        responses={
            200: ClaimDetailSerializer,
            204: OpenApiResponse(description="Nothing left to take."),
        },
        description="The claim to work on (reviewers and leads). If you hold one (matching `article` and "
        "`language` when given), you get it back: asking twice never assigns two. Otherwise, or with "
        '`{"another": true}` (which puts the one you hold back into the queue), the most check-worthy claim '
        "that needs you (second reviews first; not one you skipped or sent back) is assigned to you and "
        "returned. Two reviewers never get the same claim.",
    )
    @action(detail=False, methods=["post"], url_path="next", pagination_class=None, filterset_class=None)
    def take_next(self, request):
        serializer = TakeNextInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = review_services.take_next_claim(
            reviewer=request.user,
            article_id=serializer.validated_data.get("article"),
            language=serializer.validated_data.get("language"),
            another=serializer.validated_data.get("another", False),
        )
        if claim is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        claim = self.get_queryset().prefetch_related("sources").get(pk=claim.pk)
        response = Response(ClaimDetailSerializer(claim).data)
        response["ETag"] = claim.etag
        return response

    @extend_schema(
        request=AssignInputSerializer,
        responses={
            200: AssignmentSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Held by someone else."),
        },
        description="Assign the claim: to yourself (reviewers, if nobody holds it), or to anyone (leads); "
        '`{"reviewer": null}` releases it (its holder or a lead).',
    )
    @action(detail=True, methods=["post"], url_path="assign", filter_backends=[])
    def assign(self, request, pk=None):
        claim = self.get_object()
        serializer = AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "reviewer" in serializer.validated_data and serializer.validated_data["reviewer"] is None:
            review_services.release_claim(claim=claim, by=request.user)
            return Response({"claim": claim.pk, "reviewer": None, "assigned_at": None})
        username = serializer.validated_data.get("reviewer") or request.user.get_username()
        reviewer = get_user_model().objects.filter(username=username).first()
        if reviewer is None:
            raise ValidationError({"reviewer": [f"There is no user {username!r}."]})
        try:
            assignment = review_services.assign_claim(claim=claim, reviewer=reviewer, by=request.user)
        except review_services.ClaimTaken as exc:
            return Response({"detail": str(exc), "code": "already_assigned"}, status=status.HTTP_409_CONFLICT)
        return Response(AssignmentSerializer(assignment).data)

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                ClaimReviewSerializer, description="schema.org ClaimReview JSON-LD."
            ),
            **NOT_MODIFIED,
            404: OpenApiResponse(
                ErrorSerializer, description="No such claim, or no final verdict yet (code no_verdict)."
            ),
        },
    )
    @action(detail=True, methods=["get"], url_path="claimreview", pagination_class=None)
    def claimreview(self, request, pk=None):
        """schema.org ClaimReview for the claim's newest final verdict (a provisional or escalated one is
        not published: until one is final, 404)."""
        claim = self.get_object()
        verdict = newest_final(claim.verdict_history)
        if verdict is None:
            raise NotFound("This claim has no final verdict yet.", code="no_verdict")
        return conditional_response(
            request,
            claim_review(claim, verdict, url=request.build_absolute_uri()),
            tag=f"claimreview-{claim.pk}",
            content_type="application/ld+json",
        )

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: VerdictSerializer(many=True), **NOT_MODIFIED, **NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="verdicts", pagination_class=None)
    def verdicts(self, request, pk=None):
        """Every verdict given for the claim, oldest first."""
        claim = self.get_object()
        history = Verdict.objects.filter(claim=claim).select_related("reviewer", "superseded_by").feed_order()
        data = VerdictSerializer(history, many=True).data
        return conditional_response(request, data, tag=f"verdicts-{claim.pk}")

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: ActivitySerializer(many=True), **NOT_MODIFIED, **NOT_FOUND},
        description="The claim's activity log, oldest first (reviewers and leads): assigned, reassigned, "
        "released, sent back (with the comment), skipped, drafted, source search re-run, and every verdict "
        "(decided, overridden, escalated), each with who and when.",
    )
    @action(detail=True, methods=["get"], url_path="activity", pagination_class=None, filter_backends=[])
    def activity(self, request, pk=None):
        claim = self.get_object()
        entries = claim_activity(claim=claim, user=request.user)
        data = ActivitySerializer(entries, many=True).data
        return conditional_response(request, data, tag=f"activity-{claim.pk}")

    @extend_schema(
        request=SendBackInputSerializer,
        responses={200: AssignmentSerializer, **NOT_FOUND},
        description="Send the claim you hold back to the queue with a comment the next reviewer reads "
        "(its holder or a lead). 'Take the next claim' does not offer it to you again. 400 without a "
        "comment or when nobody holds the claim.",
    )
    @action(detail=True, methods=["post"], url_path="send-back", filter_backends=[])
    def send_back(self, request, pk=None):
        claim = self.get_object()
        serializer = SendBackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review_services.send_back_claim(
            claim=claim, by=request.user, comment=serializer.validated_data["comment"]
        )
        return Response({"claim": claim.pk, "reviewer": None, "assigned_at": None})

    @extend_schema(
        methods=["GET"],
        responses={200: DraftSerializer, **NOT_FOUND},
        description="Your draft verdict on this claim (404 when you have none, or recorded a verdict "
        "since saving it).",
    )
    @extend_schema(
        methods=["PUT"],
        request=DraftInputSerializer,
        responses={200: DraftSerializer, **NOT_FOUND},
        description="Save your draft verdict (label, rationale, sources; any of them may still be missing) "
        "without deciding: one draft per reviewer and claim, replaced on every save. The same rules as a "
        "verdict: not on a claim someone else holds, not on a disagreement unless you lead.",
    )
    @extend_schema(
        methods=["DELETE"],
        responses={204: OpenApiResponse(description="Deleted."), **NOT_FOUND},
        description="Discard your draft verdict.",
    )
    @action(detail=True, methods=["get", "put", "delete"], url_path="draft", filter_backends=[])
    def draft(self, request, pk=None):
        claim = self.get_object()
        if request.method == "PUT":
            serializer = DraftInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            draft = review_services.save_draft(
                claim=claim,
                reviewer=request.user,
                label=serializer.validated_data.get("label", ""),
                rationale=serializer.validated_data.get("rationale", ""),
                source_ids=serializer.validated_data.get("sources", []),
            )
            return Response(DraftSerializer(draft).data)
        if request.method == "DELETE":
            if not review_services.discard_draft(claim=claim, reviewer=request.user):
                raise NotFound("You have no draft on this claim.", code="no_draft")
            return Response(status=status.HTTP_204_NO_CONTENT)
        current = review_services.current_draft(claim=claim, reviewer=request.user)
        if current is None:
            raise NotFound("You have no draft on this claim.", code="no_draft")
        return Response(DraftSerializer(current).data)

    @extend_schema(
        request=None,
        responses={
            202: SearchRerunSerializer,
            409: OpenApiResponse(ErrorSerializer, description="The claim's search is still running."),
            **NOT_FOUND,
        },
        description="Search the claim's sources again (leads): after a provider failed, or to look again. "
        "The claim goes back to `pending`; the new search's sources and provider reports replace the old "
        "ones when it finishes.",
    )
    @action(detail=True, methods=["post"], url_path="search", filter_backends=[])
    def rerun_search(self, request, pk=None):
        claim = self.get_object()
        if not review_services.rerun_claim_search(claim=claim, user=request.user):
            return Response(
                {"detail": "The source search of this claim is still running.", "code": "search_running"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response({"claim": claim.pk, "status": ClaimStatus.PENDING}, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["verdicts"])
class VerdictFeedViewSet(viewsets.ReadOnlyModelViewSet):
    """The verdict feed consumers poll: in decision order, stable under concurrent writes."""

    serializer_class = VerdictSerializer
    filterset_class = VerdictFilter
    pagination_class = None

    def get_queryset(self):
        if self.action == "list":
            return feed_queryset()
        return Verdict.objects.select_related("reviewer", "superseded_by", "claim")

    def get_renderers(self):
        if self.action == "list":
            # orjson for the hot path; the browsable API stays available in development.
            return [ORJSONRenderer(), *super().get_renderers()[1:]]
        return super().get_renderers()

    @extend_schema(
        parameters=KEYSET_PAGE_PARAMETERS,
        responses={
            200: FeedPageSerializer,
            **NOT_MODIFIED,
        },
        description="Verdicts in decision order (then id), every one exactly once however many arrive while "
        "you page: follow `next` until it is null, keep `resume` and poll it later. A verdict that replaces "
        "another is a new item whose `supersedes` names the old one; the old one shows `superseded_by`. "
        "No COUNT and no OFFSET: a deep page costs what the first does.",
    )
    def list(self, request, *args, **kwargs):
        filters = {}
        if any(name in request.query_params for name in VerdictFilter.base_filters):
            filterset = VerdictFilter(request.query_params, request=request)
            if not filterset.is_valid():
                raise translate_validation(filterset.errors)
            filters = filterset.form.cleaned_data
        paginator = KeysetPagination(time_field="decided_at", page_size=api_settings.PAGE_SIZE)
        page = paginator.paginate_rows(
            lambda position, limit: feed_rows(position, limit, filters), request, key=row_position
        )
        results = [feed_item(row) for row in page.rows]
        etag = page_etag(results, page.next, page.previous, page.resume)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag_matches(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        body = {"next": page.next, "previous": page.previous, "resume": page.resume, "results": results}
        return Response(body, headers=headers)
