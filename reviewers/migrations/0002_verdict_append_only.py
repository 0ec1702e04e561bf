"""Make verdicts append-only in the database itself: UPDATE and DELETE raise."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION reviewers_verdict_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'verdicts are append-only: % is not allowed on reviewers_verdict', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER reviewers_verdict_append_only
    BEFORE UPDATE OR DELETE ON reviewers_verdict
    FOR EACH ROW EXECUTE FUNCTION reviewers_verdict_forbid_change();
"""

ALLOW = """
DROP TRIGGER IF EXISTS reviewers_verdict_append_only ON reviewers_verdict;
DROP FUNCTION IF EXISTS reviewers_verdict_forbid_change();
"""


class Migration(migrations.Migration):
    dependencies = [("reviewers", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, reverse_sql=ALLOW)]
