""" "Has this been checked?" for outsiders: POST /api/v1/matches/ and POST /api/v1/watches/ (docs/api.md).

A text in any language is matched against stored claims as claim matching matches a new claim
(claims/matching.py: lexical keys in its language, centred vectors across languages where the server has
pgvector); only decided claims are answered, each with its current verdict and ClaimReview link. A watch
asks for a signed `claim.matched_verdict` webhook when a claim matching the text is decided later
(publishing/watches.py).
"""

from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from api.permissions import HasARole
from claims import vectors
from claims.matching import find_matches
from publishing import watches
from publishing.models import Watch
from reviewers.models import ReviewState, Verdict
from textkit.terms import STOP_WORDS, fold

CANDIDATES = 50  # matches looked at before keeping the decided ones
MAX_RESULTS = 10
MAX_TEXT = 5000


class MatchInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, help_text="The claim to look up, in any language.")
    language = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="ISO 639-1; detected when left out."
    )


class MatchVerdictSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # shadows Field.label in the stubs only
    state = serializers.CharField()
    final = serializers.BooleanField()
    decided_at = serializers.DateTimeField()


class MatchResultSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    text = serializers.CharField()
    language = serializers.CharField()
    score = serializers.FloatField(help_text="0..1: lexical similarity, or centred cosine across languages.")
    verdict = MatchVerdictSerializer(help_text="The claim's current verdict.")
    claimreview = serializers.URLField()


class MatchResultsSerializer(serializers.Serializer):
    results = MatchResultSerializer(many=True)


class WatchInputSerializer(MatchInputSerializer):
    url = serializers.CharField(max_length=2048, help_text="http(s) URL receiving claim.matched_verdict.")


class WatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    language = serializers.CharField()
    url = serializers.CharField(source="subscription.url")
    events = serializers.ListField(child=serializers.CharField(), source="subscription.events")
    created_at = serializers.DateTimeField()


class NewWatchSerializer(WatchSerializer):
    secret = serializers.CharField(
        source="subscription.secret", help_text="whsec_…; shown only in this answer."
    )


def guess_language(text: str) -> str:
    """The language whose stop words the text uses most (textkit's languages), "en" when none: instant,
    unlike the full detector (which loads its models for ~20 s on first use in a web process)."""
    words = [fold(w) for w in re.findall(r"\w+", text)]
    counts = {lang: sum(w in stop for w in words) for lang, stop in STOP_WORDS.items()}
    best = max(counts, key=lambda lang: (counts[lang], lang == "en"))
    return best if counts[best] else "en"


def _language(data: dict) -> str:
    return (data.get("language") or "").strip().lower() or guess_language(data["text"])


def decided_matches(text: str, language: str, request) -> list[dict]:
    """The decided claims matching `text`, best first, each with its newest final verdict (like ClaimReview:
    a provisional or escalated verdict is not published)."""
    vector = vectors.text_vector(text) if vectors.available() else None  # no pgvector: lexical only
    found = find_matches(text, language=language, limit=CANDIDATES, vector=vector)
    newest = {
        v.claim_id: v
        for v in Verdict.objects.filter(claim_id__in=[m.claim_id for m in found], state=ReviewState.FINAL)
        .select_related("claim")
        .order_by("claim_id", "-claim_version")
        .distinct("claim_id")
    }
    results = []
    for match in found:
        verdict = newest.get(match.claim_id)
        if verdict is None:
            continue
        url = request.build_absolute_uri(reverse("claim-claimreview", kwargs={"pk": match.claim_id}))
        results.append(
            {
                "claim": match.claim_id,
                "text": verdict.claim.text,
                "language": verdict.claim.language,
                "score": match.similarity,
                "verdict": watches.verdict_summary(verdict),
                "claimreview": url,
            }
        )
    return results[:MAX_RESULTS]


@extend_schema(tags=["matching"])
class MatchViewSet(viewsets.ViewSet):
    """Has this been checked? The decided claims that say what a text says, in any language."""

    @extend_schema(request=MatchInputSerializer, responses={200: MatchResultsSerializer})
    def create(self, request):
        serializer = MatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response({"results": decided_matches(data["text"], _language(data), request)})


@extend_schema(tags=["matching"])
class WatchViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Hear when a claim matching a text is decided: a signed claim.matched_verdict webhook. Any role may
    watch; each account sees and deletes only its own watches (at most FACTCHECK_WATCHES_PER_ACCOUNT)."""

    permission_classes = [HasARole]
    serializer_class = WatchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model for the schema
            return Watch.objects.none()
        return (
            Watch.objects.filter(subscription__created_by=self.request.user.pk)
            .select_related("subscription")
            .order_by("id")
        )

    def perform_destroy(self, instance):
        watches.delete_watch(instance)

    @extend_schema(request=WatchInputSerializer, responses={201: NewWatchSerializer})
    def create(self, request):
        serializer = WatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        watch = watches.create_watch(
            text=data["text"], language=_language(data), url=data["url"], created_by=request.user
        )
        return Response(NewWatchSerializer(watch).data, status=status.HTTP_201_CREATED)
