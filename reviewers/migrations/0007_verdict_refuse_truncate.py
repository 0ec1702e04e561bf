"""Append-only also against TRUNCATE: row triggers (0002) do not fire on TRUNCATE, so `TRUNCATE
reviewers_verdict` or `TRUNCATE claims_claim CASCADE` emptied the verdict history. A statement-level
trigger refuses it. The one exception is a session that says so on purpose
(`SET factcheck.allow_verdict_truncate = on`): the test suite's flush between transactional tests. Against a
role that would disable the trigger itself, run the application as a role that does not own the table
(docs/deployment.md, "The application's database role").
"""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION reviewers_verdict_forbid_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('factcheck.allow_verdict_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'verdicts are append-only: TRUNCATE is not allowed on reviewers_verdict'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER reviewers_verdict_no_truncate
    BEFORE TRUNCATE ON reviewers_verdict
    FOR EACH STATEMENT EXECUTE FUNCTION reviewers_verdict_forbid_truncate();
"""

ALLOW = """
DROP TRIGGER IF EXISTS reviewers_verdict_no_truncate ON reviewers_verdict;
DROP FUNCTION IF EXISTS reviewers_verdict_forbid_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("reviewers", "0005_claim_events_and_verdict_drafts")]

    operations = [migrations.RunSQL(FORBID, reverse_sql=ALLOW)]
