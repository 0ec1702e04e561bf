"""Signal receivers: write outbox messages inside the sender's transaction, publish after commit.

Publishing uses claims.queue: with the broker down the verdict still commits at once and the message
stays pending in the outbox until the sweeper (sweep_webhooks_task) sends it.
"""

from __future__ import annotations

from factcheck import queue
from publishing import services, watches

DELIVER = "publishing.tasks.deliver_webhook_task"


def _publish_after_commit(message_ids: list[int]) -> None:
    for message_id in message_ids:
        queue.publish_on_commit(DELIVER, message_id)


def on_verdict_recorded(sender, *, verdict, superseded=None, **kwargs) -> None:
    # One read of the subscriptions serves both: the verdict events, and whether any watch exists at all.
    subscriptions = services.active_subscriptions()
    _publish_after_commit(
        services.enqueue_verdict_events(verdict=verdict, superseded=superseded, subscriptions=subscriptions)
    )
    if any(watched for _id, _events, watched in subscriptions):
        _publish_after_commit(watches.enqueue_matched_verdicts(verdict=verdict))


def on_article_finished(sender, *, article_id: int, status: str, **kwargs) -> None:
    _publish_after_commit(services.enqueue_article_event(article_id=article_id, status=status))
