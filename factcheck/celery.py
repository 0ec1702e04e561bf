"""The Celery app: configured from Django settings (CELERY_*), tasks discovered in the apps.

Delivery is at-least-once (late acks, re-queue on worker loss) and every task is idempotent. With Redis
as the broker, a message that is not acknowledged within the visibility timeout is delivered *again*, to
another worker, while the first may still be running it. So a worker refuses to start unless the task
time limits end every run well inside that timeout (docs/reliability.md F4).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_init, task_postrun, task_prerun
from django.db import close_old_connections

from factcheck import observability  # noqa: F401  (signal handlers: log context, stage timings, heartbeats)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A run must end (hard time limit) with this share of the visibility timeout still left, for the time a
# reserved message waits for a free pool process and for clock differences between machines.
VISIBILITY_HEADROOM = 0.2


def visibility_timeout(conf) -> float:
    return float((conf.broker_transport_options or {}).get("visibility_timeout", 3600))


def time_limit_problems(conf) -> list[str]:
    """Why this configuration could run a task twice at once by design; empty when it cannot."""
    soft, hard, visibility = conf.task_soft_time_limit, conf.task_time_limit, visibility_timeout(conf)
    if not hard or not soft:
        return [
            "task_soft_time_limit and task_time_limit must both be set "
            "(FACTCHECK_TASK_SOFT_TIME_LIMIT, FACTCHECK_TASK_TIME_LIMIT): an unbounded task outlives the "
            "broker's visibility timeout and is delivered a second time."
        ]
    problems = []
    if soft >= hard:
        problems.append(
            f"the soft time limit ({soft:g} s) must be below the hard time limit ({hard:g} s), "
            "so that a task can clean up before it is killed."
        )
    if hard > visibility * (1 - VISIBILITY_HEADROOM):
        problems.append(
            f"the hard time limit ({hard:g} s) must be at most {1 - VISIBILITY_HEADROOM:.0%} of the broker "
            f"visibility timeout ({visibility:g} s, FACTCHECK_BROKER_VISIBILITY_TIMEOUT): otherwise Redis "
            "hands a still-running task to a second worker."
        )
    return problems


def max_retry_countdown(conf, *, cap: float = 300.0) -> float:
    """The longest countdown a retry may use: a message waiting for its ETA is unacknowledged too, so
    countdown plus run time must stay inside the visibility timeout."""
    hard = conf.task_time_limit or 0
    return max(0.0, min(cap, visibility_timeout(conf) * (1 - VISIBILITY_HEADROOM) - hard))


@celeryd_init.connect
def refuse_unsafe_time_limits(sender=None, conf=None, **kwargs) -> None:
    """Stop the worker before it consumes anything when its time limits are not below the visibility
    timeout. SystemExit, because Celery logs and swallows ordinary exceptions raised by signal handlers."""
    problems = time_limit_problems(conf if conf is not None else app.conf)
    if problems:
        raise SystemExit("Refusing to start the worker: " + " ".join(problems))


@task_prerun.connect
@task_postrun.connect
def recycle_database_connections(task=None, **kwargs) -> None:
    """Before and after every task, what Django does before and after every request: close a connection
    that is broken (errors occurred and it no longer answers), left in the wrong autocommit state, or
    older than CONN_MAX_AGE; with CONN_HEALTH_CHECKS the next task's first query pings a kept connection
    and reconnects if the database restarted (docs/reliability.md F7). Celery's fix-up would instead close
    every connection around every task (see CELERY_DB_REUSE_MAX in settings), a new PostgreSQL connection
    per delivery. Eager tasks run inside the caller's transaction and are left alone, as Celery does."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
