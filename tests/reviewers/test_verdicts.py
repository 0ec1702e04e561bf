"""Recording verdicts: permissions, validation, history, optimistic concurrency, append-only storage."""

from __future__ import annotations

import json
import os
import threading
import time
from functools import partial

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.db.models.deletion import ProtectedError

from claims.models import Claim
from publishing.models import EventType, WebhookMessage, WebhookSubscription
from reviewers.models import Assignment, Verdict
from reviewers.roles import CONSUMERS, LEADS, REVIEWERS, roles_of
from reviewers.services import VersionConflict, assign_claim, record_verdict
from tests.conftest import make_user
from tests.factories import make_claim, make_source
from tests.support.concurrency import run_at_once
from tests.support.sql import capture_statements, summary

pytestmark = pytest.mark.django_db


def test_a_reviewer_records_a_verdict_that_becomes_current(reviewer):
    claim = make_claim()
    source = make_source(claim)
    verdict = record_verdict(
        claim=claim, reviewer=reviewer, label="verified", rationale="Council minutes.", source_ids=[source.pk]
    )
    claim.refresh_from_db()
    assert claim.verdict_label == "verified"
    assert claim.version == 1
    assert verdict.cited_sources == [
        {"id": source.pk, "url": source.url, "title": source.title, "provider": "wikipedia"}
    ]


def test_a_new_verdict_supersedes_the_old_and_both_are_kept(reviewer, second_reviewer):
    claim = make_claim()
    first = record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="Looks right.")
    second = record_verdict(
        claim=claim, reviewer=second_reviewer, label="disputed", rationale="Minutes say 10m."
    )
    assert second.supersedes == first
    assert list(Verdict.objects.filter(claim=claim).values_list("label", flat=True)) == [
        "verified",
        "disputed",
    ]
    claim.refresh_from_db()
    assert (claim.verdict_label, claim.version) == ("disputed", 2)


def test_consumers_and_plain_users_may_not_decide(consumer, django_user_model):
    claim = make_claim()
    for user in (consumer, django_user_model.objects.create_user("nobody")):
        with pytest.raises(PermissionDenied):
            record_verdict(claim=claim, reviewer=user, label="verified", rationale="x")
    assert not Verdict.objects.exists()


def test_a_users_roles_are_their_role_groups_and_nothing_else(consumer, django_user_model):
    mixed = make_user("mixed", REVIEWERS, LEADS)
    mixed.groups.add(Group.objects.create(name="book-club"))
    nobody = django_user_model.objects.create_user("nobody")
    assert roles_of(User.objects.get(pk=mixed.pk)) == {REVIEWERS, LEADS}
    assert roles_of(User.objects.get(pk=consumer.pk)) == {CONSUMERS}
    assert roles_of(User.objects.get(pk=nobody.pk)) == frozenset()
    assert roles_of(AnonymousUser()) == frozenset()


def test_who_may_decide_is_settled_before_the_claims_version_or_existence(consumer, reviewer):
    """The roles come with the UPDATE, but a refusal still wins over a stale version or a missing claim
    (then the roles are read on their own), and a refused UPDATE is rolled back."""
    claim = make_claim()
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="First.")
    attempts = [
        (consumer, {"claim": claim.pk}),  # the UPDATE matches: refused after it, and rolled back
        (consumer, {"claim": claim.pk, "expected_version": 0}),  # stale
        (consumer, {"claim": claim.pk + 1000}),  # no such claim
        (User.objects.get(pk=reviewer.pk), {"claim": claim.pk, "override": True}),  # not a lead
        (User.objects.get(pk=reviewer.pk), {"claim": claim.pk + 1000, "override": True}),
    ]
    for user, kwargs in attempts:
        with pytest.raises(PermissionDenied):
            record_verdict(reviewer=user, label="disputed", rationale="Mine.", **kwargs)
    assert Claim.objects.get(pk=claim.pk).version == 1
    assert Claim.objects.get(pk=claim.pk).verdict_label == "verified"
    assert Verdict.objects.count() == 1


