"""Throttles whose rates are read when a request comes in, not when DRF was imported (so settings
overrides take effect), plus a per-address budget of failed token logins (RELIABILITY A5)."""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class RuntimeRateMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(RuntimeRateMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(RuntimeRateMixin, throttling.UserRateThrottle):
    pass


class AuthFailureThrottle(RuntimeRateMixin, throttling.SimpleRateThrottle):
    """Counts wrong credentials per client address; once over budget, every token attempt gets 429."""

    scope = "auth_failure"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request) -> bool:
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        return True

    def locked(self, request) -> bool:
        return self._load(request) and len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if self._load(request):
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
