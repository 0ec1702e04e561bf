"""Roles are Django groups (created by migration 0003). Permissions are checked in the services, so
the REST API and the admin obey the same rules."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

REVIEWERS = "reviewers"
LEADS = "leads"
CONSUMERS = "consumers"
ALL_ROLES = (REVIEWERS, LEADS, CONSUMERS)


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


def can_decide(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Reviewers and leads may record verdicts."""
    return has_role(user, REVIEWERS, LEADS)
