"""Services as CSV, for spreadsheet users: one row per service with its own fields (not its parts).

Import validates every row first (file, row and column in each message) and stores nothing when any is
wrong; rows match services by key, like the YAML import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from csi.accounts.models import User
from csi.catalog.choices import ChargingModel, LifecycleStatus, ServiceType
from csi.catalog.imports.apply import upsert_service
from csi.catalog.models import Service, Stakeholder
from csi.catalog.models.service import KEY_VALIDATOR
from csi.core.documents import DocumentErrors, ImportReport, Problems
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent
from csi.core.permissions import require
from csi.core.spreadsheets import SafeWriter, restore_cell

COLUMNS = [
    "key",
    "name",
    "description",
    "category",
    "type",
    "lifecycle",
    "tier",
    "tier_reason",
    "owner",
    "owning_team",
    "charging_model",
    "price",
    "currency",
    "price_unit",
    "portfolio_priority",
    "strengths",
    "weaknesses",
]
REQUIRED = {"key", "name"}
MAX_BYTES = 20 * 1024 * 1024


def services_csv_export(*, actor: Any) -> str:
    require(actor, "catalog.view_catalog")
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in Service.objects.select_related("owner", "owning_team").order_by("key"):
        writer.writerow(
            [
                s.key,
                s.name,
                s.description,
                s.category,
                s.service_type,
                s.lifecycle_status,
                s.tier,
                s.tier_reason,
                s.owner.username if s.owner else "",
                s.owning_team.name if s.owning_team else "",
                s.charging_model,
                "" if s.price is None else f"{s.price.normalize():f}",
                s.currency,
                s.price_unit,
                s.portfolio_priority or "",
                s.strengths,
                s.weaknesses,
            ]
        )
    return out.getvalue()


def _rows(name: str, text: str, problems: Problems) -> list[tuple[int, dict[str, str]]]:
    if not text.strip():
        problems.add(name, "the file is empty")
        return []
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader)]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    unknown = [h for h in header if h not in COLUMNS]
    missing = sorted(REQUIRED - set(header))
    if duplicates:
        problems.add(f"{name}, row 1", f"column(s) named twice: {', '.join(duplicates)}")
    if unknown:
        problems.add(
            f"{name}, row 1", f"unknown column(s): {', '.join(unknown)}; known: {', '.join(COLUMNS)}"
        )
    if missing:
        problems.add(f"{name}, row 1", f"missing column(s): {', '.join(missing)}")
    if duplicates or unknown or missing:
        return []
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.add(f"{name}, row {number}", f"has {len(values)} cells, the header has {len(header)}")
            continue
        rows.append((number, dict(zip(header, (restore_cell(v).strip() for v in values), strict=True))))
    if not rows and not problems.items:
        problems.add(name, "no service rows under the header")
    return rows


def _fields(place: str, row: dict[str, str], problems: Problems) -> tuple[str, dict[str, Any], str | None]:
    def bad(column: str, message: str) -> None:
        problems.add(f"{place}, column {column}", message)

    key = row["key"]
    try:
        KEY_VALIDATOR(key)
    except Exception:
        bad("key", f"'{key[:70]}' is not a key: lower-case letters, digits and hyphens, at most 63")
    fields: dict[str, Any] = {"name": row["name"]}
    if not row["name"]:
        bad("name", "the name is empty")
    for column in [
        "description",
        "category",
        "tier_reason",
        "currency",
        "price_unit",
        "strengths",
        "weaknesses",
    ]:
        if column in row:
            fields[column] = row[column]
    choices = {"type": ("service_type", ServiceType), "charging_model": ("charging_model", ChargingModel)}
    for column, (field, enum) in choices.items():
        if row.get(column):
            if row[column] not in enum.values:
                bad(column, f"'{row[column][:50]}' is not one of {', '.join(enum.values)}")
            fields[field] = row[column]
    for column, field, low, high in [
        ("tier", "tier", 1, 4),
        ("portfolio_priority", "portfolio_priority", 1, 5),
    ]:
        if column in row:
            if not row[column]:
                if field == "portfolio_priority":
                    fields[field] = None
                continue
            if not row[column].isdigit() or not low <= int(row[column]) <= high:
                bad(column, f"'{row[column][:20]}' is not a whole number from {low} to {high}")
            else:
                fields[field] = int(row[column])
    if "price" in row:
        if not row["price"]:
            fields["price"] = None
        else:
            try:
                fields["price"] = Decimal(row["price"].replace(",", "."))
            except InvalidOperation:
                bad("price", f"'{row['price'][:20]}' is not a number")
    if row.get("owner"):
        owner = User.objects.filter(username=row["owner"]).first()
        if owner is None:
            bad("owner", f"no user is called '{row['owner'][:150]}'")
        fields["owner"] = owner
    elif "owner" in row:
        fields["owner"] = None
    if row.get("owning_team"):
        team = Stakeholder.objects.filter(name=row["owning_team"]).first()
        if team is None:
            bad("owning_team", f"no stakeholder is called '{row['owning_team'][:200]}'")
        fields["owning_team"] = team
    lifecycle = row.get("lifecycle") or None
    if lifecycle and lifecycle not in LifecycleStatus.values:
        bad("lifecycle", f"'{lifecycle[:30]}' is not one of {', '.join(LifecycleStatus.values)}")
    return key, fields, lifecycle


def services_csv_import(
    *,
    actor: Any,
    paths: Iterable[str | Path] = (),
    texts: list[tuple[str, str]] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Create or update services from CSV rows (matched by key). All or nothing."""
    require(actor, "catalog.import_catalog")
    problems = Problems()
    sources: list[tuple[str, str]] = list(texts or [])
    for path in paths:
        try:
            raw = Path(path).read_bytes()
            if len(raw) > MAX_BYTES:
                problems.add(str(path), "larger than 20 MiB")
                continue
            sources.append((str(path), raw.decode("utf-8-sig")))
        except UnicodeDecodeError as exc:
            problems.add(str(path), f"not UTF-8 text (byte {exc.start}); save the sheet as 'CSV UTF-8'")
        except OSError as exc:
            problems.add(str(path), f"cannot be read: {exc.strerror}")
    planned: list[tuple[str, str, dict[str, Any], str | None]] = []
    seen: dict[str, str] = {}
    for name, text in sources:
        for number, row in _rows(name, text, problems):
            place = f"{name}, row {number}"
            key, fields, lifecycle = _fields(place, row, problems)
            if key in seen:
                problems.add(f"{place}, column key", f"'{key}' is also on {seen[key]}")
            seen[key] = place
            planned.append((place, key, fields, lifecycle))
    problems.raise_if_any()
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        for place, key, fields, lifecycle in planned:
            existed = Service.objects.filter(key=key).exists()
            before = AuditEvent.objects.count()
            try:
                with transaction.atomic():
                    upsert_service(actor, key, fields, lifecycle)
            except ConflictError as exc:
                problems.add(f"{place}, column {exc.field or 'key'}", exc.message)
                continue
            except ValidationError as exc:
                messages: dict[str, list[str]] = (
                    exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
                )
                for field, lines in messages.items():
                    problems.add(f"{place}, column {field}", " ".join(lines))
                continue
            action = (
                "update"
                if existed and AuditEvent.objects.count() > before
                else "create"
                if not existed
                else "unchanged"
            )
            report.add("Service", key, action, place)
        if problems.items or dry_run:
            transaction.set_rollback(True)
    if problems.items:
        raise DocumentErrors(problems.items)
    return report
