"""At-least-once delivery as configured (RELIABILITY.md F4): a task can never outlive the broker's
visibility timeout, and a worker whose settings would allow it refuses to start."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
from celery import current_app
from celery.signals import task_postrun, task_prerun
from django.db import DEFAULT_DB_ALIAS, connection, connections

from claims import tasks
from factcheck.celery import max_retry_countdown, time_limit_problems
from tests.conftest import REPO, worker_env
from tests.faults.conftest import free_port


def conf(soft, hard, visibility):
    return SimpleNamespace(
        task_soft_time_limit=soft,
        task_time_limit=hard,
        broker_transport_options={"visibility_timeout": visibility},
    )


def test_the_production_configuration_is_at_least_once_and_safe():
    app_conf = current_app.conf
    assert app_conf.task_acks_late is True
    assert app_conf.task_reject_on_worker_lost is True
    assert app_conf.worker_prefetch_multiplier == 1
    assert app_conf.accept_content == ["json"] and app_conf.task_serializer == "json"
    assert set(app_conf.task_queues) == {"ingest", "sources", "webhooks"}
    assert time_limit_problems(app_conf) == []
    # A retry's countdown plus a whole run still ends inside the visibility timeout.
    visibility = app_conf.broker_transport_options["visibility_timeout"]
    assert tasks.MAX_COUNTDOWN + app_conf.task_time_limit <= visibility
    assert all(tasks.fetch_retry_delay(n, retry_after=9999) <= tasks.MAX_COUNTDOWN for n in range(20))


@pytest.mark.parametrize(
    ("soft", "hard", "visibility", "complaint"),
    [
        (240, 300, 300, "hard time limit (300 s) must be at most 80%"),
        (240, 3000, 3600, "hard time limit (3000 s) must be at most 80%"),
        (300, 300, 3600, "soft time limit (300 s) must be below the hard time limit"),
        (None, 300, 3600, "must both be set"),
        (240, None, 3600, "must both be set"),
    ],
)
def test_time_limits_not_below_the_visibility_timeout_are_refused(soft, hard, visibility, complaint):
    problems = time_limit_problems(conf(soft, hard, visibility))
    assert any(complaint in problem for problem in problems), problems


def test_retries_never_wait_past_the_visibility_timeout():
    assert max_retry_countdown(conf(240, 300, 3600)) == 300.0  # the cap
    assert max_retry_countdown(conf(6, 8, 12)) == pytest.approx(1.6)
    assert max_retry_countdown(conf(6, 8, 10)) == 0.0


@pytest.mark.slow
@pytest.mark.django_db
def test_a_worker_with_time_limits_above_the_visibility_timeout_exits_with_a_clear_message():
    env = worker_env(
        extra={
            # A broker nobody listens on: the check must stop the worker before it even connects.
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "FACTCHECK_BROKER_VISIBILITY_TIMEOUT": "60",
            "FACTCHECK_TASK_SOFT_TIME_LIMIT": "50",
            "FACTCHECK_TASK_TIME_LIMIT": "70",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "factcheck", "worker", "-l", "info", "-c", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()  # by its pid: it did not refuse to start
            process.wait()
    assert process.returncode != 0
    assert "Refusing to start the worker" in output
    assert "hard time limit (70 s) must be at most 80% of the broker visibility timeout (60 s" in output
    assert " ready." not in output


def backend_pid_during_a_task() -> int:
    """Send the signals a worker sends around a task run (not eager) and return the PostgreSQL backend
    that served the task's query."""
    task = tasks.extract_article_task
    task_prerun.send(sender=task, task_id="connection-reuse", task=task, args=[0], kwargs={})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    task_postrun.send(
        sender=task, task_id="connection-reuse", task=task, args=[0], kwargs={}, retval=None, state="SUCCESS"
    )
    return pid


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_between_tasks_and_replaces_a_dead_one():
    # Celery's Django fix-up would close the connection around every task: a new connection per delivery.
    assert current_app.conf.get("CELERY_DB_REUSE_MAX") >= 2**31
    first = backend_pid_during_a_task()
    assert backend_pid_during_a_task() == first
    # The backend dies between two tasks (a database restart, RELIABILITY.md F7): the next task's first
    # query gets a fresh connection instead of failing.
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
    replaced = backend_pid_during_a_task()
    assert replaced != first
    assert backend_pid_during_a_task() == replaced
