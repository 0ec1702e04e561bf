from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate

from reviewers.roles import ensure_roles


def create_roles(sender, apps=global_apps, **kwargs) -> None:
    """After every migrate (and every test-database flush) the role groups exist with their permissions.

    `flush` sends post_migrate without the migration state's `apps`, hence the default."""
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:  # a migration plan without auth
        return
    ensure_roles(group_model=group_model, permission_model=permission_model)


class ReviewersConfig(AppConfig):
    name = "reviewers"
    verbose_name = "Review"

    def ready(self) -> None:
        # Runs after contrib.auth's own post_migrate handler (reviewers comes later in INSTALLED_APPS),
        # so the permissions exist by then.
        post_migrate.connect(create_roles, sender=self, dispatch_uid="reviewers.create_roles")
        # Models can only be imported once the app registry is ready.
        from factcheck.metrics import allow_readers, register
        from reviewers.metrics import collect_verdicts
        from reviewers.roles import can_manage_integrations

        register(collect_verdicts)
        allow_readers(can_manage_integrations)
