"""The match-key GIN index without a pending list (fastupdate off), altered in place: no rebuild."""

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0004_article_aliases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="claim", name="claim_match_keys_gin"),
                migrations.AddIndex(
                    model_name="claim",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fastupdate=False, fields=["match_keys"], name="claim_match_keys_gin"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    # then move what the pending list holds into the index proper
                    "ALTER INDEX claim_match_keys_gin SET (fastupdate = off);"
                    "SELECT gin_clean_pending_list('claim_match_keys_gin'::regclass);",
                    reverse_sql="ALTER INDEX claim_match_keys_gin RESET (fastupdate);",
                ),
            ],
        ),
    ]
