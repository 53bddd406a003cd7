"""`csi catalog import|export|list`: the catalog as code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from csi.catalog import selectors
from csi.catalog.imports import catalog_export, catalog_import
from csi.catalog.imports.csv_io import services_csv_export, services_csv_import
from csi.core.cli import dump_yaml, errors_to_command_error, print_report
from csi.core.documents import DocumentErrors
from csi.core.permissions import SystemActor


class Command(BaseCommand):
    help = (
        "Import and export the service catalog. `import` reads Backstage catalog-info.yaml (Component, System, "
        "Group, User, Resource, Domain) and CSI Workbench's own YAML; `export` writes the latter."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{import,export,list}")
        imp = sub.add_parser("import", help="Import YAML files or folders (all or nothing).")
        imp.add_argument("paths", nargs="+", help="Files or folders (walked for *.yaml, *.yml).")
        imp.add_argument("--dry-run", action="store_true", help="Report what would change; store nothing.")
        imp.add_argument(
            "--csv", action="store_true", help="The files are CSV service lists (as `export --csv` writes)."
        )
        exp = sub.add_parser(
            "export", help="Write the catalog as YAML (or CSV of services) that imports back."
        )
        exp.add_argument("--output", "-o", help="File to write (default: standard output).")
        exp.add_argument("--csv", action="store_true", help="Services only, one row each, for spreadsheets.")
        lst = sub.add_parser("list", help="List services.")
        lst.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        action = options["action"]
        if action == "import":
            try:
                if options["csv"]:
                    report = services_csv_import(
                        actor=actor, paths=options["paths"], dry_run=options["dry_run"]
                    )
                else:
                    report = catalog_import(actor=actor, paths=options["paths"], dry_run=options["dry_run"])
            except DocumentErrors as exc:
                raise errors_to_command_error(exc) from exc
            print_report(self, report)
        elif action == "export":
            text = (
                services_csv_export(actor=actor) if options["csv"] else dump_yaml(catalog_export(actor=actor))
            )
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
                self.stderr.write(f"Wrote {options['output']}")
            else:
                sys.stdout.write(text)
        else:
            services = selectors.service_list(actor=actor)
            rows = [
                {
                    "key": s.key,
                    "name": s.name,
                    "category": s.category,
                    "type": s.service_type,
                    "lifecycle": s.lifecycle_status,
                    "tier": s.tier,
                    "owner": s.owner.username if s.owner else None,
                }
                for s in services
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, indent=2))
            else:
                if not rows:
                    self.stdout.write("The catalog is empty.")
                for r in rows:
                    self.stdout.write(f"{r['key']:<32} {r['lifecycle']:<9} tier {r['tier']}  {r['name']}")
