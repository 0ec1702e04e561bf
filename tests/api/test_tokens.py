"""Issue 16.8: API tokens are stored as a digest of their key, shown once when made (admin, setup_demo,
issue_token), and the tokens made before hashing keep working with the key their clients have."""

from __future__ import annotations

import importlib
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from api.authentication import forget_tokens
from reviewers.tokens import ApiToken, digest_of

pytestmark = pytest.mark.django_db
migration = importlib.import_module("reviewers.migrations.0008_api_tokens")


def status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/verdicts/").status_code


def stored_rows() -> str:
    """Every column of every token row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(string_agg(row_to_json(t)::text, ' '), '') FROM reviewers_apitoken t")
        return cursor.fetchone()[0]


def test_a_tokens_key_is_not_in_the_database_and_the_key_works_a_wrong_one_does_not():
    user = User.objects.create_user("holder")
    token = ApiToken.issue(user)
    key = token.key
    assert key and len(key) == 40
    rows = stored_rows()
    assert digest_of(key) in rows and key not in rows
    assert key[8:] not in rows  # only the prefix is kept
    forget_tokens()
    assert status_with(key) == 200
    assert status_with(key[:-1] + ("0" if key[-1] != "0" else "1")) == 401
    assert status_with(digest_of(key)) == 401  # the stored digest is not a credential
    assert ApiToken.objects.get(pk=token.pk).key is None  # read back, a token has no key


def test_the_admin_shows_a_new_tokens_key_once(client):
    admin = User.objects.create_superuser("boss", password="pw")
    holder = User.objects.create_user("client-app")
    client.force_login(admin)
    made = client.post("/admin/reviewers/apitoken/add/", {"user": holder.pk}, follow=True)
    assert made.status_code == 200
    shown = [str(m) for m in made.context["messages"]]
    token = ApiToken.objects.get(user=holder)
    [message] = [m for m in shown if "shown only now" in m]
    key = message.rsplit(" ", 1)[1]
    assert digest_of(key) == token.digest and key not in stored_rows()
    forget_tokens()
    assert status_with(key) == 200
    for page in ("/admin/reviewers/apitoken/", f"/admin/reviewers/apitoken/{token.pk}/change/"):
        again = client.get(page)
        assert again.status_code == 200 and token.prefix in again.content.decode()
        assert key not in again.content.decode()


def old_token_table() -> None:
    """DRF's authtoken table as its migrations made it, for a database from before hashing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, "
            "user_id integer NOT NULL UNIQUE REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED)"
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', now())"
        )


def test_the_migration_hashes_existing_tokens_so_their_keys_keep_working():
    old = [User.objects.create_user(f"old-client-{n}") for n in range(2)]
    keys = ["0123456789abcdef0123456789abcdef01234567", "fedcba9876543210fedcba9876543210fedcba98"]
    old_token_table()
    with connection.cursor() as cursor:
        for user, key in zip(old, keys, strict=True):
            cursor.execute(
                "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, '2025-01-02T03:04:05Z', %s)",
                [key, user.pk],
            )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as if inserted long ago (no pending checks)
    state_apps = MigrationExecutor(connection).loader.project_state(("reviewers", "0008_api_tokens")).apps
    with connection.schema_editor() as editor:
        assert migration.hash_old_tokens(state_apps, editor) == 2
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    rows = stored_rows()
    assert not any(key in rows for key in keys)
    assert {t.user_id: t.created.year for t in ApiToken.objects.all()} == {u.pk: 2025 for u in old}
    forget_tokens()
    assert [status_with(key) for key in keys] == [200, 200]
    assert status_with("0" * 40) == 401


def test_the_migration_does_nothing_on_a_database_made_after_it():
    state_apps = MigrationExecutor(connection).loader.project_state(("reviewers", "0008_api_tokens")).apps
    with connection.schema_editor() as editor:
        assert migration.hash_old_tokens(state_apps, editor) == 0


def test_issue_token_prints_the_key_once_and_replace_revokes_the_others():
    user = User.objects.create_user("scraper")
    first = io.StringIO()
    call_command("issue_token", "scraper", stdout=first)
    second = io.StringIO()
    call_command("issue_token", "scraper", "--replace", stdout=second)
    first_key, second_key = first.getvalue().strip(), second.getvalue().strip()
    assert ApiToken.objects.filter(user=user).count() == 1
    assert first_key not in stored_rows() and second_key not in stored_rows()
    forget_tokens()
    assert (status_with(first_key), status_with(second_key)) == (401, 200)
