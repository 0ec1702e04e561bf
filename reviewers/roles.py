"""Roles are Django groups (created by migration 0003 and kept complete after every migrate/flush by
`ensure_roles`, wired in apps.py). Permissions are checked in the services, so the REST API and the admin
obey the same rules:

- reviewers decide claims (and take claims from the queue for themselves);
- leads also assign claims to anyone, override (a final verdict on their own), decide claims that two
  reviewers disagreed on, and re-run failed pipeline stages;
- consumers only read the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:  # importing auth models at runtime would stop apps.py from importing this module
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

REVIEWERS = "reviewers"
LEADS = "leads"
CONSUMERS = "consumers"
ALL_ROLES = (REVIEWERS, LEADS, CONSUMERS)

# The admin permissions each role needs to see its workplace; what they may *do* is decided below.
_VIEW = [
    "view_article",
    "view_claim",
    "view_source",
    "view_snapshot",
    "view_verdict",
    "view_assignment",
    "view_claimevent",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWERS: _VIEW,
    LEADS: _VIEW + ["change_article"],
    CONSUMERS: [],
}


_CACHE = "_factcheck_roles"

# The user's groups that are roles (params: roles_sql_params). Hand-written: building
# `user.groups.filter(...)` costs the ORM about three times the query's own round trip (~0.6 ms against
# ~0.2 ms here), and every write request reads the roles; record_verdict even reads them inside its
# UPDATE. Django's own tables: auth.User is the user model (AUTH_USER_MODEL is not set).
ROLES_SQL = """
SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
 WHERE ug.user_id = %(user)s AND g.name IN %(roles)s
"""


def roles_sql_params(user: AbstractBaseUser | AnonymousUser) -> dict:
    return {"user": user.pk, "roles": ALL_ROLES}


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The user's role names: one query per user instance, then cached on it.

    The same lifetime as Django's own permission cache (`_perm_cache` on the user object): a request
    loads its user afresh, so a role granted or revoked counts from the next request on.
    """
    if not user.is_authenticated:
        return frozenset()
    roles = getattr(user, _CACHE, None)
    if roles is None:
        with connection.cursor() as cursor:
            cursor.execute(ROLES_SQL, roles_sql_params(user))
            roles = frozenset(name for (name,) in cursor.fetchall())
        setattr(user, _CACHE, roles)
    return roles


def remember_roles(user: AbstractBaseUser | AnonymousUser, names: list[str]) -> None:
    """Cache role names that another statement read with ROLES_SQL, unless this user object has them."""
    if user.is_authenticated and getattr(user, _CACHE, None) is None:
        setattr(user, _CACHE, frozenset(names))


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return not roles_of(user).isdisjoint(roles)


def can_decide(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Reviewers and leads may record verdicts."""
    return has_role(user, REVIEWERS, LEADS)


def can_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leads (and superusers) assign, override, settle disagreements and re-run pipelines."""
    return has_role(user, LEADS)


def ensure_roles(*, group_model, permission_model) -> None:
    """Create the role groups and give them their permissions. Idempotent; never removes anything."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(*permission_model.objects.filter(codename__in=codenames))
