from django.contrib import admin
from django.urls import include, path

from factcheck.health import health
from factcheck.home import home
from factcheck.metrics import metrics

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("health/", health, name="health"),
    path("metrics", metrics, name="metrics"),  # Prometheus text; staff or FACTCHECK_METRICS_TOKEN
]

handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.not_found"
handler500 = "api.exceptions.server_error"
