"""Publishing pipeline messages by task name.

Services and stages must not import `claims.tasks` (tasks import them), so they publish by name.
A broker that is down never fails the caller: the row is already stored and the sweeper
re-publishes it (docs/reliability.md F5, F6).
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

# Give up publishing quickly: a submission must answer fast even with the broker down.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def publish(task_name: str, *args: int) -> bool:
    """Send one message now. Returns False (and logs) when the broker is unreachable."""
    try:
        current_app.send_task(task_name, args=list(args), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except (OperationalError, OSError) as exc:
        log.warning("broker unavailable, %s%s left for the sweeper: %s", task_name, args, exc)
        return False
    return True


def publish_on_commit(task_name: str, *args: int) -> None:
    """Send the message only once the surrounding transaction commits (never for a rollback)."""
    transaction.on_commit(lambda: publish(task_name, *args))
