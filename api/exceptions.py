"""One JSON error shape for the whole API: `{"detail": ..., "code": ...}` (field errors as DRF shapes
them). Service-level ValidationError becomes 400 and VersionConflict 412; nothing becomes an HTML page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from reviewers.roles import INTEGRATIONS, LEADS, has_role
from reviewers.services import VersionConflict


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it."
    default_code = "precondition_failed"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def may_see_hints(request) -> bool:
    """Hints name settings and so tell how the network is set up: leads and integrations (who set things
    up), or development (DEBUG), only. Staff status alone does not count."""
    user = getattr(request, "user", None)
    return settings.DEBUG or bool(user is not None and has_role(user, LEADS, INTEGRATIONS))


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        message = " ".join(exc.messages)
        body = {"detail": message, "code": exc.code or "invalid"}
        hint = getattr(exc, "hint", None)
        if hint and may_see_hints(context.get("request")):
            body["hint"] = hint
        exc = exceptions.ValidationError(body)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(" ".join(exc.args) or None)
    elif isinstance(exc, VersionConflict):
        exc = PreconditionFailed(str(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and "code" not in data:
        detail = data["detail"]
        data["code"] = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return response


def json_error(request, status_code: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status_code)


def is_api(request) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/health/")


# Site-wide error handlers: JSON under /api/, Django's own pages elsewhere (the admin).
def not_found(request, exception=None):
    if is_api(request):
        return json_error(request, 404, "Not found.", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return json_error(request, 500, "Internal server error.", "server_error")
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if is_api(request):
        return json_error(request, 400, "Bad request.", "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return json_error(request, 403, "Permission denied.", "permission_denied")
    return defaults.permission_denied(request, exception)
