"""Create the demo accounts of a fresh installation (idempotent) and print how to log in.

A password is printed only when it is set: when the account is created, with --password (or
FACTCHECK_DEMO_PASSWORD), or with --reset-passwords, which gives the existing accounts new ones. Likewise
an API token's key is printed only when the token is made (the database keeps a digest of it,
reviewers/tokens.py): on the first run, or with --new-tokens, which replaces the accounts' tokens.
"""

from __future__ import annotations

import json
import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from reviewers.roles import CONSUMERS, INTEGRATIONS, REVIEWERS
from reviewers.tokens import ApiToken


class Command(BaseCommand):
    help = "Create demo accounts (admin, reviewer, consumer, integrations) with API tokens and print them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("FACTCHECK_DEMO_PASSWORD", ""),
            help="Password for the demo accounts (default: a new random one per account).",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the existing demo accounts new passwords (random, or --password) and print them.",
        )
        parser.add_argument(
            "--new-tokens",
            action="store_true",
            help="Replace the demo accounts' API tokens (the old ones stop working) and print the new ones.",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--reset-hint",
            default="python manage.py setup_demo --reset-passwords",
            help="The command printed for getting new passwords when the old ones are not shown.",
        )

    def handle(
        self,
        *args,
        password: str,
        reset_passwords: bool,
        new_tokens: bool,
        as_json: bool,
        base_url: str,
        reset_hint: str,
        **options,
    ):
        accounts = {}
        for username, role, staff, superuser in [
            ("admin", None, True, True),
            ("reviewer", REVIEWERS, True, False),
            ("consumer", CONSUMERS, False, False),
            ("integrations", INTEGRATIONS, True, False),
        ]:
            accounts[username] = self.ensure_account(
                username, role, staff, superuser, password, reset=reset_passwords, new_token=new_tokens
            )
        if as_json:
            self.stdout.write(json.dumps(accounts))
            return
        self.stdout.write(f"\nAdmin:      {base_url}/admin/   API docs: {base_url}/api/v1/docs/")
        for username, account in accounts.items():
            shown = account["password"] or "(unchanged)"
            token = account["token"] or "(unchanged)"
            self.stdout.write(f"  {username:12} password {shown:24} API token {token}")
        if any(not account["password"] for account in accounts.values()):
            self.stdout.write(
                "Passwords are printed only when they are set (on the first run). New ones: " + reset_hint
            )
        if any(not account["token"] for account in accounts.values()):
            self.stdout.write(
                "API tokens are printed only when they are made (only a digest is stored). New ones: "
                "python manage.py setup_demo --new-tokens"
            )
        self.stdout.write("")

    def ensure_account(
        self, username, role, staff, superuser, password, *, reset: bool = False, new_token: bool = False
    ) -> dict:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": staff, "is_superuser": superuser}
        )
        new_password = ""
        if created or password or reset:
            new_password = password or secrets.token_urlsafe(12)
            user.set_password(new_password)
            user.save(update_fields=["password"])
        if role:
            user.groups.add(Group.objects.get(name=role))
        key = ""
        if new_token or not ApiToken.objects.filter(user=user).exists():
            key = ApiToken.issue(user, replace=True).key or ""
        return {"password": new_password, "token": key, "role": role or "superuser"}