@pytest.mark.parametrize("label, rationale", [("verified", "   "), ("true", "because"), ("", "because")])
def test_invalid_label_or_missing_rationale_is_refused(reviewer, label, rationale):
    claim = make_claim()
    with pytest.raises(ValidationError):
        record_verdict(claim=claim, reviewer=reviewer, label=label, rationale=rationale)
    assert not Verdict.objects.exists()


def test_sources_of_another_claim_cannot_be_cited(reviewer):
    claim, other = make_claim(), make_claim()
    foreign = make_source(other)
    with pytest.raises(ValidationError):
        record_verdict(
            claim=claim, reviewer=reviewer, label="verified", rationale="x", source_ids=[foreign.pk]
        )


def test_a_stale_version_is_refused_and_nothing_changes(reviewer, second_reviewer):
    claim = make_claim()
    stale_copy = Claim.objects.get(pk=claim.pk)
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="first")
    with pytest.raises(VersionConflict):
        record_verdict(claim=stale_copy, reviewer=second_reviewer, label="disputed", rationale="second")
    assert Verdict.objects.count() == 1
    assert Claim.objects.get(pk=claim.pk).verdict_label == "verified"


def test_a_claim_id_is_enough_and_an_unknown_one_raises_does_not_exist(reviewer, second_reviewer):
    """Given only the claim's id, record_verdict expects no version (it decides on the version it locks)
    and hands back the claim as the UPDATE left it."""
    claim = make_claim()
    record_verdict(claim=claim, reviewer=second_reviewer, label="verified", rationale="First look.")
    verdict = record_verdict(claim=claim.pk, reviewer=reviewer, label="disputed", rationale="Recount.")
    assert (verdict.claim.pk, verdict.claim.version, verdict.claim.verdict_label) == (claim.pk, 2, "disputed")
    assert (verdict.claim.text, verdict.claim.article_id) == (claim.text, claim.article_id)
    assert verdict.claim_version == 2 and verdict.supersedes.claim_version == 1
    with pytest.raises(VersionConflict):
        record_verdict(claim=claim.pk, reviewer=reviewer, label="verified", rationale="x", expected_version=1)
    with pytest.raises(Claim.DoesNotExist):
        record_verdict(claim=claim.pk + 1000, reviewer=reviewer, label="verified", rationale="x")
    assert Claim.objects.get(pk=claim.pk).version == 2
    assert Verdict.objects.count() == 2


def test_the_database_refuses_to_update_a_verdict(reviewer):
    verdict = record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Verdict.objects.filter(pk=verdict.pk).update(label="disputed")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE reviewers_verdict SET rationale = 'rewritten' WHERE id = %s", [verdict.pk])
    assert Verdict.objects.get(pk=verdict.pk).label == "verified"


def test_the_database_refuses_to_delete_a_verdict(reviewer):
    verdict = record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reviewers_verdict WHERE id = %s", [verdict.pk])
    assert Verdict.objects.filter(pk=verdict.pk).exists()


