"""`csi measures ...`: data sources, mapping profiles, import runs and the synthetic event-log generator."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from csi.core.cli import dump_yaml, errors_to_command_error
from csi.core.documents import DocumentErrors
from csi.core.errors import ConflictError
from csi.core.permissions import SystemActor
from csi.core.spreadsheets import SafeWriter
from csi.measures import selectors, services

if TYPE_CHECKING:
    from csi.measures.importer import ImportResult
    from csi.measures.models import ImportBatch


def _batch(actor: SystemActor, pk: int) -> ImportBatch:
    """The run numbered `pk`, or a CommandError "No run #pk." (never an Http404 traceback)."""
    try:
        return selectors.batch_get(actor=actor, pk=pk)
    except Http404:
        raise CommandError(f"No run #{pk}.") from None


def _error(exc: Exception) -> CommandError:
    if isinstance(exc, ValidationError):
        return CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
    return CommandError(str(exc))


class Command(BaseCommand):
    help = (
        "Measured data: import files into data sources (import), mapping profiles (profile add|list|show), "
        "sources, import runs and their rejects (runs, rejects), delete a batch, rules that assign tickets "
        "to services (rule), and a synthetic event log for tests and benchmarks (generate)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import a file into a data source (all or nothing).")
        imp.add_argument("file", help="CSV, XLSX, JSON, NDJSON, or a zip holding one of these.")
        imp.add_argument("--source", required=True, help="The data source key (created when new).")
        imp.add_argument("--profile", help="The mapping profile (needed when the source is new).")
        imp.add_argument("--dry-run", action="store_true", help="Read and check; store nothing.")
        imp.add_argument("--max-rejects", type=int, default=0, help="Bad records tolerated (default 0).")
        imp.add_argument("--json", action="store_true", help="Print the result as JSON.")
        imp.add_argument(
            "--mode",
            choices=["merge", "replace"],
            default="merge",
            help="Ticket events: merge adds the events the source does not hold yet (default); replace gives "
            "the file's tickets exactly the file's events. The result counts new, already held and removed events.",
        )
        imp.add_argument(
            "--rejects",
            metavar="CSV",
            help="Write every rejected record (the first 10,000: line, column, value, reason) to this CSV "
            "file, also for a dry run, which records no run to ask later.",
        )

        profile = sub.add_parser("profile", help="Mapping profiles.").add_subparsers(
            dest="profile_action", required=True
        )
        add = profile.add_parser("add", help="Add or update a profile from a YAML file.")
        add.add_argument("file")
        lst = profile.add_parser("list", help="List profiles.")
        lst.add_argument("--json", action="store_true")
        show = profile.add_parser("show", help="Print a profile as YAML.")
        show.add_argument("key")

        sources = sub.add_parser("sources", help="List data sources.")
        sources.add_argument("--json", action="store_true")
        runs = sub.add_parser("runs", help="List import runs.")
        runs.add_argument("--source")
        runs.add_argument("--json", action="store_true")
        rejects = sub.add_parser("rejects", help="Write a run's reject report as CSV.")
        rejects.add_argument("run", type=int)
        rejects.add_argument("--output", "-o", help="File to write (default: standard output).")
        delete = sub.add_parser(
            "delete-batch",
            help="Delete a committed batch (the source reads as if it had never been imported).",
        )
        delete.add_argument("run", type=int)

        rule = sub.add_parser("rule", help="Rules assigning a source's tickets to services.").add_subparsers(
            dest="rule_action", required=True
        )
        radd = rule.add_parser(
            "add", help="Add a rule: --field F --value V [--value V...] or --expression E."
        )
        radd.add_argument("--source", required=True)
        radd.add_argument("--service", required=True, help="The catalog service key.")
        radd.add_argument("--field")
        radd.add_argument("--value", action="append", default=[])
        radd.add_argument("--expression")
        rlist = rule.add_parser("list", help="List a source's rules.")
        rlist.add_argument("--source", required=True)
        rdel = rule.add_parser("delete", help="Delete a rule by id.")
        rdel.add_argument("id", type=int)

        gen = sub.add_parser(
            "generate", help="Write a realistic synthetic event log (csi-event-log profile)."
        )
        gen.add_argument("--tickets", type=int, required=True)
        gen.add_argument("--out", required=True)
        gen.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        action = options["action"]
        try:
            getattr(self, "_" + action.replace("-", "_"))(actor, options)
        except DocumentErrors as exc:
            raise errors_to_command_error(exc) from exc
        except (ValidationError, ConflictError, LookupError) as exc:
            raise _error(exc) from exc

    def _import(self, actor: SystemActor, options: dict[str, Any]) -> None:
        # Imported here: the importer loads DuckDB, Ibis and pyarrow, which the other subcommands do not need.
        from csi.measures.importer import import_file

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        source = services.source_for_import(
            actor=actor, key=options["source"], profile_key=options["profile"]
        )
        report = None
        if options["rejects"]:  # opened first: a path that cannot be written refuses before the import
            try:
                report = Path(options["rejects"]).open("w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(
                    f"{options['rejects']}: the reject report cannot be written ({exc})"
                ) from exc
        try:
            result = import_file(
                actor=actor,
                source=source,
                path=path,
                dry_run=options["dry_run"],
                max_rejects=options["max_rejects"],
                progress=sys.stderr.isatty() and not options["json"],
                mode=options["mode"],
            )
            if report is not None:
                write_rejects_csv(report, result.rejects)
        finally:
            if report is not None:
                report.close()
        if options["json"]:
            self.stdout.write(json.dumps(result_data(result), indent=2, default=str))
        else:
            self._print_result(result, rejects_file=options["rejects"])
        if not result.ok:
            raise CommandError(result.message or result.status)

    def _print_result(self, result: ImportResult, rejects_file: str | None = None) -> None:
        what = "batch" if result.status == "committed" else "run"
        self.stdout.write(
            f"{result.summary} in {result.duration_seconds:.2f} s"
            + (f" ({what} #{result.batch_id})" if result.batch_id else "")
        )
        if result.status in {"committed", "dry-run"} and result.merge.new_events + result.merge.seen_events:
            self.stdout.write(merge_line(result))
        shown = result.rejects[:REJECTS_PRINTED]
        for reject in shown:
            self.stdout.write(f"  line {reject.line}, {reject.column}: {reject.value!r}: {reject.reason}")
        if len(result.rejects) > len(shown) or result.rejected > len(shown):
            self.stdout.write(
                f"  ... the first {len(shown)} problems of {result.rejected} rejected record(s); {_all_rejects(result, rejects_file)}"
            )
        if result.message and result.ok:
            self.stdout.write(result.message)
        if result.status == "committed":
            self.stdout.write(
                "The figures are recomputed by the background worker (csi serve starts one; or csi worker), "
                "or now with: csi analytics refresh"
            )

    def _profile(self, actor: SystemActor, options: dict[str, Any]) -> None:
        sub = options["profile_action"]
        if sub == "add":
            path = Path(options["file"])
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            profile, created = services.profile_save(actor=actor, text=text, path=str(path))
            self.stdout.write(f"{'Created' if created else 'Updated'} profile {profile.key}.")
        elif sub == "list":
            rows = [
                {"key": p.key, "name": p.name, "source_kind": p.source_kind, "builtin": p.builtin}
                for p in selectors.profile_list(actor=actor)
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, indent=2))
            for r in [] if options["json"] else rows:
                self.stdout.write(
                    f"{r['key']:<34} {r['source_kind']:<17} {'built-in' if r['builtin'] else '':<9} {r['name']}"
                )
        else:
            profile = selectors.profile_get(actor=actor, key=options["key"])
            sys.stdout.write(dump_yaml([profile.document]))

    def _sources(self, actor: SystemActor, options: dict[str, Any]) -> None:
        rows = [
            {"key": s.key, "name": s.name, "kind": s.kind, "profile": s.profile.key, "time_zone": s.time_zone}
            for s in selectors.source_list(actor=actor)
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No data sources yet: csi measures import FILE --source NAME --profile P")
        for r in rows:
            self.stdout.write(f"{r['key']:<30} {r['kind']:<17} {r['profile']:<32} {r['time_zone']}")

    def _runs(self, actor: SystemActor, options: dict[str, Any]) -> None:
        runs = selectors.batch_list(actor=actor, source_key=options["source"])
        rows = [batch_data(b) for b in runs[:200]]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        for r in rows:
            self.stdout.write(
                f"#{r['id']:<5} {r['source']:<24} {r['started_at']:%Y-%m-%d %H:%M}  {r['file_name']}: {r['summary']}"
            )

    def _rejects(self, actor: SystemActor, options: dict[str, Any]) -> None:
        batch = _batch(actor, options["run"])
        rejects = selectors.reject_list(actor=actor, batch=batch)
        if not options["output"]:
            write_rejects_csv(sys.stdout, rejects)
            return
        with Path(options["output"]).open("w", encoding="utf-8", newline="") as out:
            write_rejects_csv(out, rejects)

    def _delete_batch(self, actor: SystemActor, options: dict[str, Any]) -> None:
        batch = _batch(actor, options["run"])
        services.batch_delete(actor=actor, batch=batch)
        self.stdout.write(f"Deleted batch #{batch.pk} of {batch.source.key}.")

    def _rule(self, actor: SystemActor, options: dict[str, Any]) -> None:
        from csi.catalog.models import Service

        sub = options["rule_action"]
        if sub == "add":
            source = selectors.source_get(actor=actor, key=options["source"])
            service = Service.objects.filter(key=options["service"]).first()
            if service is None:
                raise CommandError(f"No service '{options['service']}'.")
            rule = services.rule_create(
                actor=actor,
                source=source,
                data={
                    "service": service,
                    "field": options["field"] or "",
                    "values": options["value"],
                    "expression": options["expression"] or "",
                    "position": source.rules.count(),
                },
            )
            self.stdout.write(f"Added rule #{rule.pk}: {rule}")
        elif sub == "list":
            source = selectors.source_get(actor=actor, key=options["source"])
            for rule in selectors.rule_list(actor=actor, source=source):
                what = rule.expression or f"{rule.field} in {rule.values}"
                self.stdout.write(f"#{rule.pk:<5} {rule.service.key:<24} {what}")
        else:
            rule = selectors.rule_get(actor=actor, pk=options["id"])
            services.rule_delete(actor=actor, rule=rule)
            self.stdout.write(f"Deleted rule #{options['id']}.")

    def _generate(self, actor: SystemActor, options: dict[str, Any]) -> None:
        from csi.measures.generate import generate_event_log

        if options["tickets"] < 1:
            raise CommandError("--tickets must be at least 1")
        stats = generate_event_log(Path(options["out"]), tickets=options["tickets"], seed=options["seed"])
        self.stdout.write(
            f"Wrote {stats['events']} events of {stats['tickets']} tickets ({stats['bytes']} bytes) to {options['out']}"
        )


def merge_line(result: ImportResult) -> str:
    """What a ticket-event run adds to (or, in replace mode, removes from) its source's history."""
    counts, would = result.merge, result.status == "dry-run"
    text = (
        f"{result.mode}: {counts.new_events} new events "
        f"({counts.gaining_tickets} tickets {'would gain' if would else 'gain'} events), "
        f"{counts.seen_events} already there"
    )
    if result.mode == "replace":
        text += f", {counts.removed_events} {'would be' if would else 'were'} removed"
    return text


