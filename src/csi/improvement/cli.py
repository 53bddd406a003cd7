"""Shared by `csi register`, `csi plans` and `csi initiatives`: argument types, lookups by key or number
that fail with one clear line, and `refusing`, which runs a change in one transaction and turns a
refusal (ValidationError, PermissionDenied, ConflictError, ValueError) into a CommandError naming the
object and the option at fault, with nothing changed."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from csi.accounts import selectors as accounts
from csi.catalog import selectors as catalog
from csi.core.cli import dump_yaml
from csi.core.errors import ConflictError
from csi.improvement.selectors import initiatives as initiative_selectors
from csi.improvement.selectors import plans as plan_selectors
from csi.improvement.selectors import register as selectors
from csi.standards import selectors as standards

REFUSALS = (ValidationError, PermissionDenied, ConflictError, ValueError)


def iso_date(text: str) -> date:
    """argparse type: a calendar date."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from exc


def money(text: str) -> Decimal:
    """argparse type: an amount of money (the model checks its range)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount (such as 2500 or 2500.50)")
    return value


def refused(exc: Exception, what: str, options: dict[str, str]) -> CommandError:
    """One line: what was not done and why, each field named by the option that sets it."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        detail = "; ".join(
            " ".join(messages)
            if field == NON_FIELD_ERRORS
            else f"{options.get(field, field)}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    elif isinstance(exc, ValidationError):
        detail = " ".join(exc.messages)
    elif isinstance(exc, ConflictError):
        detail = exc.message
    else:
        detail = str(exc) or type(exc).__name__
    return CommandError(" ".join(f"{what}. {detail}".split()))


@contextmanager
def refusing(what: str, options: dict[str, str]) -> Iterator[None]:
    """Run a change in one transaction; a refusal rolls all of it back and becomes one CommandError."""
    try:
        with transaction.atomic():
            yield
    except REFUSALS as exc:
        raise refused(exc, what, options) from exc


def find(what: str, value: str, get: Callable[[], Any], listing: str = "") -> Any:
    """`get()`, or a CommandError saying there is no such `what`."""
    try:
        return get()
    except ObjectDoesNotExist as exc:
        hint = f" ({listing} lists them)" if listing else ""
        raise CommandError(f"No {what} {value!r}{hint}.") from exc


def user_named(username: str) -> Any:
    return find("user is called", username, lambda: accounts.user_get_by_username(username))


def service_named(actor: Any, key: str) -> Any:
    return find("service", key, lambda: catalog.service_get(actor=actor, key=key), "csi catalog list")


def process_named(actor: Any, key: str) -> Any:
    return find("process", key, lambda: catalog.process_get(actor=actor, key=key))


def standard_named(actor: Any, key: str) -> Any:
    return find("standard", key, lambda: standards.standard_get(actor=actor, key=key), "csi standards list")


def plan_named(actor: Any, key: str) -> Any:
    return find("plan", key, lambda: plan_selectors.plan_get(actor=actor, key=key), "csi plans list")


def initiative_numbered(actor: Any, number: str) -> Any:
    return find(
        "initiative",
        number,
        lambda: initiative_selectors.initiative_get(actor=actor, number=number),
        "csi initiatives list",
    )


def entry_numbered(actor: Any, number: str) -> Any:
    return find(
        "register entry",
        number,
        lambda: selectors.opportunity_get(actor=actor, number=number),
        "csi register list",
    )


def related(actor: Any, field: str, value: str) -> Any:
    """The object an option names by key or username ('' clears it)."""
    if not value:
        return None
    if field in {"owner", "maintainer", "actioned_by", "raised_by", "project_manager"}:
        return user_named(value)
    lookups = {"service": service_named, "process": process_named, "standard": standard_named}
    return lookups[field](actor, value)


def name(user: Any) -> str | None:
    return user.username if user is not None else None


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def write_json(command: BaseCommand, data: Any) -> None:
    command.stdout.write(json.dumps(data, indent=2, default=_plain))


def write_yaml(command: BaseCommand, data: dict[str, Any]) -> None:
    command.stdout.write(dump_yaml([json.loads(json.dumps(data, default=_plain))]), ending="")


def add_fields(
    parser: argparse.ArgumentParser,
    fields: dict[str, tuple[str, dict[str, Any]]],
    required: frozenset[str] = frozenset(),
) -> None:
    """One option per model field, its value stored under the field's name (None when not given)."""
    for field, (option, kwargs) in fields.items():
        parser.add_argument(option, dest=field, required=field in required, **kwargs)


def option_names(*tables: dict[str, tuple[str, dict[str, Any]]], **extra: str) -> dict[str, str]:
    return {field: option for table in tables for field, (option, _) in table.items()} | extra