def test_a_claim_or_article_with_verdicts_cannot_be_deleted(reviewer):
    claim = make_claim()
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    with pytest.raises(ProtectedError):
        claim.delete()
    with pytest.raises(ProtectedError):
        claim.article.delete()


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_one_wins_the_other_conflicts(reviewer, second_reviewer):
    claim = make_claim()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(user, label):
        copy = Claim.objects.get(pk=claim.pk)  # both read version 0 before either writes
        barrier.wait()
        try:
            record_verdict(claim=copy, reviewer=user, label=label, rationale=f"{user.username} decided")
            outcomes[user.username] = "won"
        except VersionConflict:
            outcomes[user.username] = "conflict"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(reviewer, "verified")),
        threading.Thread(target=decide, args=(second_reviewer, "disputed")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["conflict", "won"]
    assert Verdict.objects.filter(claim=claim).count() == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert Verdict.objects.get(claim=claim).reviewer.username == winner


def backend_waiting_for_a_lock(statement: str, timeout: float = 10.0) -> bool:
    """True once another backend of this database waits for a lock while running such a statement."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees one snapshot
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s",
                [f"%{statement}%"],
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_assignment_committed_while_a_verdict_waits_for_the_claim_is_seen(reviewer, second_reviewer):
    """The holder is read by a statement that starts after the claim row is locked: a verdict that waited
    for assign_claim's lock sees the assignment it committed (a read inside the UPDATE would not, under
    READ COMMITTED its snapshot predates the wait) and refuses a reviewer who is not the holder."""
    claim = make_claim()
    assigned = threading.Event()
    outcome: dict[str, object] = {}

    def assign_and_hold() -> None:
        try:
            with transaction.atomic():
                assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
                assigned.set()
                outcome["waited"] = backend_waiting_for_a_lock('UPDATE "claims_claim"')
        finally:
            connection.close()

    def decide() -> None:
        assigned.wait(10)
        try:
            record_verdict(claim=claim.pk, reviewer=second_reviewer, label="verified", rationale="Mine.")
            outcome["verdict"] = "recorded"
        except PermissionDenied as exc:
            outcome["verdict"] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign_and_hold), threading.Thread(target=decide)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcome["waited"] is True  # the verdict really was blocked by the uncommitted assignment
    assert outcome["verdict"] == "This claim is assigned to reviewer; only they or a lead may decide it."
    assert not Verdict.objects.exists()
    assert Claim.objects.get(pk=claim.pk).version == 0


def statements_of_a_verdict(claim, reviewer) -> tuple[list[str], Verdict]:
    """Record a verdict as a request would (the user freshly loaded: no roles cached yet); the SQL
    statements it sent, summarised, and the verdict."""
    user = User.objects.get(pk=reviewer.pk)
    with capture_statements() as statements:
        verdict = record_verdict(claim=claim, reviewer=user, label="disputed", rationale="Recount.")
    return summary(statements), verdict


def test_recording_a_verdict_costs_four_statements_however_long_the_history(reviewer, second_reviewer):
    """The conditional UPDATE, the claim with its holder, history and the user's roles (one statement
    after the lock; the summary names the first table it reads, the roles' subquery), the INSERT and
    the outbox's subscriptions (nobody subscribed: no INSERT): the same four on a claim with no verdict
    or with 25."""
    fresh, decided = make_claim(), make_claim()
    for i in range(25):
        decided.refresh_from_db()
        record_verdict(
            claim=decided, reviewer=(reviewer, second_reviewer)[i % 2], label="verified", rationale=f"#{i}"
        )
    decided.refresh_from_db()
    newest = Verdict.objects.filter(claim=decided).order_by("-claim_version").first()
    for claim, previous in ((fresh, None), (decided, newest)):
        statements, verdict = statements_of_a_verdict(claim, reviewer)
        assert statements == [
            "UPDATE claims_claim",
            "SELECT auth_group",
            "INSERT reviewers_verdict",
            "SELECT publishing_webhooksubscription",
        ], statements
        assert verdict.claim_version == claim.version
        assert verdict.supersedes == previous


def test_a_held_claim_and_webhook_subscribers_add_only_their_own_writes(reviewer, second_reviewer):
    """Releasing the holder's assignment is one UPDATE; the outbox rows of both events (created and
    superseded) for every subscriber are one INSERT (bulk_create) after the one read of the
    subscriptions. The superseded verdict's payload needs no read."""
    claim = make_claim()
    record_verdict(claim=claim, reviewer=second_reviewer, label="verified", rationale="First look.")
    for n in range(3):
        WebhookSubscription.objects.create(
            url=f"https://hooks.example.org/{n}",
            events=[EventType.VERDICT_CREATED, EventType.VERDICT_SUPERSEDED],
            secret=f"whsec_{n}",
        )
    claim.refresh_from_db()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    statements, verdict = statements_of_a_verdict(claim, reviewer)
    assert statements == [
        "UPDATE claims_claim",
        "SELECT auth_group",  # the claim with its holder, history and the user's roles
        "INSERT reviewers_verdict",
        "UPDATE reviewers_assignment",
        "SELECT publishing_webhooksubscription",
        "INSERT publishing_webhookmessage",
    ], statements
    assert not Assignment.objects.open().filter(claim=claim).exists()
    assert WebhookMessage.objects.filter(event_type=EventType.VERDICT_CREATED).count() == 3
    messages = WebhookMessage.objects.filter(event_type=EventType.VERDICT_SUPERSEDED)
    assert messages.count() == 3
    body = json.loads(messages.first().body)["data"]
    assert (body["superseded_by"], body["replacement"]["id"], body["claim_text"]) == (
        verdict.pk,
        verdict.pk,
        claim.text,
    )


