"""Articles, the claims found in them, and the sources gathered for each claim.

Invariants live in the database so that retried or duplicated tasks cannot create duplicates:
one article per canonical URL, one claim per (article, start offset), one source per (claim, URL).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from claims.signals import article_finished
from textkit.display import shorten


class ArticleStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    FETCHING = "fetching", "Fetching"
    EXTRACTING = "extracting", "Extracting"
    SOURCING = "sourcing", "Gathering sources"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (
    ArticleStatus.QUEUED,
    ArticleStatus.FETCHING,
    ArticleStatus.EXTRACTING,
    ArticleStatus.SOURCING,
)
FINISHED_STATUSES = (ArticleStatus.READY, ArticleStatus.FAILED)


def _statuses(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class ArticleQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def stale(self, *, older_than: timedelta):
        """Articles whose current stage has not moved for `older_than` (broker lost it, worker died)."""
        return self.in_progress().filter(status_changed_at__lt=timezone.now() - older_than)

    def transition(
        self,
        article_id: int,
        *,
        from_: str | Iterable[str],
        to: str,
        where: Q | None = None,
        **changes,
    ) -> bool:
        """Move one article from one of the `from_` statuses to `to`: the one way its status ever changes.

        One conditional UPDATE, so of two deliveries racing for the same move exactly one wins (True);
        the other, or a move from a status the article has left, changes nothing (False). `where` adds
        conditions (e.g. attempts left); `changes` are further columns to write (F() expressions allowed).
        Stamps status_changed_at (the sweeper's clock: `to == from_` restarts it for a new delivery) and
        updated_at. A move into ready or failed sends `article_finished` inside the same transaction, so a
        receiver's outbox row commits or rolls back with the move.
        """
        now = timezone.now()
        changes.setdefault("lease_expires_at", None)  # a move ends the stage's lease unless it starts one
        rows = self.filter(pk=article_id, status__in=_statuses(from_))
        if where is not None:
            rows = rows.filter(where)
        if to not in FINISHED_STATUSES:
            return bool(rows.update(status=to, status_changed_at=now, updated_at=now, **changes))
        # No savepoint: inside a caller's transaction this joins it (and costs no extra statements).
        with transaction.atomic(savepoint=False):
            moved = rows.update(status=to, status_changed_at=now, updated_at=now, **changes)
            if moved:
                article_finished.send(sender=Article, article_id=article_id, status=to)
        return bool(moved)

    def restart_clock(self, article_id: int, *, status: str) -> bool:
        """Reset the stage clock of an article still in `status` without changing it (the sweeper
        re-published its stage and waits a full period before trying again). False if it moved on."""
        return bool(self.filter(pk=article_id, status=status).update(status_changed_at=timezone.now()))


class Article(models.Model):
    url = models.URLField("submitted URL", max_length=2048)
    canonical_url = models.CharField(max_length=2048, unique=True)
    final_url = models.CharField(max_length=2048, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the fetched bytes.")
    content_length = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    title = models.TextField(blank=True)
    author = models.TextField(blank=True)
    sitename = models.CharField(max_length=255, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    language_note = models.TextField(blank=True)
    text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.QUEUED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The earlier article this page turned out to be (same final URL or rel=canonical).",
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="Deliveries that started the current stage (fetch or extraction); bounded, so a "
        "message that kills its worker every time ends as too_many_attempts instead of looping.",
    )
    notes = models.TextField(blank=True, help_text="Why the article has no claims, when it has none.")
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while a worker runs the fetch or extraction and renewed by it (claims/leases.py); "
        "past it, the worker is gone and the sweeper re-publishes the stage.",
    )
    claim_reviews = models.JSONField(
        default=list,
        blank=True,
        help_text="Published fact-checks (schema.org ClaimReview) embedded in the page.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "status_changed_at"]),
            GinIndex(fields=["search_vector"], name="article_search_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="failed") | Q(error_code=""), name="article_error_only_when_failed"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.canonical_url

    @property
    def error(self) -> dict[str, str] | None:
        if self.status != ArticleStatus.FAILED:
            return None
        return {"code": self.error_code, "message": self.error_message}


class ArticleAlias(models.Model):
    """Another canonical URL of an article: where its submitted URL redirected to, or the page's own
    <link rel=canonical>. Submitting an alias finds the article instead of creating a new one."""

    url = models.CharField(max_length=2048, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "article aliases"

    def __str__(self) -> str:
        return self.url


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Gathering sources"
    SOURCED = "sourced", "Sources gathered"
    SOURCES_FAILED = "sources_failed", "Source search failed"


class VerdictLabel(models.TextChoices):
    """What a reviewer decided. Pipeline failures are never a label (see docs/api.md)."""

    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    UNSUPPORTED = "unsupported", "Unsupported"


class SpeakerType(models.TextChoices):
    """schema.org types a claim's speaker can have (ClaimReview itemReviewed.author)."""

    PERSON = "Person", "Person"
    ORGANIZATION = "Organization", "Organization"


class ClaimQuerySet(models.QuerySet):
    def transition(self, *, from_: str | Iterable[str], to: str, where: Q | None = None, **changes) -> int:
        """Move these claims from one of the `from_` statuses to `to` (the one way a claim's status
        changes); returns how many moved. One conditional UPDATE, so racing deliveries cannot both win.
        Stamps updated_at (the sweeper reads it as "searched right now") and, when the search ends,
        sourced_at; `to == from_` records a new start (with e.g. attempts=F("attempts") + 1)."""
        now = timezone.now()
        if to in (ClaimStatus.SOURCED, ClaimStatus.SOURCES_FAILED):
            changes.setdefault("sourced_at", now)
        changes.setdefault("lease_expires_at", None)  # a move ends the search's lease unless it starts one
        rows = self.filter(status__in=_statuses(from_))
        if where is not None:
            rows = rows.filter(where)
        return rows.update(status=to, updated_at=now, **changes)

    def above_cut(self) -> ClaimQuerySet:
        """The claims the review queue offers: within their article's cap (FACTCHECK_CLAIMS_PER_ARTICLE)."""
        return self.filter(below_cut=False)


class Claim(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    text = models.TextField()
    start = models.PositiveIntegerField(help_text="Character offset of the claim in the article text.")
    end = models.PositiveIntegerField()
    spans = models.JSONField(default=list, help_text="Every [start, end] where the claim occurs.")
    context = models.JSONField(default=dict, help_text="Sentence before and after, and the article title.")
    language = models.CharField(max_length=8, blank=True)
    score = models.FloatField(help_text="Check-worthiness, 0..1.")
    signals = models.JSONField(default=dict, help_text="The signals that explain the score.")
    fingerprint = models.CharField(max_length=64, db_index=True, help_text="Hash of the normalised text.")
    match_keys = ArrayField(
        models.BigIntegerField(),
        default=list,
        blank=True,
        help_text="MinHash LSH band keys of the text (textkit/similarity.py): near-duplicate lookup.",
    )

    embedding = models.BinaryField(
        null=True,
        editable=False,
        help_text="The claim's unit vector from the text encoder (float32; encoder/), computed once at "
        "extraction and reused by evidence ranking and claim matching.",
    )
    embedding_model = models.CharField(
        max_length=64,
        blank=True,
        help_text="The encoder that made `embedding` (vectors of two are never compared).",
    )

    speaker_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="Who the sentence attributes the claim to (checkworthiness/speakers.py); blank when the "
        "sentence is the article's own statement or names nobody.",
    )
    speaker_type = models.CharField(max_length=16, choices=SpeakerType.choices, blank=True)

    rank = models.PositiveIntegerField(
        default=0,
        help_text="Place among the article's claims by score (1 = most check-worthy; 0 = not ranked yet).",
    )
    below_cut = models.BooleanField(
        default=False,
        help_text="Ranked past the per-article cap (FACTCHECK_CLAIMS_PER_ARTICLE): kept and searchable, but "
        "not offered by the review queue.",
    )

    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    provider_reports = models.JSONField(default=list, help_text="What each source provider did.")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Source searches started for this claim; bounded like Article.attempts."
    )
    sourced_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while a worker searches this claim's sources and renewed by it (claims/leases.py).",
    )

    # The current verdict, denormalised for filters and queues; the verdict rows are the record.
    verdict_label = models.CharField(max_length=16, choices=VerdictLabel.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Bumped by every verdict (ETag / If-Match).")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["article", "start"], name="claim_unique_start_per_article"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="claim_span_not_empty"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="claim_score_0_1"),
            models.CheckConstraint(
                condition=(Q(speaker_name="") & Q(speaker_type=""))
                | (~Q(speaker_name="") & Q(speaker_type__in=SpeakerType.values)),
                name="claim_speaker_named_with_type",
            ),
        ]
        indexes = [
            models.Index(fields=["verdict_label", "-score"]),
            models.Index(fields=["updated_at", "id"]),
            # fastupdate off: with a pending list every key lookup scans it whole (up to 4 MB of
            # unsorted entries until vacuum), which made matching the slowest step of ingest (docs/benchmarks.md)
            GinIndex(fields=["match_keys"], name="claim_match_keys_gin", fastupdate=False),
        ]

    def __str__(self) -> str:
        return shorten(self.text, 120)

    @property
    def speaker(self) -> dict[str, str] | None:
        if not self.speaker_name:
            return None
        return {"name": self.speaker_name, "type": self.speaker_type}

    @property
    def etag(self) -> str:
        return f'"claim-{self.pk}-v{self.version}"'