def merge_data(mode: str, counts: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "new_events": counts.new_events,
        "seen_events": counts.seen_events,
        "gaining_tickets": counts.gaining_tickets,
        "removed_events": counts.removed_events,
    }


REJECTS_PRINTED = 20


def _all_rejects(result: ImportResult, rejects_file: str | None) -> str:
    """Where to see every reject: the file just written, the recorded run, or how to write the file."""
    if rejects_file:
        return f"all of them are in {rejects_file}"
    if result.batch_id:
        return f"all of them: csi measures rejects {result.batch_id}"
    return "to write all of them to a CSV file, run again with --rejects rejects.csv"


def result_data(result: ImportResult) -> dict[str, Any]:
    return {
        **merge_data(result.mode, result.merge),
        "status": result.status,
        "source": result.source,
        "file_name": result.file_name,
        "batch_id": result.batch_id,
        "rows_read": result.rows_read,
        "summary": result.summary,
        "stored_nothing": result.status != "committed",
        "events": result.events,
        "tickets": result.tickets,
        "valid": result.valid,
        "valid_tickets": result.valid_tickets,
        "rejected": result.rejected,
        "repeated": result.repeated,
        "duplicate_of": result.duplicate_of,
        "duration_seconds": result.duration_seconds,
        "message": result.message,
        "rejects": [r.__dict__ for r in result.rejects[:100]],
    }


def batch_data(batch: Any) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "source": batch.source.key,
        "status": batch.status,
        "file_name": batch.file_name,
        "summary": batch.summary,
        "stored_nothing": batch.stored_nothing,
        "rows_read": batch.rows_read,
        "events": batch.stored_records,
        "tickets": batch.stored_tickets,
        "valid": batch.valid_records,
        "rejected": batch.rejected,
        "repeated": batch.repeated,
        **merge_data(batch.mode, batch),
        "started_at": batch.started_at,
        "duration_seconds": batch.duration_seconds,
        "message": batch.message,
    }


def write_rejects_csv(out: Any, rejects: Any) -> None:
    """The reject report as CSV into `out`; values that a spreadsheet would evaluate are made text."""
    writer = SafeWriter(out)
    writer.writerow(["line", "column", "value", "reason"])
    for reject in rejects:
        writer.writerow(
            [reject.line if reject.line is not None else "", reject.column, reject.value, reject.reason]
        )
