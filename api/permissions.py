"""The API's permission classes: each asks reviewers.roles, the one place the rules live (the admin and
/metrics ask it too). Staff status alone grants nothing here."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from reviewers.roles import can_manage_integrations, can_watch, can_write_api


class ReadOnlyUnlessEditor(BasePermission):
    """Everyone authenticated may read; writing needs the reviewers or leads role. Consumers' and
    integrations' tokens are read-only here."""

    message = "Your account may read but not change anything here."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return can_write_api(request.user)


class ManagesIntegrations(BasePermission):
    """Webhook subscriptions: the integrations role (or a superuser) only."""

    message = "Only accounts with the integrations role manage webhooks."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and can_manage_integrations(request.user))


class HasARole(BasePermission):
    """Watches: any role (consumers, reviewers, leads, integrations) or a superuser."""

    message = "Only accounts with a role (consumers, reviewers, leads, integrations) may watch texts."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and can_watch(request.user))
