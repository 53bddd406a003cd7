"""`csi plans ...`: improvement plans and the portfolio over them, through the same services and
selectors as the pages and the API. Like every `csi` command it acts as the system (SystemActor "cli")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csi.core.permissions import SystemActor
from csi.improvement.choices import PlanKind
from csi.improvement.cli import (
    add_fields,
    iso_date,
    money,
    name,
    option_names,
    plan_named,
    process_named,
    refusing,
    related,
    service_named,
    write_json,
    write_yaml,
)
from csi.improvement.selectors import initiatives as initiative_selectors
from csi.improvement.selectors import plans as selectors
from csi.improvement.services import plans as services

PLAN_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "name": ("--name", {"help": "The plan's name."}),
    "owner": ("--owner", {"metavar": "USERNAME", "help": "Who owns it and approves within its limit."}),
    "maintainer": ("--maintainer", {"metavar": "USERNAME", "help": "Who maintains it ('' for nobody)."}),
    "period_start_date": (
        "--start",
        {"type": iso_date, "metavar": "DATE", "help": "The period's first day."},
    ),
    "period_end_date": ("--end", {"type": iso_date, "metavar": "DATE", "help": "The period's last day."}),
    "budget_limit": (
        "--budget-limit",
        {"type": money, "metavar": "AMOUNT", "help": "What the owner may approve alone."},
    ),
    "currency": ("--currency", {"metavar": "CODE", "help": "ISO 4217, such as EUR (default EUR)."}),
    "vision": ("--vision", {"help": "What is the vision?"}),
    "scope": ("--scope", {"help": "What the plan covers."}),
}
LINKS: dict[str, tuple[str, dict[str, Any]]] = {
    "services": ("--service", {"action": "append", "metavar": "KEY", "help": "A service it covers; repeat."}),
    "processes": (
        "--process",
        {"action": "append", "metavar": "KEY", "help": "A process it covers; repeat."},
    ),
}
OPTIONS = option_names(PLAN_FIELDS, LINKS, key="--key", kind="--kind", version="--version")


def plan_row(plan: Any) -> dict[str, Any]:
    return {
        "key": plan.key,
        "kind": plan.kind,
        "name": plan.name,
        "owner": name(plan.owner),
        "maintainer": name(plan.maintainer),
        "period_start_date": plan.period_start_date,
        "period_end_date": plan.period_end_date,
        "budget_limit": plan.budget_limit,
        "currency": plan.currency,
        "services": [s.key for s in plan.services.all()],
        "processes": [p.key for p in plan.processes.all()],
        "version": plan.version,
    }


class Command(BaseCommand):
    help = (
        "Improvement plans (strategic, service, process, security, continuity, skills): list, show, create, "
        "update, add objectives, and the portfolio of initiatives and budgets over every plan."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="Every plan, by kind and name.")
        lst.add_argument("--kind", choices=PlanKind.values)
        lst.add_argument("--json", action="store_true", help="Print JSON.")
        show = sub.add_parser("show", help="One plan with its objectives and initiatives (YAML, or JSON).")
        show.add_argument("key")
        show.add_argument("--json", action="store_true", help="Print JSON.")

        create = sub.add_parser("create", help="Create a plan.")
        create.add_argument("--key", required=True, help="Lower-case letters, digits and dashes.")
        create.add_argument("--kind", required=True, choices=PlanKind.values)
        add_fields(create, PLAN_FIELDS, required=frozenset({"name", "period_start_date", "period_end_date"}))
        add_fields(create, LINKS)
        create.add_argument("--json", action="store_true", help="Print JSON.")
        update = sub.add_parser(
            "update", help="Change the fields given; --service/--process replace the lists."
        )
        update.add_argument("key")
        add_fields(update, PLAN_FIELDS)
        add_fields(update, LINKS)
        update.add_argument("--version", type=int, help="Refuse if the plan is no longer at this version.")
        update.add_argument("--json", action="store_true", help="Print JSON.")
        objective = sub.add_parser("objective-add", help="Add an objective to a plan.")
        objective.add_argument("key")
        objective.add_argument("--title", required=True)
        objective.add_argument("--description", default="")

        portfolio = sub.add_parser(
            "portfolio", help="Per plan: initiatives by state, budget requested, approved and spent, health."
        )
        portfolio.add_argument("--kind", choices=PlanKind.values)
        portfolio.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        getattr(self, "_" + options["action"].replace("-", "_"))(actor, options)

    def _list(self, actor: SystemActor, options: dict[str, Any]) -> None:
        rows = [plan_row(p) for p in selectors.plan_list(actor=actor, kind=options["kind"])]
        if options["json"]:
            write_json(self, rows)
            return
        if not rows:
            self.stdout.write("No plans yet: csi plans create --key ... adds one.")
        for r in rows:
            period = f"{r['period_start_date']}..{r['period_end_date']}"
            self.stdout.write(
                f"{r['key']:<28} {r['kind']:<11} {period:<22} {r['owner'] or '-':<18} {r['name']}"
            )

    def _show(self, actor: SystemActor, options: dict[str, Any]) -> None:
        plan = plan_named(actor, options["key"])
        initiatives = initiative_selectors.initiative_list(actor=actor, plan_key=plan.key, order="number")
        data = {
            **plan_row(plan),
            "vision": plan.vision,
            "scope": plan.scope,
            "objectives": [
                {
                    "title": o.title,
                    "description": o.description,
                    "organisation_objective": str(o.organisation_objective or "") or None,
                }
                for o in plan.objectives.all()
            ],
            "initiatives": [{"number": i.number, "title": i.title, "state": i.state} for i in initiatives],
        }
        (write_json if options["json"] else write_yaml)(self, data)

    def _values(self, actor: SystemActor, options: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in PLAN_FIELDS:
            value = options[field]
            if value is not None:
                data[field] = related(actor, field, value) if field in {"owner", "maintainer"} else value
        if options["services"] is not None:
            data["services"] = [service_named(actor, key) for key in options["services"] if key]
        if options["processes"] is not None:
            data["processes"] = [process_named(actor, key) for key in options["processes"] if key]
        return data

    def _create(self, actor: SystemActor, options: dict[str, Any]) -> None:
        data = {"key": options["key"], "kind": options["kind"], **self._values(actor, options)}
        with refusing(f"The plan '{options['key']}' was not created", OPTIONS):
            plan = services.plan_create(actor=actor, data=data)
        self._done(actor, options, plan.key, "Created")

    def _update(self, actor: SystemActor, options: dict[str, Any]) -> None:
        plan = plan_named(actor, options["key"])
        data = self._values(actor, options)
        if not data:
            raise CommandError("Nothing to change: give the options to set (csi plans update --help).")
        with refusing(f"The plan '{plan.key}' was not changed", OPTIONS):
            services.plan_update(actor=actor, plan=plan, data=data, version=options["version"])
        self._done(actor, options, plan.key, "Updated")

    def _done(self, actor: SystemActor, options: dict[str, Any], key: str, verb: str) -> None:
        plan = selectors.plan_get(actor=actor, key=key)
        if options["json"]:
            write_json(self, plan_row(plan))
        else:
            self.stdout.write(f"{verb} plan {plan.key} (version {plan.version}): {plan.name}")

    def _objective_add(self, actor: SystemActor, options: dict[str, Any]) -> None:
        plan = plan_named(actor, options["key"])
        data = {"title": options["title"], "description": options["description"]}
        with refusing(f"The plan '{plan.key}' was not changed", {"title": "--title"}):
            objective = services.plan_objective_add(actor=actor, plan=plan, data=data)
        self.stdout.write(f"Added objective '{objective.title}' to plan {plan.key}.")

    def _portfolio(self, actor: SystemActor, options: dict[str, Any]) -> None:
        lines = selectors.portfolio(actor=actor, kind=options["kind"])
        totals = selectors.portfolio_totals(lines)
        if options["json"]:
            write_json(self, {"plans": [line.as_dict() for line in lines], "totals": totals})
            return
        if not lines:
            self.stdout.write("No plans yet.")
            return
        self.stdout.write(
            f"{'plan':<28} {'kind':<11} {'initiatives':>11} {'open':>5}  {'cur':<3} {'requested':>14} "
            f"{'approved':>14} {'spent':>14}  health"
        )
        for line in lines:
            self.stdout.write(
                f"{line.plan.key:<28} {line.plan.kind:<11} {line.total:>11} {line.open:>5}  "
                f"{line.plan.currency:<3} {line.requested:>14} {line.approved:>14} {line.spent:>14}  "
                f"{line.worst_health or '-'}"
            )
        for currency, sums in totals["budget"].items():
            self.stdout.write(
                f"Total {currency}: requested {sums['requested']}, approved {sums['approved']}, "
                f"spent {sums['spent']}"
            )
        self.stdout.write(f"{totals['initiatives']} initiative(s).")
