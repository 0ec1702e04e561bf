"""Serializers validate and shape; services decide. Explicit fields everywhere."""

from __future__ import annotations

from urllib.parse import quote

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import Article, Claim, ClaimStatus, Source, SpeakerType, VerdictLabel
from claims.published import published_fact_checks
from claims.search_story import FAILED, FAILURES, FOUND, NOTHING_FOUND, search_story
from outbound.urlnorm import as_uri
from reviewers.activity import DECIDED, ESCALATED, OVERRIDDEN
from reviewers.models import ClaimAction, Verdict

# PostgreSQL's bigint: versions and ids beyond it are refused (400) or never match (412/404); they never
# reach the database, which would answer with an error (a 500).
MAX_BIGINT = 2**63 - 1
URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    hint = serializers.CharField(
        required=False,
        help_text="For a refused address or port: the setting that would allow it. Staff, or development only.",
    )


class ArticleErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ProgressSerializer(serializers.Serializer):
    claims = serializers.IntegerField(help_text="Claims found in the article.")
    sourced = serializers.IntegerField(help_text="Claims whose source search has finished.")


class UriField(serializers.URLField):
    """A stored URL as a valid URI (`format: uri`): the submitted URL is kept as written, which may hold
    spaces or a non-ASCII host; outbound.urlnorm.as_uri encodes them."""

    def to_representation(self, value: str) -> str:
        try:
            return as_uri(value)
        except ValueError:  # nothing stored is refused (submissions are checked), but never a 500
            return quote(value, safe=URI_SAFE)


class ArticleSerializer(serializers.ModelSerializer):
    url = UriField(
        read_only=True, help_text="The submitted URL (as a URI: IDN hosts in punycode, spaces encoded)."
    )
    error = ArticleErrorSerializer(read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "canonical_url",
            "final_url",
            "title",
            "author",
            "sitename",
            "published_at",
            "language",
            "language_note",
            "status",
            "error",
            "notes",
            "duplicate_of",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, article: Article) -> dict[str, int]:
        return {"claims": getattr(article, "n_claims", 0), "sourced": getattr(article, "n_sourced", 0)}


class ArticleSubmitSerializer(serializers.Serializer):
    url = serializers.CharField(
        trim_whitespace=True, help_text="http(s) URL of the article, at most 2048 characters."
    )


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "title",
            "publisher",
            "provider",
            "query",
            "published_at",
            "retrieved_at",
            "snippet",
            "passages",
            "relevance",
            "rank",
            "stance",
            "stance_reason",
            "rating",
            "content_hash",
        ]
        read_only_fields = fields


_DATETIME = serializers.DateTimeField()  # formats like every DateTimeField of the API


class VerdictSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    sources = serializers.JSONField(source="cited_sources", read_only=True)
    supersedes: serializers.PrimaryKeyRelatedField[Verdict] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    superseded_by = serializers.SerializerMethodField()
    final = serializers.SerializerMethodField()

    class Meta:
        model = Verdict
        fields = [
            "id",
            "claim",
            "label",
            "rationale",
            "sources",
            "reviewer",
            "decided_at",
            "claim_version",
            "supersedes",
            "superseded_by",
            "final",
            "state",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_superseded_by(self, verdict: Verdict) -> int | None:
        successor = getattr(verdict, "superseded_by", None)
        return successor.pk if successor else None

    def to_representation(self, verdict: Verdict) -> dict:
        """What the fields above render, built directly: DRF sets up a ModelSerializer's fields for every
        instance (a measurable share of a POST: docs/benchmarks.md, P6), and a verdict is rendered on every POST and for
        every claim in a list. The fields still describe the shape (OpenAPI); a test keeps the two equal."""
        return {
            "id": verdict.pk,
            "claim": verdict.claim_id,
            "label": verdict.label,
            "rationale": verdict.rationale,
            "sources": verdict.cited_sources,
            "reviewer": verdict.reviewer.username,
            "decided_at": _DATETIME.to_representation(verdict.decided_at),
            "claim_version": verdict.claim_version,
            "supersedes": verdict.supersedes_id,
            "superseded_by": self.get_superseded_by(verdict),
            "final": verdict.final,
            "state": verdict.state,
        }

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_final(self, verdict: Verdict) -> bool:
        """Final when FACTCHECK_REVIEWS_REQUIRED reviewers agreed (or a lead decided); decided at insert."""
        return verdict.final


class CurrentVerdictMixin:
    @extend_schema_field(VerdictSerializer(allow_null=True))
    def get_verdict(self, claim: Claim):
        history = getattr(claim, "verdict_history", None)
        if history is None:
            history = list(claim.verdicts.order_by("-claim_version")[:1])
        return VerdictSerializer(history[0]).data if history else None


class SpeakerSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=SpeakerType.choices)


