"""Re-encrypt every webhook secret under the first key of FACTCHECK_SECRETS_KEY (after a key rotation)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from publishing.models import WebhookSubscription


class Command(BaseCommand):
    help = "Re-encrypt the webhook signing secrets under the first key of FACTCHECK_SECRETS_KEY."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for subscription in WebhookSubscription.objects.select_for_update().order_by("id"):
                subscription.save(update_fields=["secret", "previous_secret"])
                count += 1
        self.stdout.write(f"Re-encrypted the secrets of {count} subscription(s) under the first key.")
