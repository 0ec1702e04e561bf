"""Log context for web requests: a request id, and the article or claim an API URL is about."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.db import DataError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse

from factcheck import logging as log_context
from factcheck.proxies import note_forwarded

log = logging.getLogger("factcheck.request")

# A caller's (or proxy's) X-Request-ID is kept when it looks like an id, so that logs join up end to end.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# URL names of the API router -> the log field their `pk` is.
ID_FIELDS = {"article": "article_id", "claim": "claim_id"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_PREFIX = "/admin/"


class RequestContextMiddleware:
    """Bind request_id (echoed as X-Request-ID) and article_id/claim_id from the URL for the request's log
    lines, and the tasks it publishes; log one line per API write with its outcome."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        note_forwarded(request)  # a proxy header with FACTCHECK_NUM_PROXIES=0: `check --deploy` warns
        given = request.headers.get("X-Request-ID", "")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        token = log_context.bind(request_id=request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            if request.method in WRITES and request.path.startswith("/api/"):
                self.log_write(request, response, time.monotonic() - started)
        finally:
            log_context.reset(token)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        match = request.resolver_match
        prefix = (match.url_name or "").split("-", 1)[0] if match else ""
        field, pk = ID_FIELDS.get(prefix), view_kwargs.get("pk")
        if field and pk is not None and str(pk).isdigit():
            log_context.bind(**{field: int(pk)})  # reset with the request's token in __call__
        return None

    def log_write(self, request, response, seconds: float) -> None:
        extra = {"method": request.method, "path": request.path, "status": response.status_code}
        extra["duration_ms"] = round(seconds * 1000, 1)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            extra["user_id"] = user.pk
        data = getattr(response, "data", None)  # a new article's id is only known from the response
        if (
            request.resolver_match
            and request.resolver_match.url_name == "article-list"
            and isinstance(data, dict)
        ):
            extra["article_id"] = data.get("id")
        log.info("%s %s %s", request.method, request.path, response.status_code, extra=extra)


class BadQueryMiddleware:
    """No 500 from a query string (RELIABILITY.md A11).

    - A NUL character in any query parameter is refused with a 400 before a view runs: PostgreSQL cannot
      take it in a string, and no filter of ours means anything with one.
    - On admin pages, a list filter value the database refuses (`?created_at__year=99999999999`,
      `?text__regex=(((`, an id beyond 64 bits) is a 400 that says so, not a 500. The admin's own
      validation catches most bad values; these reach the database first.
    """

    ADMIN_ERRORS = (DataError, OverflowError)

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return self.refuse(request, "A query parameter contains a NUL character.")
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.method in ("GET", "HEAD") and request.path.startswith(ADMIN_PREFIX):
            if isinstance(exception, self.ADMIN_ERRORS):
                log.info("admin list refused a filter value: %s", exception)
                return self.refuse(request, "This list cannot be filtered by these values.")
        return None

    @staticmethod
    def refuse(request, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "bad_query"}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


# The admin and the API docs load only their own scripts and styles (Swagger UI from the sidecar package,
# served by whitenoise; its start-up script from /api/v1/docs/?script=, api/urls.py). No inline script
# runs: the review page's script is a static file (reviewers/static/reviewers/claim-page.js). Inline
# styles stay allowed (Swagger UI's page and the overview's colour swatches use them); they cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
CSP_PREFIXES = (ADMIN_PREFIX, "/api/v1/docs/")


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on the admin and the API docs pages (RELIABILITY.md A10)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(CSP_PREFIXES):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