class ClaimSerializer(CurrentVerdictMixin, serializers.ModelSerializer):
    verdict = serializers.SerializerMethodField()
    speaker = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "article",
            "text",
            "start",
            "end",
            "language",
            "speaker",
            "score",
            "rank",
            "below_cut",
            "status",
            "verdict",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SpeakerSerializer(allow_null=True))
    def get_speaker(self, claim: Claim) -> dict | None:
        """Who the sentence attributes the claim to, when it names someone; null for the article's own."""
        return claim.speaker


class MatchSerializer(CurrentVerdictMixin, serializers.ModelSerializer):
    verdict = serializers.SerializerMethodField()
    similarity = serializers.FloatField(
        read_only=True, help_text="How much of the wording the two claims share, 0..1 (1 = same text)."
    )

    class Meta:
        model = Claim
        fields = ["id", "article", "text", "language", "similarity", "verdict"]
        read_only_fields = fields


class ProviderOutcomeSerializer(serializers.Serializer):
    provider = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=[FOUND, NOTHING_FOUND, FAILED],
        help_text="found: it returned results; nothing_found: it searched and found nothing; failed: it "
        "could not search (see failure), so its silence is no evidence.",
    )
    failure = serializers.ChoiceField(
        choices=list(FAILURES), allow_null=True, help_text="Why it failed; null unless failed."
    )
    detail = serializers.CharField(allow_blank=True, help_text="The provider's own message.")
    queries = serializers.ListField(child=serializers.CharField(), help_text="What it was asked.")
    candidates = serializers.IntegerField(help_text="Results it returned.")
    kept = serializers.IntegerField(help_text="Of them, sources kept for the claim after ranking.")
    elapsed_ms = serializers.IntegerField()


class SearchStorySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    searched_at = serializers.DateTimeField(allow_null=True, help_text="When the last search finished.")
    providers = ProviderOutcomeSerializer(many=True)


class ClaimReviewRatingSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="reviewRating.alternateName: the rating in words, e.g. “False”.")
    value = serializers.CharField(help_text="reviewRating.ratingValue, as the page wrote it (may be empty).")
    best = serializers.CharField(help_text="reviewRating.bestRating (may be empty).")
    worst = serializers.CharField(help_text="reviewRating.worstRating (may be empty).")


class PublishedFactCheckSerializer(serializers.Serializer):
    claim_reviewed = serializers.CharField(
        help_text="ClaimReview.claimReviewed: the claim as the checker wrote it."
    )
    rating = ClaimReviewRatingSerializer()
    author = serializers.CharField(help_text="ClaimReview.author: who published the fact-check.")
    url = serializers.CharField(help_text="ClaimReview.url, or the page it was found on when it names none.")
    date_published = serializers.CharField(help_text="ClaimReview.datePublished as written (may be empty).")
    found_on = serializers.ChoiceField(
        choices=["article", "source"], help_text="Which fetched page carried it."
    )
    found_on_url = serializers.CharField(help_text="The URL of that page.")
    source = serializers.IntegerField(  # type: ignore[assignment]  # shadows Field.source in the stubs only
        allow_null=True, help_text="The source's id when found on a source page."
    )


