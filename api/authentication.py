"""Token authentication that throttles guessing: too many wrong tokens from one address get 429 with
Retry-After before any further token is even looked up (RELIABILITY A5)."""

from __future__ import annotations

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from api.throttling import AuthFailureThrottle


class ThrottledTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        if not self.keyword_in(request):
            return None
        throttle = AuthFailureThrottle()
        if throttle.locked(request):
            raise Throttled(wait=throttle.wait())
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle.record_failure(request)
            raise

    def keyword_in(self, request) -> bool:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        return header.split(" ", 1)[0].lower() == self.keyword.lower()
