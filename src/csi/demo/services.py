"""The demo organisation. Loading it twice changes nothing."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from csi.accounts import services as account_services
from csi.accounts.choices import Role
from csi.accounts.models import User
from csi.core.permissions import SystemActor

DEMO_USERS: list[tuple[str, str, str, str]] = [
    ("ada.admin", "Ada", "Admin", Role.ADMINISTRATOR),
    ("sam.steering", "Sam", "Steering", Role.STEERING_COMMITTEE),
    ("sofia.strategy", "Sofia", "Strategy", Role.SERVICE_STRATEGY_MANAGER),
    ("olivia.owner", "Olivia", "Owner", Role.SERVICE_OWNER),
    ("peter.process", "Peter", "Process", Role.PROCESS_OWNER),
    ("sean.security", "Sean", "Security", Role.SECURITY_MANAGER),
    ("carla.continuity", "Carla", "Continuity", Role.CONTINUITY_MANAGER),
    ("hana.skills", "Hana", "Skills", Role.HR_SKILLS_MANAGER),
    ("chris.contributor", "Chris", "Contributor", Role.CONTRIBUTOR),
    ("vera.viewer", "Vera", "Viewer", Role.VIEWER),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


def _passwords_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-logins.json"


def _load_passwords() -> dict[str, str]:
    """The demo passwords, generated once per data directory and kept there (mode 0600), so that every
    run prints the same logins and nothing is ever committed."""
    path = _passwords_file()
    try:
        stored: dict[str, str] = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        stored = {}
    missing = [username for username, *_ in DEMO_USERS if not stored.get(username)]
    if missing:
        for username in missing:
            stored[username] = "demo-" + secrets.token_hex(5)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle, indent=2)
        tmp.replace(path)
    return stored


@transaction.atomic
def demo_load() -> list[DemoLogin]:
    """Create what is missing of the demo organisation and return the demo logins.

    Existing objects are left as they are; a demo user whose password no longer matches the stored one
    (the data directory's password file was deleted) gets the stored one again.
    """
    actor = SystemActor("demo")
    passwords = _load_passwords()
    logins = []
    for username, first, last, role in DEMO_USERS:
        password = passwords[username]
        user = User.objects.filter(username=username).first()
        if user is None:
            account_services.user_create(
                actor=actor,
                username=username,
                password=password,
                email=f"{username}@demo.example",
                first_name=first,
                last_name=last,
                roles=[role],
            )
        elif not user.check_password(password):
            account_services.user_set_password(actor=actor, user=user, password=password)
        logins.append(DemoLogin(username=username, role=Role(role).label, password=password))
    return logins