class ClaimDetailSerializer(ClaimSerializer):
    sources = SourceSerializer(many=True, read_only=True)
    matches = serializers.SerializerMethodField()
    search = serializers.SerializerMethodField()
    published_fact_checks = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = ClaimSerializer.Meta.fields + [
            "spans",
            "context",
            "signals",
            "provider_reports",
            "search",
            "sources",
            "matches",
            "published_fact_checks",
        ]
        read_only_fields = fields

    @extend_schema_field(PublishedFactCheckSerializer(many=True))
    def get_published_fact_checks(self, claim: Claim) -> list[dict]:
        """ClaimReview markup embedded in the article or a source page (claims/published.py)."""
        return published_fact_checks(claim.article, claim.sources.all())

    @extend_schema_field(SearchStorySerializer)
    def get_search(self, claim: Claim) -> dict:
        """How the source search went, per provider (claims/search_story.py)."""
        story = search_story(claim, (source.provider for source in claim.sources.all()))
        return SearchStorySerializer(story).data

    @extend_schema_field(MatchSerializer(many=True))
    def get_matches(self, claim: Claim):
        """The earlier claims stored as matches at extraction (claims/matching.py), most similar first."""
        links = claim.matches.select_related("matched").order_by("-similarity", "matched_id")[:5]
        earlier = []
        for link in links:
            link.matched.similarity = link.similarity  # type: ignore[attr-defined]  # for MatchSerializer
            earlier.append(link.matched)
        return MatchSerializer(earlier, many=True).data


class VerdictInputSerializer(serializers.Serializer):
    label = serializers.ChoiceField(  # type: ignore[assignment]  # shadows Field.label in the stubs only
        choices=VerdictLabel.choices
    )
    rationale = serializers.CharField(max_length=20000, allow_blank=False, trim_whitespace=True)
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_BIGINT), required=False, max_length=100
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_BIGINT,
        help_text="The claim version you decided on (alternative to If-Match).",
    )
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Leads only: make this verdict final without a second review.",
    )


class AssignInputSerializer(serializers.Serializer):
    reviewer = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="Username to assign the claim to (default: yourself); null releases it.",
    )


class AssignmentSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim_id")
    reviewer = serializers.CharField(source="reviewer.username", allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)


class TakeNextInputSerializer(serializers.Serializer):
    article = serializers.IntegerField(required=False, min_value=1, help_text="Only claims of this article.")
    language = serializers.CharField(required=False, max_length=8, help_text="Only claims in this language.")
    another = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Put the claim you hold back into the queue and take the next one instead.",
    )


class SendBackInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=5000,
        trim_whitespace=True,
        help_text="Why the claim goes back to the queue; the next reviewer reads it. Required.",
    )


class DraftInputSerializer(serializers.Serializer):
    label = serializers.ChoiceField(  # type: ignore[assignment]  # shadows Field.label in the stubs only
        choices=VerdictLabel.choices, required=False, allow_blank=True
    )
    rationale = serializers.CharField(
        required=False, allow_blank=True, max_length=20000, trim_whitespace=True
    )
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=100
    )


class DraftSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim_id")
    reviewer = serializers.CharField(source="reviewer.username")
    label = serializers.CharField(  # type: ignore[assignment]  # shadows Field.label in the stubs only
        help_text="The label chosen so far ('' for none yet)."
    )
    rationale = serializers.CharField()
    sources = serializers.ListField(child=serializers.IntegerField(), source="source_ids")
    updated_at = serializers.DateTimeField()


class ActivitySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=[*ClaimAction.values, DECIDED, OVERRIDDEN, ESCALATED])
    actor = serializers.CharField(help_text="Who did it (username).")
    reviewer = serializers.CharField(
        allow_null=True, help_text="Whom an assignment event concerns (assigned to, released from)."
    )
    previous_reviewer = serializers.CharField(
        allow_null=True, help_text="Who held the claim before a reassignment."
    )
    comment = serializers.CharField(
        allow_blank=True, help_text="A send-back's comment, or a verdict's rationale."
    )
    verdict = serializers.IntegerField(allow_null=True, help_text="The verdict a decision recorded.")
    label = serializers.ChoiceField(  # type: ignore[assignment]  # shadows Field.label in the stubs only
        choices=VerdictLabel.choices, allow_null=True
    )
    state = serializers.CharField(allow_null=True, help_text="The verdict's review state.")


class SearchRerunSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    status = serializers.CharField(help_text='"pending": the new search is queued.')
