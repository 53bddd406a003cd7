"""Helpers for `csi` commands that import and export documents."""

from __future__ import annotations

from typing import Any

import yaml
from django.core.management.base import CommandError

from csi.core.documents import DocumentErrors, ImportReport


def print_report(command: Any, report: ImportReport, verbose: bool = True) -> None:
    if verbose:
        for change in report.changes:
            if change.action != "unchanged":
                command.stdout.write(f"  {change.action:<9} {change.kind} {change.name}")
    for note in report.notes:
        command.stdout.write(f"  {note}")
    command.stdout.write(report.summary())


def errors_to_command_error(exc: DocumentErrors) -> CommandError:
    lines = "\n".join(f"  {problem}" for problem in exc.problems)
    return CommandError(f"Nothing was imported: {len(exc.problems)} problem(s).\n{lines}")


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(documents: list[dict[str, Any]]) -> str:
    """Multi-document YAML, keys in the order given, block style, multi-line strings as literal blocks."""
    return yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
