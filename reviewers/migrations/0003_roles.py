"""Create the three roles as groups with the admin permissions they need.

reviewers decide claims; leads also assign, override and re-run pipelines; consumers only read the API.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_article", "view_claim", "view_source", "view_snapshot", "view_verdict"]
ROLES = {
    "reviewers": VIEW,
    "leads": VIEW + ["change_article"],
    "consumers": [],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(codename__in=codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviewers", "0002_verdict_append_only"),
        ("claims", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
