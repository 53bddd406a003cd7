"""`csi demo`: load the demo organisation and print its logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from csi.demo.services import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo organisation (one user per role, and the sample data of each area) and print the "
        "demo logins. Safe to run again: what exists is left as it is."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load()
        for line in result.lines:
            self.stdout.write(line)
        logins = result.logins
        self.stdout.write("\nDemo logins (one per role; passwords are kept in the data directory):\n")
        self.stdout.write(f"  {'username':<20} {'password':<18} role")
        for login in logins:
            self.stdout.write(f"  {login.username:<20} {login.password:<18} {login.role}")
        self.stdout.write("")
