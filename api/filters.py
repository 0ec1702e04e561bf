from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q

from claims.models import Article, ArticleStatus, Claim, ClaimStatus, VerdictLabel
from reviewers.models import Verdict


class IntegerFilter(django_filters.NumberFilter):
    """An id filter: whole numbers in the database's bigint range only (no decimals, no overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class SinceFilter(django_filters.IsoDateTimeFilter):
    """`updated_since`: an ISO 8601 time, compared in UTC (PostgreSQL refuses offsets past ±15:59)."""

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value else value)


class ArticleFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ArticleStatus.choices)
    language = django_filters.CharFilter()
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Article
        fields = ["status", "language", "updated_since"]


class ClaimFilter(django_filters.FilterSet):
    article = IntegerFilter(field_name="article_id", help_text="Only claims of this article.")
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    verdict = django_filters.ChoiceFilter(
        field_name="verdict_label",
        choices=[*VerdictLabel.choices, ("none", "No verdict yet")],
        method="filter_verdict",
    )
    language = django_filters.CharFilter()
    updated_since = SinceFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_text", max_length=500, help_text="Words the claim contains.")
    below_cut = django_filters.BooleanFilter(
        help_text="true: only claims ranked past their article's cap (kept, not offered for review); "
        "false: only claims within it."
    )

    class Meta:
        model = Claim
        fields = ["article", "status", "verdict", "language", "updated_since", "q", "below_cut"]

    def filter_verdict(self, queryset, name, value):
        return queryset.filter(verdict_label="" if value == "none" else value)

    def filter_text(self, queryset, name, value):
        condition = Q()
        for word in value.split()[:10]:
            condition &= Q(text__icontains=word)
        return queryset.filter(condition)


class VerdictFilter(django_filters.FilterSet):
    updated_since = SinceFilter(
        field_name="decided_at", lookup_expr="gte", help_text="Only verdicts decided at or after this time."
    )
    label = django_filters.ChoiceFilter(choices=VerdictLabel.choices)
    language = django_filters.CharFilter(field_name="claim__language", max_length=16)
    article = IntegerFilter(
        field_name="claim__article_id", help_text="Only verdicts on this article's claims."
    )

    class Meta:
        model = Verdict
        fields = ["updated_since", "label", "language", "article"]
