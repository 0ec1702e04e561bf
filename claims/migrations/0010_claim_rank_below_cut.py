from django.conf import settings
from django.db import migrations, models

# Claims stored before the cap get their place by score within their article; unreviewed ones past the
# cap (read from the setting once, when the migration runs) are marked below the cut, as new ones are.
RANK_SQL = """
UPDATE claims_claim AS c SET rank = r.place, below_cut = (%s > 0 AND r.place > %s AND c.verdict_label = '')
FROM (
    SELECT id, row_number() OVER (PARTITION BY article_id ORDER BY score DESC, start) AS place
    FROM claims_claim
) AS r
WHERE c.id = r.id
"""


def rank_existing(apps, schema_editor):
    cap = int(getattr(settings, "FACTCHECK_CLAIMS_PER_ARTICLE", 40))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(RANK_SQL, [cap, cap])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0009_stage_leases"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="rank",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Place among the article's claims by score (1 = most check-worthy; 0 = not ranked yet).",
            ),
        ),
        migrations.AddField(
            model_name="claim",
            name="below_cut",
            field=models.BooleanField(
                default=False,
                help_text="Ranked past the per-article cap (FACTCHECK_CLAIMS_PER_ARTICLE): kept and searchable, but not offered by the review queue.",
            ),
        ),
        migrations.RunPython(rank_existing, migrations.RunPython.noop),
    ]
