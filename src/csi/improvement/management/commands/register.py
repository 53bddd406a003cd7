"""`csi register ...`: the CSI register from the command line, through the same services and selectors
as the pages and the API. Like every `csi` command it acts as the system (SystemActor "cli").

Shared helpers (argument types, lookups, `refusing`) are in `csi.improvement.cli`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csi.core.permissions import SystemActor
from csi.improvement.choices import (
    OPPORTUNITY_TRANSITIONS,
    OpportunitySource,
    OpportunityState,
    Size,
    Timescale,
)
from csi.improvement.cli import (
    add_fields,
    entry_numbered,
    initiative_numbered,
    iso_date,
    name,
    option_names,
    plan_named,
    refusing,
    related,
    write_json,
    write_yaml,
)
from csi.improvement.selectors import register as selectors
from csi.improvement.services import register as services

# --- The register -----------------------------------------------------------------------------------

LEVEL = {"type": int, "choices": range(1, 6), "metavar": "1-5"}
ENTRY_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "title": ("--title", {"help": "The opportunity in one line."}),
    "description": ("--description", {"help": "What could be better, with the facts."}),
    "source": ("--source", {"choices": OpportunitySource.values, "help": "Where it comes from."}),
    "service": ("--service", {"metavar": "KEY", "help": "The catalog service it concerns ('' for none)."}),
    "process": ("--process", {"metavar": "KEY", "help": "The process it concerns ('' for none)."}),
    "standard": ("--standard", {"metavar": "KEY", "help": "The service standard concerned ('' for none)."}),
    "kpi": ("--kpi", {"help": "The KPI concerned."}),
    "impact": ("--impact", {**LEVEL, "help": "1 (low) to 5 (high)."}),
    "urgency": ("--urgency", {**LEVEL, "help": "1 (low) to 5 (high)."}),
    "benefit": ("--benefit", {**LEVEL, "help": "1 (low) to 5 (high)."}),
    "effort": ("--effort", {**LEVEL, "help": "1 (little) to 5 (much)."}),
    "size": ("--size", {"choices": Size.values}),
    "timescale": ("--timescale", {"choices": Timescale.values}),
    "justification": ("--justification", {}),
    "expected_benefit": ("--expected-benefit", {}),
    "actioned_by": ("--actioned-by", {"metavar": "USERNAME", "help": "Who actions it ('' for nobody)."}),
    "required_by_date": ("--required-by", {"type": iso_date, "metavar": "DATE"}),
}
OPTIONS = option_names(
    ENTRY_FIELDS,
    raised_by="--raised-by",
    reason="--reason",
    state_reason="--reason",
    duplicate_of="--of",
    deferred_until_date="--until",
    plan="--plan",
    initiative="--initiative",
    version="--version",
)


def entry_row(entry: Any) -> dict[str, Any]:
    return {
        "number": entry.number,
        "title": entry.title,
        "state": entry.state,
        "source": entry.source,
        "service": entry.service.key if entry.service else None,
        "process": entry.process.key if entry.process else None,
        "score": entry.score,
        "initiative": entry.initiative.number if entry.initiative else None,
        "raised_at": entry.raised_at,
    }


def entry_data(entry: Any) -> dict[str, Any]:
    return {
        **entry_row(entry),
        "description": entry.description,
        "impact": entry.impact,
        "urgency": entry.urgency,
        "benefit": entry.benefit,
        "effort": entry.effort,
        "size": entry.size,
        "timescale": entry.timescale,
        "kpi": entry.kpi,
        "standard": entry.standard.key if entry.standard else None,
        "justification": entry.justification,
        "expected_benefit": entry.expected_benefit,
        "raised_by": name(entry.raised_by),
        "actioned_by": name(entry.actioned_by),
        "required_by_date": entry.required_by_date,
        "state_reason": entry.state_reason,
        "duplicate_of": entry.duplicate_of.number if entry.duplicate_of else None,
        "deferred_until_date": entry.deferred_until_date,
        "decided_by": name(entry.decided_by),
        "decided_at": entry.decided_at,
        "version": entry.version,
        "evidence": [
            {"kind": e.kind, "title": e.title, "attached_at": e.attached_at} for e in entry.evidence.all()
        ],
    }


class Command(BaseCommand):
    help = (
        "The CSI register of improvement opportunities: list, show, raise, update, and decide on entries "
        f"({', '.join(OPPORTUNITY_TRANSITIONS)}). `weights` shows or sets the priority weights."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="The register, highest priority first.")
        lst.add_argument("--state", choices=OpportunityState.values)
        lst.add_argument("--source", choices=OpportunitySource.values)
        lst.add_argument("--service", metavar="KEY")
        lst.add_argument("--search", help="Text in the title or description, or a number.")
        lst.add_argument("--order", choices=list(selectors.ORDERS), default="rank")
        lst.add_argument("--json", action="store_true", help="Print JSON.")
        show = sub.add_parser("show", help="One entry with its evidence (YAML, or JSON).")
        show.add_argument("number", help="CSI-0001")
        show.add_argument("--json", action="store_true", help="Print JSON.")

        raise_ = sub.add_parser("raise", help="Raise an entry; likely duplicates are pointed out.")
        add_fields(raise_, ENTRY_FIELDS, required=frozenset({"title", "description", "source"}))
        raise_.add_argument("--raised-by", dest="raised_by", metavar="USERNAME", help="Who raised it.")
        raise_.add_argument("--json", action="store_true", help="Print JSON.")
        update = sub.add_parser("update", help="Change the fields given (not the state).")
        update.add_argument("number")
        add_fields(update, ENTRY_FIELDS)
        update.add_argument("--version", type=int, help="Refuse if the entry is no longer at this version.")
        update.add_argument("--json", action="store_true", help="Print JSON.")

        for action, transition in OPPORTUNITY_TRANSITIONS.items():
            allowed = ", ".join(sorted(transition.sources))
            step = sub.add_parser(action, help=f"{transition.label} (from {allowed}).")
            step.add_argument("number")
            step.add_argument(
                "--reason", default="", required=transition.needs_reason, help="Why (kept with the decision)."
            )
            if action == "accept":
                step.add_argument("--plan", metavar="KEY", help="The plan to create an initiative in.")
                step.add_argument("--initiative", metavar="INI-0001", help="An open initiative to join.")
                step.add_argument(
                    "--title", default="", help="The new initiative's title (default: the entry's)."
                )
            elif action == "mark-duplicate":
                step.add_argument("--of", dest="duplicate_of", required=True, metavar="CSI-0001")
            elif action == "defer":
                step.add_argument("--until", dest="until", required=True, type=iso_date, metavar="DATE")
            step.add_argument("--version", type=int, help="Refuse if the entry is no longer at this version.")
            step.add_argument("--json", action="store_true", help="Print JSON.")

        weights = sub.add_parser("weights", help="Show the priority weights, or set those given (0 to 10).")
        for level in services.WEIGHT_FIELDS:
            weights.add_argument(f"--{level}", type=int, metavar="N")
        weights.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        action = options["action"]
        if action in OPPORTUNITY_TRANSITIONS:
            self._transition(actor, options)
        else:
            getattr(self, "_" + action)(actor, options)

    def _list(self, actor: SystemActor, options: dict[str, Any]) -> None:
        entries = selectors.opportunity_list(
            actor=actor,
            state=options["state"],
            source=options["source"],
            service_key=options["service"],
            search=options["search"],
            order=options["order"],
        )
        rows = [entry_row(e) for e in entries]
        if options["json"]:
            write_json(self, rows)
            return
        if not rows:
            self.stdout.write("No register entries: csi register raise --title ... adds one.")
        for r in rows:
            about = r["service"] or r["process"] or "-"
            self.stdout.write(f"{r['number']:<9} {r['state']:<16} {r['score']:>5}  {about:<24} {r['title']}")

    def _show(self, actor: SystemActor, options: dict[str, Any]) -> None:
        data = entry_data(entry_numbered(actor, options["number"]))
        (write_json if options["json"] else write_yaml)(self, data)

    def _values(self, actor: SystemActor, options: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        data = {}
        for field in fields:
            value = options.get(field)
            if value is not None:
                known = field in {"service", "process", "standard", "actioned_by", "raised_by"}
                data[field] = related(actor, field, value) if known else value
        return data

    def _raise(self, actor: SystemActor, options: dict[str, Any]) -> None:
        data = self._values(actor, options, [*ENTRY_FIELDS, "raised_by"])
        with refusing("The entry was not raised", OPTIONS):
            entry = services.opportunity_raise(actor=actor, data=data)
            alike = selectors.likely_duplicates(
                actor=actor,
                title=entry.title,
                description=entry.description,
                service_id=entry.service_id,
                exclude_id=entry.pk,
            )
        for other, similarity in alike:
            self.stderr.write(
                f"Warning: {entry.number} looks like {other.number} '{other.title}' ({other.state}, similarity "
                f"{similarity:.2f}). If it is the same: csi register mark-duplicate {entry.number} --of {other.number}"
            )
        if options["json"]:
            duplicates = [{"number": o.number, "title": o.title, "similarity": s} for o, s in alike]
            write_json(self, {**entry_data(entry), "likely_duplicates": duplicates})
        else:
            self.stdout.write(f"Raised {entry.number} (score {entry.score}): {entry.title}")

    def _update(self, actor: SystemActor, options: dict[str, Any]) -> None:
        entry = entry_numbered(actor, options["number"])
        data = self._values(actor, options, list(ENTRY_FIELDS))
        if not data:
            raise CommandError("Nothing to change: give the options to set (csi register update --help).")
        with refusing(f"{entry.number} was not changed", OPTIONS):
            entry = services.opportunity_update(
                actor=actor, opportunity=entry, data=data, version=options["version"]
            )
        if options["json"]:
            write_json(self, entry_data(entry))
        else:
            self.stdout.write(f"Updated {entry.number} (version {entry.version}, score {entry.score}).")

    def _transition(self, actor: SystemActor, options: dict[str, Any]) -> None:
        action = options["action"]
        entry = entry_numbered(actor, options["number"])
        extra: dict[str, Any] = {}
        if action == "accept":
            if options["plan"]:
                extra["plan"] = plan_named(actor, options["plan"])
            if options["initiative"]:
                extra["initiative"] = initiative_numbered(actor, options["initiative"])
            extra["initiative_title"] = options["title"]
        elif action == "mark-duplicate":
            extra["duplicate_of"] = entry_numbered(actor, options["duplicate_of"])
        elif action == "defer":
            extra["deferred_until_date"] = options["until"]
        with refusing(f"{entry.number} was not changed", OPTIONS):
            entry = services.opportunity_transition(
                actor=actor,
                opportunity=entry,
                action=action,
                reason=options["reason"],
                version=options["version"],
                **extra,
            )
        entry = selectors.opportunity_get(actor=actor, number=entry.number)
        if options["json"]:
            write_json(self, entry_data(entry))
            return
        message = f"{entry.number} is now {entry.get_state_display().lower()}"
        if entry.initiative is not None and action == "accept":
            message += f": {entry.initiative.number} in the plan '{entry.initiative.plan}'"
        self.stdout.write(message + ".")

    def _weights(self, actor: SystemActor, options: dict[str, Any]) -> None:
        data = {f: options[f] for f in services.WEIGHT_FIELDS if options[f] is not None}
        if data:
            with refusing("The weights were not changed", {f: f"--{f}" for f in data}):
                weights = services.weights_update(actor=actor, data=data)
        else:
            weights = services.weights_get()
        if options["json"]:
            write_json(self, {f: getattr(weights, f) for f in services.WEIGHT_FIELDS})
        else:
            self.stdout.write(
                f"Priority weights: {weights}" + (" (changed; scores recomputed)" if data else "")
            )
