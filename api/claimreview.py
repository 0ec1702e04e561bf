"""schema.org ClaimReview JSON-LD: per claim (its newest final verdict) and as a keyset-paginated feed.

Only what is settled is published (issue 16.2): a verdict that awaits a second review (`provisional`) or
a lead (`escalated`) under FACTCHECK_REVIEWS_REQUIRED is never a ClaimReview; the claim keeps showing its
newest final verdict, or none. The verdict feed and the webhooks say the state of every verdict instead.

Rating scale (documented in docs/api.md): disputed = 1 (worstRating), unsupported = 2, verified = 3
(bestRating); the label itself is the rating's `alternateName`. The author is the organisation named by
FACTCHECK_ORGANIZATION_NAME / FACTCHECK_ORGANIZATION_URL. The claim's own author (itemReviewed.author) is
its speaker (checkworthiness/speakers.py); the article's byline and publisher are in its appearance.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.settings import api_settings

from api.conditional import conditional_response
from api.feed import KEYSET_PAGE_PARAMETERS, NOT_MODIFIED, KeysetLinksSerializer, below_horizon
from api.filters import VerdictFilter
from api.pagination import KeysetPagination
from checkworthiness.speakers import authors_of
from claims.models import Claim, SpeakerType, VerdictLabel
from reviewers import labels
from reviewers.models import ReviewState, Verdict

RATING = labels.RATINGS
WORST_RATING, BEST_RATING = labels.WORST_RATING, labels.BEST_RATING


def claim_author(claim: Claim, article) -> dict | None:
    """Who made the claim: the speaker its sentence names (Person or Organization); for a statement the
    article makes itself, its publisher; nobody when the sentence quotes or cites someone it does not name
    (never the journalist who reported it)."""
    if claim.speaker_name:
        return {"@type": claim.speaker_type, "name": claim.speaker_name}
    signals = claim.signals or {}
    if signals.get("attribution") or signals.get("quote"):
        return None
    if article.sitename:
        return {"@type": "Organization", "name": article.sitename}
    return None


def claim_review(claim: Claim, verdict: Verdict, *, url: str) -> dict:
    """The ClaimReview of `verdict` on `claim`, published at `url`."""
    article = claim.article
    organisation = {
        "@type": "Organization",
        "name": settings.FACTCHECK_ORGANIZATION_NAME,
        "url": settings.FACTCHECK_ORGANIZATION_URL,
    }
    appearance: dict[str, object] = {"@type": "CreativeWork", "url": article.canonical_url}
    if article.title:
        appearance["headline"] = article.title
    if article.published_at:
        appearance["datePublished"] = article.published_at.isoformat()
    # The byline, one entry per person or organisation ("FAZ GmbH; Benjamin Fischer; Marcus Theurer").
    authors = authors_of(article.author, language=claim.language or article.language or "en")
    if authors:
        appearance["author"] = [{"@type": a.type, "name": a.name} for a in authors]
    if article.sitename:
        appearance["publisher"] = {"@type": "Organization", "name": article.sitename}
    item = {"@type": "Claim", "appearance": [appearance], "firstAppearance": appearance}
    author = claim_author(claim, article)
    if author:
        item["author"] = author
    if article.published_at:
        item["datePublished"] = article.published_at.isoformat()
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.text,
        "datePublished": verdict.decided_at.date().isoformat(),
        "author": organisation,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING[verdict.label],
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": verdict.label,
            "ratingExplanation": verdict.rationale,
        },
        "itemReviewed": item,
        "inLanguage": claim.language or article.language,
    }


def settled(verdicts):
    """The newest final verdict of each claim among `verdicts`: what ClaimReview publishes."""
    newer_final = Verdict.objects.filter(
        claim=OuterRef("claim"), state=ReviewState.FINAL, claim_version__gt=OuterRef("claim_version")
    )
    return verdicts.filter(state=ReviewState.FINAL).exclude(Exists(newer_final))


def newest_final(history: list[Verdict]) -> Verdict | None:
    """The newest final verdict in a claim's history (newest first), None when nothing is settled."""
    return next((v for v in history if v.state == ReviewState.FINAL), None)


# --------------------------------------------------------------------------- the feed


