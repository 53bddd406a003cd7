"""`csi createuser USERNAME --role ROLE`: create a user from the command line."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from csi.accounts import services
from csi.accounts.choices import Role
from csi.core.errors import ConflictError
from csi.core.permissions import SystemActor


class Command(BaseCommand):
    help = (
        "Create a user with one or more roles. Without --password the password is asked for on a terminal; "
        "with no terminal the account is created unable to sign in until a password is set. "
        f"Roles: {', '.join(Role.values)}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The sign-in name (letters, digits and @ . + - _).")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=Role.values,
            metavar="ROLE",
            help="A role to give; repeat for several. One of: " + ", ".join(Role.values),
        )
        parser.add_argument(
            "--password", help="The password (prefer the prompt: arguments show in process lists)."
        )
        parser.add_argument("--email", default="", help="Email address.")
        parser.add_argument("--first-name", default="", help="Given name.")
        parser.add_argument("--last-name", default="", help="Family name.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None and sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            user = services.user_create(
                actor=SystemActor("cli"),
                username=options["username"],
                password=password or None,
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                roles=options["role"],
            )
        except ConflictError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            details = (
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(f"The user was not created. {details}") from exc
        self.stdout.write(
            f"Created user {user.username} (id {user.pk}) with role(s): {', '.join(user.role_names)}"
        )
