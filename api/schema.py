"""The OpenAPI generator: every operation also documents the error answers any endpoint can give
(bad input, credentials, permissions, a missing object, an over-long URL, throttling), in the shapes the exception
handler produces, so clients and schemathesis can rely on the schema for errors too."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from api.serializers import ErrorSerializer

COMMON_ERRORS = {
    "400": OpenApiResponse(
        OpenApiTypes.OBJECT,
        description='Invalid input (an invalid `cursor` on a list: `invalid_cursor`): `{"detail", "code"}`, or field errors as DRF shapes them '
        '(`{"field": ["message", ...]}`).',
    ),
    "401": OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    "403": OpenApiResponse(ErrorSerializer, description="Not allowed for this account."),
    "404": OpenApiResponse(ErrorSerializer, description="No such object."),
    "414": OpenApiResponse(
        description="Request line too long: gunicorn, in front of every endpoint, refuses request lines "
        "over its limit (4094 bytes) before the API sees them. Shorten the query."
    ),
    "429": OpenApiResponse(ErrorSerializer, description="Throttled; retry after Retry-After seconds."),
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in COMMON_ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
            elif code == "400":
                # Filters and serializers answer field errors too; the general shape covers both.
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