def _jsonld(class_name: str, type_name: str, /, **fields) -> type[serializers.Serializer]:
    """A serializer class describing a JSON-LD node (its "@type" and "@context" are not Python names)."""
    attrs = {"@type": serializers.CharField(help_text=f'"{type_name}"'), **fields}
    return type(class_name, (serializers.Serializer,), attrs)


OrganizationSerializer = _jsonld(
    "OrganizationSerializer", "Organization", name=serializers.CharField(), url=serializers.URLField()
)
AgentSerializer = type(
    "AgentSerializer",
    (serializers.Serializer,),
    {
        "@type": serializers.ChoiceField(choices=SpeakerType.values, help_text='"Person" or "Organization"'),
        "name": serializers.CharField(),
    },
)
PublisherSerializer = _jsonld("PublisherSerializer", "Organization", name=serializers.CharField())
CreativeWorkSerializer = _jsonld(
    "CreativeWorkSerializer",
    "CreativeWork",
    url=serializers.URLField(),
    headline=serializers.CharField(required=False),
    datePublished=serializers.DateTimeField(required=False),
    author=AgentSerializer(many=True, required=False, help_text="The article's byline, one entry each."),
    publisher=PublisherSerializer(required=False, help_text="The site that published the article."),
)
RatingSerializer = _jsonld(
    "RatingSerializer",
    "Rating",
    ratingValue=serializers.IntegerField(
        min_value=WORST_RATING, max_value=BEST_RATING, help_text="1 disputed, 2 unsupported, 3 verified."
    ),
    bestRating=serializers.IntegerField(),
    worstRating=serializers.IntegerField(),
    alternateName=serializers.ChoiceField(choices=VerdictLabel.choices, help_text="The verdict label."),
    ratingExplanation=serializers.CharField(help_text="The reviewer's rationale."),
)
ClaimItemSerializer = _jsonld(
    "ClaimItemSerializer",
    "Claim",
    appearance=CreativeWorkSerializer(many=True),
    firstAppearance=CreativeWorkSerializer(),
    author=AgentSerializer(
        required=False,
        help_text="Who made the claim: the speaker its sentence names, or the publisher for the article's "
        "own statement; absent when the sentence quotes someone it does not name.",
    ),
    datePublished=serializers.DateTimeField(required=False),
)
ClaimReviewSerializer = _jsonld(
    "ClaimReviewSerializer",
    "ClaimReview",
    url=serializers.URLField(),
    claimReviewed=serializers.CharField(),
    datePublished=serializers.DateField(),
    author=OrganizationSerializer(),
    reviewRating=RatingSerializer(),
    itemReviewed=ClaimItemSerializer(),
    inLanguage=serializers.CharField(allow_blank=True),
    **{"@context": serializers.CharField(help_text='"https://schema.org"')},
)


@extend_schema_serializer(many=False)
class ClaimReviewPageSerializer(KeysetLinksSerializer):
    results = ClaimReviewSerializer(many=True)


@extend_schema(tags=["verdicts"])
class ClaimReviewFeedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """schema.org ClaimReview for every claim's newest final verdict, in decision order (keyset pages)."""

    filterset_class = VerdictFilter
    pagination_class = None
    serializer_class = ClaimReviewSerializer

    def get_queryset(self):
        current = settled(Verdict.objects.all()).select_related("claim__article")
        return below_horizon(current).defer("claim__article__text", "claim__article__search_vector")

    @extend_schema(
        parameters=KEYSET_PAGE_PARAMETERS,
        responses={
            200: ClaimReviewPageSerializer,
            **NOT_MODIFIED,
        },
        description="ClaimReview JSON-LD of each claim's newest final verdict (provisional and escalated "
        "verdicts are never published). A claim settled again moves to the end of the feed with its new "
        "verdict; `updated_since` picks up what changed since a time.",
    )
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        paginator = KeysetPagination(time_field="decided_at", page_size=api_settings.PAGE_SIZE)
        page = paginator.paginate(queryset, request, key=lambda v: (v.decided_at, v.pk))
        results = [
            claim_review(
                v.claim,
                v,
                url=request.build_absolute_uri(reverse("claim-claimreview", kwargs={"pk": v.claim_id})),
            )
            for v in page.rows
        ]
        body = {"next": page.next, "previous": page.previous, "resume": page.resume, "results": results}
        return conditional_response(request, body, tag="claimreviews")