class ClaimMatch(models.Model):
    """An earlier claim (another article) that says what `claim` says: its verdict is worth reusing.

    Computed once when the claim is extracted (claims/matching.py); unique per pair so reruns add nothing.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="matches")
    matched = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="matched_by")
    similarity = models.FloatField(
        help_text="Jaccard similarity of the claims' shingles, 0..1 (1 = same text)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "-similarity", "matched_id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "matched"], name="claim_match_unique_pair"),
            models.CheckConstraint(condition=~Q(claim=models.F("matched")), name="claim_match_not_itself"),
            models.CheckConstraint(
                condition=Q(similarity__gte=0) & Q(similarity__lte=1), name="claim_match_similarity_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id} ≈ claim {self.matched_id} ({self.similarity:.2f})"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    UNCLEAR = "unclear", "Unclear"


class Source(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="sources")
    url = models.CharField(max_length=2048)
    canonical_url = models.CharField(max_length=2048)
    title = models.TextField(blank=True)
    publisher = models.CharField(max_length=255, blank=True)
    provider = models.CharField(max_length=32)
    query = models.TextField(blank=True, help_text="The search query that found this source.")
    published_at = models.DateTimeField(null=True, blank=True)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    snippet = models.TextField(blank=True)
    passages = models.JSONField(default=list)
    relevance = models.FloatField(default=0.0)
    rank = models.PositiveSmallIntegerField(default=0)
    stance = models.CharField(max_length=16, choices=Stance.choices, default=Stance.UNCLEAR)
    stance_reason = models.TextField(blank=True)
    rating = models.CharField(max_length=255, blank=True, help_text="A published fact-check's own rating.")
    claim_reviews = models.JSONField(
        default=list,
        blank=True,
        help_text="Published fact-checks (schema.org ClaimReview) embedded in the page.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "canonical_url"], name="source_unique_url_per_claim"),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class Snapshot(models.Model):
    """What a fetched page said when it was checked: provenance, and the bytes to redo an extraction."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="snapshots")
    url = models.CharField(max_length=2048)
    final_url = models.CharField(max_length=2048)
    http_status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=255, blank=True)
    charset = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64)
    content_length = models.PositiveIntegerField()
    fetched_at = models.DateTimeField()
    body = models.BinaryField(null=True, help_text="zlib-compressed raw bytes (dropped after the retention).")

    class Meta:
        ordering = ["-fetched_at", "-id"]
        get_latest_by = "fetched_at"
        constraints = [
            models.UniqueConstraint(fields=["article", "content_hash"], name="snapshot_unique_per_content"),
        ]

    def __str__(self) -> str:
        return f"{self.final_url} @ {self.fetched_at:%Y-%m-%d %H:%M}"
