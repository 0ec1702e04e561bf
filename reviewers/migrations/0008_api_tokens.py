"""API tokens stored as a digest of their key (reviewers/tokens.py), replacing DRF's authtoken table, which
kept the keys themselves. Each existing token is carried over hashed, so clients keep working with the key
they have; then the old table is dropped (and `rest_framework.authtoken` is no longer installed), so no key
stays at rest. Not reversible for the keys: unapplying leaves no tokens (issue new ones).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from reviewers.tokens import digest_of

OLD_TABLE = "authtoken_token"


def hash_old_tokens(apps, schema_editor) -> int:
    """Carry DRF's tokens over as digests, then drop their table. Returns how many were carried over."""
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return 0  # a database made after this change
    ApiToken = apps.get_model("reviewers", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")
        rows = cursor.fetchall()
        made = ApiToken.objects.using(connection.alias).bulk_create(
            [ApiToken(digest=digest_of(key), prefix=key[:8], user_id=user_id) for key, user_id, _ in rows]
        )
        # `created` is auto_now_add: keep when each token was really made.
        for (_, _, created), token in zip(rows, made, strict=True):
            ApiToken.objects.using(connection.alias).filter(pk=token.pk).update(created=created)
        cursor.execute(f"DROP TABLE {OLD_TABLE} CASCADE")
        # Forget the app's migrations too, so that installing it again would create its table afresh.
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")
    return len(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("reviewers", "0007_verdict_refuse_truncate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "digest",
                    models.CharField(
                        editable=False, help_text="SHA-256 of the key.", max_length=64, unique=True
                    ),
                ),
                (
                    "prefix",
                    models.CharField(
                        editable=False,
                        help_text="The key's first characters, to tell tokens apart.",
                        max_length=8,
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "API token"},
        ),
        migrations.RunPython(hash_old_tokens, migrations.RunPython.noop),
    ]
