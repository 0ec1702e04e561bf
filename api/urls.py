from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views
from api.claimreview import ClaimReviewFeedViewSet
from api.matches import MatchViewSet, WatchViewSet
from api.webhooks import WebhookViewSet

router = DefaultRouter(trailing_slash=True)
router.register("articles", views.ArticleViewSet, basename="article")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("verdicts", views.VerdictFeedViewSet, basename="verdict")
router.register("claimreviews", ClaimReviewFeedViewSet, basename="claimreview")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("matches", MatchViewSet, basename="match")
router.register("watches", WatchViewSet, basename="watch")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from the same URL (?script=): no inline script for the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
