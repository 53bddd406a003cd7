"""`csi analytics tickets|backlog|events|states|attainment|board|refresh`: the analytics the pages and the API show."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from csi.analytics import selectors, services
from csi.core.permissions import SystemActor


def _instant(text: str | None) -> datetime | date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"'{text}' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[+01:00])"
        ) from exc


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


class Command(BaseCommand):
    help = (
        "Analytics: ticket figures per group (tickets), backlog at an instant (backlog), attainment per "
        "standard and period (attainment), the attainment board (board), recompute the rollups (refresh)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        tickets = sub.add_parser("tickets", help="Ticket counts, durations and rates per group.")
        tickets.add_argument("--source", required=True)
        tickets.add_argument(
            "--by",
            help="Group by an attribute (priority, category, assignment_group, service...): its latest "
            "value, or first:ATTRIBUTE (its first value), ever:ATTRIBUTE (every value a ticket ever had; "
            "the groups then overlap).",
        )
        tickets.add_argument(
            "--from", dest="start", help="Tickets opened at or after (YYYY-MM-DD or ISO date-time)."
        )
        tickets.add_argument("--to", dest="end", help="Tickets opened before.")
        tickets.add_argument("--json", action="store_true")
        backlog = sub.add_parser("backlog", help="Tickets opened at or before T and not closed at T.")
        backlog.add_argument("--source", required=True)
        backlog.add_argument("--at", required=True)
        backlog.add_argument("--by", help="As for tickets (not service).")
        backlog.add_argument("--json", action="store_true")
        events = sub.add_parser("events", help="Events per state (or attribute): events and tickets.")
        events.add_argument("--source", required=True)
        events.add_argument("--by", default="state", help="The event attribute (default: state).")
        events.add_argument("--from", dest="start", help="Events at or after (YYYY-MM-DD or ISO date-time).")
        events.add_argument("--to", dest="end", help="Events before.")
        events.add_argument("--json", action="store_true")
        states = sub.add_parser(
            "states",
            help="Time in each state: tickets, total, mean, median and p90 hours. A ticket's final state "
            "counts nothing unless --until is given and the ticket is not resolved or closed.",
        )
        states.add_argument("--source", required=True)
        states.add_argument("--until", help="Count open tickets' final state up to this instant.")
        states.add_argument("--json", action="store_true")
        attainment = sub.add_parser("attainment", help="Attainment per standard, version and period.")
        attainment.add_argument("--service")
        attainment.add_argument("--standard")
        attainment.add_argument("--period", default="month", choices=selectors.PERIODS)
        attainment.add_argument("--json", action="store_true")
        board = sub.add_parser(
            "board", help="Every standard: latest attainment, status, trend, error budget."
        )
        board.add_argument("--json", action="store_true")
        sub.add_parser("refresh", help="Recompute the rollups from the measurement store.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        try:
            getattr(self, "_" + options["action"])(actor, options)
        except (ValueError, Http404) as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _table(self, rows: list[dict[str, Any]], columns: list[str]) -> None:
        widths = [max(len(c), *(len(_cell(r.get(c))) for r in rows)) if rows else len(c) for c in columns]
        self.stdout.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for row in rows:
            self.stdout.write(
                "  ".join(_cell(row.get(c)).ljust(w) for c, w in zip(columns, widths, strict=True))
            )

    def _tickets(self, actor: SystemActor, options: dict[str, Any]) -> None:
        rows = selectors.tickets_report(
            actor=actor,
            source_key=options["source"],
            by=options["by"],
            start=_instant(options["start"]),
            end=_instant(options["end"]),
        )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        self._table(
            rows,
            [
                "key",
                "tickets",
                "events",
                "resolved",
                "mean_resolution_hours",
                "median_resolution_hours",
                "p90_resolution_hours",
                "mean_lifetime_hours",
                "median_lifetime_hours",
                "sla_flag_met_rate",
                "reopened_rate",
                "reassigned_rate",
            ],
        )

    def _backlog(self, actor: SystemActor, options: dict[str, Any]) -> None:
        at = _instant(options["at"])
        rows = selectors.backlog_report(actor=actor, source_key=options["source"], at=at, by=options["by"])
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        self._table(rows, ["key", "backlog"])

    def _events(self, actor: SystemActor, options: dict[str, Any]) -> None:
        rows = selectors.events_report(
            actor=actor,
            source_key=options["source"],
            by=options["by"],
            start=_instant(options["start"]),
            end=_instant(options["end"]),
        )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        self._table(rows, ["key", "events", "tickets"])

    def _states(self, actor: SystemActor, options: dict[str, Any]) -> None:
        rows = selectors.states_report(
            actor=actor, source_key=options["source"], until=_instant(options["until"])
        )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        self._table(rows, ["state", "tickets", "total_hours", "mean_hours", "median_hours", "p90_hours"])

    def _attainment(self, actor: SystemActor, options: dict[str, Any]) -> None:
        rows = [
            r.as_dict()
            for r in selectors.attainment_table(
                actor=actor,
                service_key=options["service"],
                standard_key=options["standard"],
                period=options["period"],
            )
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        if not rows:
            self.stdout.write(
                "No attainment yet: import ticket data and map it to services (csi measures rule add)."
            )
            return
        self._table(
            rows,
            [
                "standard",
                "version",
                "period_start",
                "tickets",
                "met",
                "breached",
                "attainment_percent",
                "target_percent",
                "status",
            ],
        )

    def _board(self, actor: SystemActor, options: dict[str, Any]) -> None:
        board = selectors.attainment_board(actor=actor)
        if options["json"]:
            self.stdout.write(json.dumps(board, indent=2, default=str))
            return
        rows = [
            {
                "standard": b["standard"],
                "period": b["latest"]["period_start"],
                "attainment": b["latest"]["attainment_percent"],
                "target": b["latest"]["target_percent"],
                "status": b["latest"]["status"],
                "trend": b["trend"]["direction"] if b["trend"] else None,
                "budget_left": b["budget"]["remaining"] if b["budget"] else None,
            }
            for b in board
        ]
        self._table(rows, ["standard", "period", "attainment", "target", "status", "trend", "budget_left"])

    def _refresh(self, actor: SystemActor, options: dict[str, Any]) -> None:
        run = services.rollups_refresh(actor=actor)
        self.stdout.write(
            f"Rollups refreshed from {run.events} events ({run.tickets} tickets) in {run.duration_seconds:.2f} s."
        )
