"""Schemas shared by the import and export endpoints of the catalog and the standards."""

from typing import Any

from ninja import Field, Schema

from csi.core.documents import ImportReport


class ChangeOut(Schema):
    kind: str
    name: str
    action: str
    detail: str


class ImportReportOut(Schema):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    skipped: int
    changes: list[ChangeOut]
    notes: list[str] = Field(description='What the import did beyond the changes, e.g. "created service api"')


def report_out(report: ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "created": report.count("create"),
        "updated": report.count("update"),
        "unchanged": report.count("unchanged"),
        "skipped": report.count("skip"),
        "changes": [
            {"kind": c.kind, "name": c.name, "action": c.action, "detail": c.detail} for c in report.changes
        ],
        "notes": list(report.notes),
    }
