"""Token authentication that throttles guessing: too many wrong tokens from one address get 429 with
Retry-After before any further token is even looked up (RELIABILITY A5).

Valid tokens are remembered in the process for FACTCHECK_TOKEN_CACHE_SECONDS, so a client polling the
feed does not cost a database lookup per request (BENCHMARKS.md P5). Revoking a token (deleting it, or
deactivating or deleting its user) therefore takes effect within that many seconds in every process;
0 turns the cache off. Only tokens that were valid are remembered: a wrong token is looked up every time
(and counted against its address).
"""

from __future__ import annotations

import copy
import time

from django.conf import settings
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from api.throttling import AuthFailureThrottle

# token key -> (monotonic expiry, user, token). Bounded: cleared whole when full (a refill costs one
# lookup per active token).
_valid_tokens: dict[str, tuple[float, object, object]] = {}
MAX_CACHED_TOKENS = 10_000


def forget_tokens() -> None:
    """Drop every remembered token of this process (tests; an operator's shell after a mass revocation)."""
    _valid_tokens.clear()


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

    def authenticate_credentials(self, key):
        now = time.monotonic()
        remembered = _valid_tokens.get(key)
        if remembered is not None and remembered[0] > now:
            user, token = remembered[1], remembered[2]
        else:
            user, token = super().authenticate_credentials(key)  # raises for a wrong token or inactive user
            ttl = settings.FACTCHECK_TOKEN_CACHE_SECONDS
            if ttl > 0:
                if len(_valid_tokens) >= MAX_CACHED_TOKENS:
                    _valid_tokens.clear()
                _valid_tokens[key] = (now + ttl, user, token)
        # Copies per request: whatever a request caches on its user (permissions, groups) stays with it.
        user, token = copy.copy(user), copy.copy(token)
        token.user = user
        return user, token

    def keyword_in(self, request) -> bool:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        return header.split(" ", 1)[0].lower() == self.keyword.lower()
