"""Roles are Django groups (created by migration 0003 and kept complete after every migrate/flush by
`ensure_roles`, wired in apps.py). Permissions are checked in the services, so the REST API and the admin
obey the same rules:

- reviewers decide claims (and take claims from the queue for themselves);
- leads also assign claims to anyone, override (a final verdict on their own), decide claims that two
  reviewers disagreed on, and re-run failed pipeline stages;
- integrations manage what connects the service to others: webhook subscriptions (API and admin) and
  reading /metrics with their own account; they review nothing;
- consumers only read the API.

Staff status alone grants nothing in the API (the admin needs it to log in; what a staff user sees and
does there is their roles' permissions). Superusers may do everything. The API's permission classes, the
admin and /metrics all ask the functions below, so every door obeys the same rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing auth models at runtime would stop apps.py from importing this module
    from django.contrib.auth.models import AnonymousUser, User

REVIEWERS = "reviewers"
LEADS = "leads"
CONSUMERS = "consumers"
INTEGRATIONS = "integrations"
ALL_ROLES = (REVIEWERS, LEADS, CONSUMERS, INTEGRATIONS)

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
    INTEGRATIONS: [
        "view_webhooksubscription",
        "add_webhooksubscription",
        "change_webhooksubscription",
        "delete_webhooksubscription",
        "view_webhookmessage",
        "view_webhookdelivery",
    ],
}


_CACHE = "_factcheck_roles"


def roles_of(user: User | AnonymousUser) -> frozenset[str]:
    """The user's role names: one query per user instance, then cached on it.

    The same lifetime as Django's own permission cache (`_perm_cache` on the user object): a request
    loads its user afresh, so a role granted or revoked counts from the next request on.
    """
    if not user.is_authenticated:
        return frozenset()
    roles = getattr(user, _CACHE, None)
    if roles is None:
        names = user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True)
        roles = frozenset(names)
        setattr(user, _CACHE, roles)
    return roles


def roles_column(user):
    """The role names of `user` (a user id, or an OuterRef to one) as an array column, so that a query
    which runs anyway (the API's token lookup, record_verdict's read of the locked claim) reads the
    roles too, without a statement of its own."""
    from django.contrib.auth.models import Group
    from django.contrib.postgres.expressions import ArraySubquery

    return ArraySubquery(Group.objects.filter(user=user, name__in=ALL_ROLES).values("name"))


def knows_roles(user: User | AnonymousUser) -> bool:
    return getattr(user, _CACHE, None) is not None


def remember_roles(user: User | AnonymousUser, names: list[str]) -> None:
    """Cache role names that another query read (roles_column) on this user object, unless it has them."""
    if user.is_authenticated and not knows_roles(user):
        setattr(user, _CACHE, frozenset(names))


def forget_roles(user: User | AnonymousUser) -> None:
    """Drop the cached roles (a user object kept beyond its request must not keep them)."""
    user.__dict__.pop(_CACHE, None)


def has_role(user: User | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return not roles_of(user).isdisjoint(roles)


def can_decide(user: User | AnonymousUser) -> bool:
    """Reviewers and leads may record verdicts."""
    return has_role(user, REVIEWERS, LEADS)


def can_lead(user: User | AnonymousUser) -> bool:
    """Leads (and superusers) assign, override, settle disagreements and re-run pipelines."""
    return has_role(user, LEADS)


def can_manage_integrations(user: User | AnonymousUser) -> bool:
    """Integrations (and superusers) manage webhook subscriptions and may read /metrics."""
    return has_role(user, INTEGRATIONS)


def can_watch(user: User | AnonymousUser) -> bool:
    """Any role (and superusers) may ask to hear when a text's claim is decided (POST /api/v1/watches/);
    an account with no role — staff or not — may not."""
    return has_role(user, *ALL_ROLES)


def can_write_api(user: User | AnonymousUser) -> bool:
    """Who may change anything through the API's article and claim endpoints: reviewers and leads."""
    return has_role(user, REVIEWERS, LEADS)


def ensure_roles(*, group_model, permission_model) -> None:
    """Create the role groups and give them their permissions. Idempotent; never removes anything."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(*permission_model.objects.filter(codename__in=codenames))
