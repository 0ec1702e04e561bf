"""Signals other apps listen to (e.g. webhooks), so that `claims` never imports them.

Both are sent inside the transaction that makes the change, so a receiver writing an outbox row commits
or rolls back together with it.
"""

from django.dispatch import Signal

# Sent with article_id=int, status="ready" | "failed" when an article finishes its pipeline.
article_finished = Signal()
