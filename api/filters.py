import django_filters
from django.db.models import Q

from claims.models import Article, ArticleStatus, Claim, ClaimStatus, VerdictLabel
from reviewers.models import Verdict


class ArticleFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ArticleStatus.choices)
    language = django_filters.CharFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Article
        fields = ["status", "language", "updated_since"]


class ClaimFilter(django_filters.FilterSet):
    article = django_filters.NumberFilter(field_name="article_id")
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    verdict = django_filters.ChoiceFilter(
        field_name="verdict_label",
        choices=[*VerdictLabel.choices, ("none", "No verdict yet")],
        method="filter_verdict",
    )
    language = django_filters.CharFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_text", max_length=500, help_text="Words the claim contains.")

    class Meta:
        model = Claim
        fields = ["article", "status", "verdict", "language", "updated_since", "q"]

    def filter_verdict(self, queryset, name, value):
        return queryset.filter(verdict_label="" if value == "none" else value)

    def filter_text(self, queryset, name, value):
        condition = Q()
        for word in value.split()[:10]:
            condition &= Q(text__icontains=word)
        return queryset.filter(condition)


class VerdictFilter(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(field_name="decided_at", lookup_expr="gte")
    label = django_filters.ChoiceFilter(choices=VerdictLabel.choices)
    language = django_filters.CharFilter(field_name="claim__language")
    article = django_filters.NumberFilter(field_name="claim__article_id")

    class Meta:
        model = Verdict
        fields = ["updated_since", "label", "language", "article"]
