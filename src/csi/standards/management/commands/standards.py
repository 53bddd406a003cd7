"""`csi standards import|export|list|withdraw`: service standards as code (OpenSLO and CSI Workbench YAML),
and withdrawing a version before it takes effect."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser

from csi.core.cli import dump_yaml, errors_to_command_error, print_report
from csi.core.documents import DocumentErrors
from csi.core.errors import ConflictError
from csi.core.permissions import SystemActor
from csi.standards import selectors, services
from csi.standards.imports import openslo_left_out, standards_export, standards_import


class Command(BaseCommand):
    help = (
        "Import and export service standards. `import` reads OpenSLO (v1, v1alpha, v2alpha: Service, SLI, SLO, "
        "DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget), Sloth (prometheus/v1 and "
        "sloth.slok.dev/v1 PrometheusServiceLevel), Pyrra (pyrra.dev/v1alpha1 ServiceLevelObjective) and CSI "
        "Workbench YAML. An SLO becomes one standard per objective, its window kept (docs/standards.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{import,export,list,withdraw}")
        imp = sub.add_parser("import", help="Import YAML files or folders (all or nothing).")
        imp.add_argument("paths", nargs="+", help="Files or folders (walked for *.yaml, *.yml).")
        imp.add_argument("--dry-run", action="store_true", help="Report what would change; store nothing.")
        exp = sub.add_parser(
            "export", help="Write calendars and standards (every version) as YAML that imports back."
        )
        exp.add_argument("--output", "-o", help="File to write (default: standard output).")
        exp.add_argument(
            "--format",
            choices=["native", "openslo"],
            default="native",
            help="native: CSI Workbench YAML (default); openslo: the OpenSLO documents as imported.",
        )
        lst = sub.add_parser("list", help="List standards with their current version.")
        lst.add_argument("--json", action="store_true", help="Print JSON.")
        wd = sub.add_parser("withdraw", help="Withdraw a version of a standard that is not yet in force.")
        wd.add_argument("standard", help="The standard's key.")
        wd.add_argument("version", type=int, help="The version's number.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        action = options["action"]
        if action == "import":
            try:
                report = standards_import(actor=actor, paths=options["paths"], dry_run=options["dry_run"])
            except DocumentErrors as exc:
                raise errors_to_command_error(exc) from exc
            print_report(self, report)
        elif action == "withdraw":
            self._withdraw(actor, options["standard"], options["version"])
        elif action == "export":
            text = dump_yaml(standards_export(actor=actor, fmt=options["format"]))
            left_out = openslo_left_out(actor=actor) if options["format"] == "openslo" else None
            if left_out:
                self.stderr.write(left_out)
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
                self.stderr.write(f"Wrote {options['output']}")
            else:
                sys.stdout.write(text)
        else:
            rows = []
            for standard in selectors.standard_list(actor=actor):
                current = selectors.latest_version(standard)
                rows.append(
                    {
                        "key": standard.key,
                        "name": standard.name,
                        "kind": standard.kind,
                        "service": standard.service.key,
                        "version": current.number if current else None,
                        "target": current.summary if current else None,
                    }
                )
            if options["json"]:
                self.stdout.write(json.dumps(rows, indent=2))
            else:
                if not rows:
                    self.stdout.write("No standards yet.")
                for r in rows:
                    self.stdout.write(f"{r['key']:<36} {r['service']:<24} v{r['version']}  {r['target']}")

    def _withdraw(self, actor: SystemActor, key: str, number: int) -> None:
        try:
            standard = selectors.standard_get(actor=actor, key=key)
        except ObjectDoesNotExist as exc:
            raise CommandError(f"There is no standard '{key}'.") from exc
        try:
            services.standard_version_withdraw(actor=actor, standard=standard, number=number)
        except ObjectDoesNotExist as exc:
            raise CommandError(str(exc)) from exc
        except ConflictError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Withdrew version {number} of {key}; it will not take effect.")
