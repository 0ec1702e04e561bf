"""Log context for web requests: a request id, and the article or claim an API URL is about."""

from __future__ import annotations

import logging
import re
import time
import uuid

from factcheck import logging as log_context
from factcheck.proxies import note_forwarded

log = logging.getLogger("factcheck.request")

# A caller's (or proxy's) X-Request-ID is kept when it looks like an id, so that logs join up end to end.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# URL names of the API router -> the log field their `pk` is.
ID_FIELDS = {"article": "article_id", "claim": "claim_id"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


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
