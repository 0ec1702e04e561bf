from rest_framework.permissions import SAFE_METHODS, BasePermission

from reviewers.roles import LEADS, REVIEWERS, has_role


class ReadOnlyUnlessEditor(BasePermission):
    """Everyone authenticated may read; writing needs the reviewers or leads role (or staff).
    Consumers' tokens are read-only."""

    message = "Your account may read but not change anything here."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return request.user.is_staff or has_role(request.user, REVIEWERS, LEADS)
