"""Make an API token for an account and print its key, the one time it is shown (only a digest is stored,
reviewers/tokens.py). --replace revokes the account's other tokens (rotation after a leak, or when someone
leaves: without --replace, issue the new one, switch the client over, then delete the old one in the admin).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reviewers.tokens import ApiToken


class Command(BaseCommand):
    help = "Make an API token for a user and print its key (shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace", action="store_true", help="Revoke the user's other tokens (they stop working)."
        )

    def handle(self, *args, username: str, replace: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        token = ApiToken.issue(user, replace=replace)
        self.stdout.write(token.key or "")
