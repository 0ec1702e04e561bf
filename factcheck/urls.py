from django.contrib import admin
from django.urls import include, path

from factcheck.health import health
from factcheck.home import home
from factcheck.metrics import metrics

# The product's name on the login page, in the header and in the browser's title (Django's default says
# "Django administration").
admin.site.site_header = "Factcheck review"
admin.site.site_title = "Factcheck"
admin.site.index_title = "Review workplace"
# Django's left-hand app list would take a fifth of a 1366 px window from the claims list and its filters;
# the header links to the review pages instead (templates/admin/base_site.html).
admin.site.enable_nav_sidebar = False

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