@pytest.mark.parametrize(
    "statement",
    ["TRUNCATE reviewers_verdict", "TRUNCATE claims_claim CASCADE", "TRUNCATE claims_article CASCADE"],
)
def test_the_database_refuses_to_truncate_the_verdicts(reviewer, statement):
    """Row triggers do not fire on TRUNCATE: a statement trigger refuses it, also when it comes by CASCADE
    (reviewers 0007). The suite's own flush is allowed by a session setting, turned off here."""
    verdict = record_verdict(claim=make_claim(), reviewer=reviewer, label="verified", rationale="x")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks of this test's transaction
        with pytest.raises(IntegrityError, match="append-only: TRUNCATE"), transaction.atomic():
            cursor.execute("SET LOCAL factcheck.allow_verdict_truncate = off")
            cursor.execute(statement)
    assert Verdict.objects.filter(pk=verdict.pk).exists()


def test_an_application_role_that_does_not_own_the_table_cannot_disable_the_triggers(reviewer):
    """The deployment of docs/deployment.md: migrations as the owner, the application as a role with
    SELECT/INSERT on the verdict table. That role can add verdicts but neither disable the triggers nor
    TRUNCATE (nor set the flush escape: TRUNCATE needs a privilege it does not have)."""
    claim = make_claim()
    verdict = record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    role = f"factcheck_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT ON reviewers_verdict TO {role}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET ROLE {role}")
        try:
            cursor.execute("SELECT count(*) FROM reviewers_verdict")
            assert cursor.fetchone()[0] == 1
            for statement in (
                "ALTER TABLE reviewers_verdict DISABLE TRIGGER reviewers_verdict_append_only",
                "ALTER TABLE reviewers_verdict DISABLE TRIGGER ALL",
                "TRUNCATE reviewers_verdict",
                "DROP TRIGGER reviewers_verdict_no_truncate ON reviewers_verdict",
            ):
                with pytest.raises(ProgrammingError, match="must be owner|permission denied"):
                    with transaction.atomic():
                        cursor.execute(statement)
        finally:
            cursor.execute("RESET ROLE")
    assert Verdict.objects.filter(pk=verdict.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_verdicts_agree_in_time_order_version_order_and_supersedes_chain():
    """Issue 16.7: decided_at is taken under the claim lock. Eight leads decide one claim at once
    (threads, each its own PostgreSQL connection, released together by a barrier), five rounds: ordered
    by version, the verdicts' times strictly increase, each supersedes the one before, and the claim's
    decided_at is its newest verdict's."""
    claim = make_claim()
    leads = [make_user(f"lead-{n}", LEADS) for n in range(8)]

    def decide(user) -> None:
        record_verdict(claim=claim.pk, reviewer=user, label="verified", rationale="Race.", override=True)

    for _ in range(5):
        assert run_at_once(*(partial(decide, user) for user in leads)) == []
    verdicts = list(Verdict.objects.filter(claim=claim).order_by("claim_version"))
    assert [v.claim_version for v in verdicts] == list(range(1, 41))
    assert all(a.decided_at < b.decided_at for a, b in zip(verdicts, verdicts[1:], strict=False))
    assert [v.supersedes_id for v in verdicts] == [None] + [v.pk for v in verdicts[:-1]]
    assert list(Verdict.objects.filter(claim=claim).order_by("decided_at", "id")) == verdicts
    claim.refresh_from_db()
    assert (claim.version, claim.decided_at) == (40, verdicts[-1].decided_at)
