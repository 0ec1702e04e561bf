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
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.claimreview import ClaimReviewSerializer, claim_review
from api.exceptions import PreconditionFailed
from api.feed import (
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
    ArticleSerializer,
    ArticleSubmitSerializer,
    AssignInputSerializer,
    AssignmentSerializer,
    ClaimDetailSerializer,
    ClaimSerializer,
    ErrorSerializer,
    TakeNextInputSerializer,
    VerdictInputSerializer,
    VerdictSerializer,
)
from claims import services as claim_services
from claims.models import Article, Claim, ClaimStatus
from reviewers import services as review_services
from reviewers.models import Verdict

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed for this account."),
    429: OpenApiResponse(
        ErrorSerializer, description="Throttled; retry after the Retry-After header's seconds."
    ),
}


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
        responses={202: ArticleSerializer, 200: ArticleSerializer, **ERRORS},
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


CLAIM_ETAG = re.compile(r'^(?:W/)?"claim-(\d+)-v(\d+)"$')
NO_CLAIM = "No Claim matches the given query."  # what get_object() says


@extend_schema(tags=["claims"])
class ClaimViewSet(viewsets.ReadOnlyModelViewSet):
    """Claims found in articles, with their sources and current verdict."""

    permission_classes = [ReadOnlyUnlessEditor]
    pagination_class = IdCursorPagination
    filterset_class = ClaimFilter

    def get_serializer_class(self):
        return ClaimDetailSerializer if self.action == "retrieve" else ClaimSerializer

    def get_queryset(self):
        if self.action == "assign":
            # A write (no filters either): the service reads what it needs once the claim is locked.
            return Claim.objects.all()
        latest = Verdict.objects.select_related("reviewer", "superseded_by").order_by("-claim_version")
        queryset = Claim.objects.prefetch_related(
            Prefetch("verdicts", queryset=latest, to_attr="verdict_history")
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("sources")
        if self.action == "claimreview":
            queryset = queryset.select_related("article")
        return queryset

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = self.get_object().etag
        return response

    @extend_schema(
        request=VerdictInputSerializer,
        responses={
            201: VerdictSerializer,
            412: OpenApiResponse(ErrorSerializer, description="Stale version."),
            **ERRORS,
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
            match = CLAIM_ETAG.match(if_match.strip())
            if not match or int(match.group(1)) != claim_id:
                raise PreconditionFailed("If-Match does not name this claim.")
            expected = int(match.group(2))
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
            **ERRORS,
        },
        description="Take the next claim (reviewers and leads): the most check-worthy claim that needs you "
        "(second reviews first) is assigned to you and returned. Two reviewers never get the same claim.",
    )
    @action(detail=False, methods=["post"], url_path="next", pagination_class=None, filterset_class=None)
    def take_next(self, request):
        serializer = TakeNextInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = review_services.take_next_claim(
            reviewer=request.user,
            article_id=serializer.validated_data.get("article"),
            language=serializer.validated_data.get("language"),
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
            **ERRORS,
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
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                ClaimReviewSerializer, description="schema.org ClaimReview JSON-LD."
            ),
            404: OpenApiResponse(ErrorSerializer, description="No such claim, or no verdict yet."),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["get"], url_path="claimreview", pagination_class=None)
    def claimreview(self, request, pk=None):
        """schema.org ClaimReview for the claim's current verdict."""
        claim = self.get_object()
        history = claim.verdict_history
        if not history:
            raise NotFound("This claim has no verdict yet.", code="no_verdict")
        return Response(
            claim_review(claim, history[0], url=request.build_absolute_uri()),
            content_type="application/ld+json",
        )

    @extend_schema(responses={200: VerdictSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], url_path="verdicts", pagination_class=None)
    def verdicts(self, request, pk=None):
        """Every verdict given for the claim, oldest first."""
        claim = self.get_object()
        history = Verdict.objects.filter(claim=claim).select_related("reviewer", "superseded_by").feed_order()
        return Response(VerdictSerializer(history, many=True).data)


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
        parameters=[
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="Opaque cursor from next/previous/resume."
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 500, default 50."),
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of the page as last read: 304 when nothing on it changed.",
            ),
        ],
        responses={
            200: FeedPageSerializer,
            304: OpenApiResponse(description="Not modified since the ETag in If-None-Match."),
            **ERRORS,
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
