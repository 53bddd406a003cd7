"""`csi token create|revoke|list`: manage API tokens from the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from csi.accounts import selectors, services
from csi.accounts.models import ApiToken, User
from csi.core.permissions import SystemActor


class Command(BaseCommand):
    help = "Create, list and revoke API tokens. `csi token create USERNAME` prints the secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,revoke,list}")
        create = sub.add_parser("create", help="Create a token for a user and print its secret once.")
        create.add_argument("username", help="Whose token it is.")
        create.add_argument("--name", default="cli", help="What uses the token (default: cli).")
        create.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default: never)."
        )
        revoke = sub.add_parser("revoke", help="Revoke a token by its id (see `csi token list`).")
        revoke.add_argument("id", type=int, help="The token's id.")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("username", nargs="?", help="Only this user's tokens.")
        listing.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        action = options["action"]
        if action == "create":
            self._create(actor, options)
        elif action == "revoke":
            try:
                token = ApiToken.objects.get(pk=options["id"])
            except ApiToken.DoesNotExist as exc:
                raise CommandError(f"No token has id {options['id']}.") from exc
            already = token.revoked_at is not None
            services.token_revoke(actor=actor, token=token)
            self.stdout.write(f"Token {token.pk} ({token.name}) was {'already ' if already else ''}revoked.")
        else:
            tokens = ApiToken.objects.select_related("user")
            if options["username"]:
                tokens = tokens.filter(user__username=options["username"])
            rows = [
                {
                    "id": t.pk,
                    "user": t.user.username,
                    "name": t.name,
                    "prefix": t.prefix,
                    "status": t.status,
                    "created_at": t.created_at.isoformat(),
                    "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                }
                for t in tokens
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, indent=2))
            else:
                for r in rows:
                    self.stdout.write(
                        f"{r['id']:>5}  {r['user']:<20} {r['name']:<24} {r['prefix']}…  {r['status']}"
                    )

    def _create(self, actor: SystemActor, options: dict[str, Any]) -> None:
        try:
            user = selectors.user_get_by_username(options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user is called {options['username']!r}.") from exc
        days = options["expires_days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--expires-days must be between 1 and 3650.")
        try:
            token, secret = services.token_create(
                actor=actor,
                user=user,
                name=options["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created token {token.pk} ({token.name}) for {user.username}. It is shown only now:"
        )
        self.stdout.write(secret)
