"""Token authentication that throttles guessing: too many wrong tokens from one address get 429 with
Retry-After before any further unknown token is even looked up (RELIABILITY A5). Tokens that
authenticated lately (FACTCHECK_KNOWN_TOKEN_SECONDS, kept in Redis as an HMAC) still get in from a locked
address, so a stranger's wrong tokens cannot lock out the valid clients sharing its address.

Tokens are stored as a digest of their key (reviewers/tokens.py): the lookup is by digest, and the
process's memory of valid tokens is keyed by the digest too.

Valid tokens are remembered in the process for FACTCHECK_TOKEN_CACHE_SECONDS, so a client polling the
feed does not cost a database lookup per request (docs/benchmarks.md, P5). Revoking a token (deleting it, or
deactivating or deleting its user) therefore takes effect within that many seconds in every process;
0 turns the cache off. Only tokens that were valid are remembered: a wrong token is looked up every time
(and counted against its address).

With a remembered token the account is known before anything is asked of Redis, so the request is
counted against the account's budget (UserRateThrottle, if the view has it) in one round trip; the
throttle then uses that outcome.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from api.throttling import (
    AuthFailureThrottle,
    UserRateThrottle,
    check,
    known_valid_token,
    remember_valid_token,
)
from reviewers.roles import forget_roles, remember_roles, roles_column
from reviewers.tokens import ApiToken, digest_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# token digest -> (monotonic expiry, user, token). Bounded: cleared whole when full (a refill costs one
# lookup per active token).
_valid_tokens: dict[str, tuple[float, User, ApiToken]] = {}
# The clock of that expiry; tests move it forward instead of sleeping.
clock = time.monotonic
MAX_CACHED_TOKENS = 10_000


def forget_tokens() -> None:
    """Drop every remembered token of this process (tests; an operator's shell after a mass revocation)."""
    _valid_tokens.clear()


class ThrottledTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate(self, request):
        if not self.keyword_in(request):
            return None
        self.request = request  # DRF makes an authenticator per request
        self.lock = AuthFailureThrottle()
        try:
            return super().authenticate(request)  # parses the header, then authenticate_credentials()
        except AuthenticationFailed:
            if not self.lock.record_failure(request):
                raise Throttled(wait=self.lock.wait()) from None
            raise

    def authenticate_credentials(self, key):
        now = clock()
        digest = digest_of(key)
        remembered = _valid_tokens.get(digest)
        if remembered is not None and remembered[0] > now:
            user, token = remembered[1], remembered[2]
            self.count(user)  # a valid token: the address's failure budget does not apply to it
        else:
            if self.lock.locked(self.request) and not known_valid_token(key):
                raise Throttled(wait=self.lock.wait())
            user, token = self.lookup(digest)  # raises for a wrong token or inactive user
            remember_valid_token(key)
            ttl = settings.FACTCHECK_TOKEN_CACHE_SECONDS
            if ttl > 0:
                if len(_valid_tokens) >= MAX_CACHED_TOKENS:
                    _valid_tokens.clear()
                remembered_user = copy.copy(user)
                forget_roles(remembered_user)  # roles are read per request: a revoked one counts at once
                _valid_tokens[digest] = (now + ttl, remembered_user, token)
        # Copies per request: whatever a request caches on its user (permissions, groups) stays with it.
        user, token = copy.copy(user), copy.copy(token)
        token.user = user
        return user, token

    def lookup(self, digest: str):
        """The token, its user and the user's roles in one query (the roles are cached on the user, for
        as long as the token is remembered: a role granted or revoked counts within the same time)."""
        model = ApiToken
        try:
            token = (
                model.objects.select_related("user")
                .annotate(role_names=roles_column(OuterRef("user_id")))
                .get(digest=digest)
            )
        except model.DoesNotExist:
            raise AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        remember_roles(token.user, token.role_names)
        return token.user, token

    def count(self, user) -> None:
        """One round trip at most: count the request against the account's budget when the view
        throttles accounts, leaving the outcome for its throttle."""
        view = (self.request.parser_context or {}).get("view")
        counts_users = view is not None and any(
            issubclass(c, UserRateThrottle) for c in view.throttle_classes
        )
        budget = UserRateThrottle().window_for(user) if counts_users else None
        if budget is None:
            return
        refused, wait = check(budget)
        self.request.user_window_checked = (refused is None, wait)

    def keyword_in(self, request) -> bool:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        return header.split(" ", 1)[0].lower() == self.keyword.lower()
