"""Signals other apps listen to (e.g. webhooks); sent inside the verdict's transaction."""

from django.dispatch import Signal

# Sent with verdict=Verdict (the new one) and superseded=Verdict | None (the one it replaces).
verdict_recorded = Signal()
