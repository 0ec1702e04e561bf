"""REST API views: DRF generic views; serializers validate, services decide."""

from __future__ import annotations

import re

from django.db.models import Count, Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.claimreview import claim_review
from api.exceptions import PreconditionFailed
from api.filters import ArticleFilter, ClaimFilter, VerdictFilter
from api.pagination import CreatedCursorPagination, FeedCursorPagination, IdCursorPagination
from api.permissions import ReadOnlyUnlessEditor
from api.serializers import (
    ArticleSerializer,
    ArticleSubmitSerializer,
    ClaimDetailSerializer,
    ClaimSerializer,
    ErrorSerializer,
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
            ArticleSerializer(article).data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        )


CLAIM_ETAG = re.compile(r'^(?:W/)?"claim-(\d+)-v(\d+)"$')


@extend_schema(tags=["claims"])
class ClaimViewSet(viewsets.ReadOnlyModelViewSet):
    """Claims found in articles, with their sources and current verdict."""

    permission_classes = [ReadOnlyUnlessEditor]
    pagination_class = IdCursorPagination
    filterset_class = ClaimFilter

    def get_serializer_class(self):
        return ClaimDetailSerializer if self.action == "retrieve" else ClaimSerializer

    def get_queryset(self):
        latest = Verdict.objects.select_related("reviewer", "superseded_by").order_by("-claim_version")
        queryset = Claim.objects.prefetch_related(Prefetch("verdicts", queryset=latest, to_attr="verdict_history"))
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
        responses={201: VerdictSerializer, 412: OpenApiResponse(ErrorSerializer, description="Stale version."),
                   **ERRORS},
        parameters=[
            OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                             description="The claim's ETag as read; a stale one gets 412."),
        ],
        description="Record a verdict (reviewers and leads only). It supersedes the current one.",
    )
    @action(detail=True, methods=["post"], url_path="verdict")
    def verdict(self, request, pk=None):
        claim = self.get_object()
        serializer = VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = serializer.validated_data.get("version")
        if_match = request.headers.get("If-Match")
        if if_match and if_match.strip() != "*":
            match = CLAIM_ETAG.match(if_match.strip())
            if not match or int(match.group(1)) != claim.pk:
                raise PreconditionFailed("If-Match does not name this claim.")
            expected = int(match.group(2))
        verdict = review_services.record_verdict(
            claim=claim,
            reviewer=request.user,
            label=serializer.validated_data["label"],
            rationale=serializer.validated_data["rationale"],
            source_ids=serializer.validated_data.get("sources", []),
            expected_version=expected,
        )
        response = Response(VerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)
        response["ETag"] = claim.etag
        return response

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="schema.org ClaimReview JSON-LD."),
                   404: OpenApiResponse(ErrorSerializer, description="No such claim, or no verdict yet."),
                   **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="claimreview", pagination_class=None)
    def claimreview(self, request, pk=None):
        """schema.org ClaimReview for the claim's current verdict."""
        claim = self.get_object()
        history = claim.verdict_history
        if not history:
            raise NotFound("This claim has no verdict yet.", code="no_verdict")
        return Response(claim_review(claim, history[0], url=request.build_absolute_uri()),
                        content_type="application/ld+json")

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
    pagination_class = FeedCursorPagination
    filterset_class = VerdictFilter

    def get_queryset(self):
        return Verdict.objects.select_related("reviewer", "superseded_by", "claim")
