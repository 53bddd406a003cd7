"""`csi initiatives ...`: improvement initiatives, their objectives, baseline, tasks, status updates and
workflow, through the same services and selectors as the pages and the API. Like every `csi` command it
acts as the system (SystemActor "cli", which may take every transition); `decisions --as USERNAME`
shows what waits for one person's decision."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csi.core.permissions import SystemActor
from csi.improvement.choices import (
    INITIATIVE_TRANSITIONS,
    ExecutionMode,
    Health,
    InitiativeState,
    KpiKind,
    Measure,
    Outcome,
)
from csi.improvement.cli import (
    add_fields,
    entry_numbered,
    initiative_numbered,
    iso_date,
    money,
    name,
    option_names,
    plan_named,
    refusing,
    related,
    user_named,
    write_json,
    write_yaml,
)
from csi.improvement.selectors import initiatives as selectors
from csi.improvement.services import initiatives as services
from csi.improvement.services import workflow
from csi.improvement.smart import smart

TEXT = {"metavar": "TEXT"}
INITIATIVE_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "title": ("--title", {"help": "The initiative in one line."}),
    "summary": ("--summary", TEXT),
    "scope": ("--scope", TEXT),
    "owner": ("--owner", {"metavar": "USERNAME", "help": "Who leads it ('' for nobody)."}),
    "parent": (
        "--parent",
        {"metavar": "INI-0001", "help": "The strategic initiative it serves ('' for none)."},
    ),
    "current_practices": ("--current-practices", TEXT),
    "maturity_notes": ("--maturity-notes", TEXT),
    "gap_analysis": ("--gap-analysis", TEXT),
    "approach": ("--approach", TEXT),
    "execution_mode": ("--execution-mode", {"choices": ExecutionMode.values}),
    "project_reference": ("--project-reference", TEXT),
    "project_manager": ("--project-manager", {"metavar": "USERNAME"}),
    "expected_benefits": ("--expected-benefits", TEXT),
    "cost_estimate": ("--cost-estimate", {"type": money, "metavar": "AMOUNT"}),
    "budget_requested": ("--budget-requested", {"type": money, "metavar": "AMOUNT"}),
    "budget_spent": ("--budget-spent", {"type": money, "metavar": "AMOUNT"}),
    "evaluation": ("--evaluation", TEXT),
    "momentum": ("--momentum", TEXT),
}
OBJECTIVE_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "title": ("--title", {"help": "Where do we want to be, in one line."}),
    "description": ("--description", TEXT),
    "kpi_kind": ("--kpi-kind", {"choices": KpiKind.values, "help": "standard (attainment) or measure."}),
    "standard": ("--standard", {"metavar": "KEY", "help": "The standard whose attainment is the KPI."}),
    "measure": ("--measure", {"choices": Measure.values, "help": "The ticket measure that is the KPI."}),
    "service": ("--service", {"metavar": "KEY", "help": "The service the measure is taken for."}),
    "source_key": ("--source", {"metavar": "KEY", "help": "The data source the measure is read from."}),
    "baseline_value": ("--baseline", {"type": float, "metavar": "N"}),
    "target_value": ("--target", {"type": float, "metavar": "N"}),
    "unit": ("--unit", {}),
    "due_date": ("--due", {"type": iso_date, "metavar": "DATE"}),
    "plan_objective": ("--plan-objective", {"metavar": "TITLE", "help": "The plan objective it serves."}),
    "achievability": ("--achievability", {"metavar": "TEXT", "help": "Why the target can be reached."}),
}
TASK_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "title": ("--title", {}),
    "owner": ("--owner", {"metavar": "USERNAME"}),
    "due_date": ("--due", {"type": iso_date, "metavar": "DATE"}),
    "resources": ("--resources", TEXT),
    "effort_hours": ("--effort-hours", {"type": money, "metavar": "HOURS"}),
    "percent_complete": ("--percent", {"type": int, "metavar": "0-100"}),
}
OPTIONS = option_names(
    INITIATIVE_FIELDS, plan="--plan", version="--version", reason="--reason", amount="--amount"
) | {"outcome": "--outcome", "health": "--health", "note": "--note", "window_days": "--window-days"}
OBJECTIVE_OPTIONS = option_names(OBJECTIVE_FIELDS, version="--version")
TASK_OPTIONS = option_names(TASK_FIELDS, is_milestone="--milestone", depends_on="--depends-on")


def initiative_row(i: Any) -> dict[str, Any]:
    return {
        "number": i.number,
        "title": i.title,
        "plan": i.plan.key,
        "state": i.state,
        "owner": name(i.owner),
        "parent": i.parent.number if i.parent else None,
        "health": i.health,
        "percent_complete": i.percent_complete,
        "budget_requested": i.budget_requested,
        "version": i.version,
    }


def objective_data(o: Any) -> dict[str, Any]:
    return {
        "title": o.title,
        "description": o.description,
        "kpi_kind": o.kpi_kind,
        "standard": o.standard.key if o.standard else None,
        "measure": o.measure,
        "service": o.service.key if o.service else None,
        "source_key": o.source_key,
        "baseline_value": o.baseline_value,
        "target_value": o.target_value,
        "unit": o.unit,
        "due_date": o.due_date,
        "plan_objective": o.plan_objective.title if o.plan_objective else None,
        "achievability": o.achievability,
        "smart": [{"letter": c.letter, "ok": c.ok, "missing": c.missing} for c in smart(o)],
    }


def initiative_data(actor: Any, i: Any) -> dict[str, Any]:
    """Everything `show` prints: the CSI model's sections, objectives with their SMART check, the
    seven-step position, the roll-up over delegated initiatives and the timeline."""
    sections = (
        "current_practices", "maturity_notes", "gap_analysis", "approach", "execution_mode",
        "project_reference", "expected_benefits", "evaluation", "momentum",
    )  # fmt: skip
    stamps = ("proposed_at", "approved_at", "funded_at", "started_at", "implemented_at", "closed_at")
    return {
        **initiative_row(i),
        "summary": i.summary,
        "scope": i.scope,
        "outcome": i.outcome,
        "state_reason": i.state_reason,
        "created_by": name(i.created_by),
        "project_manager": name(i.project_manager),
        "sections": {field: getattr(i, field) for field in sections},
        "budget": {
            "currency": i.plan.currency,
            "cost_estimate": i.cost_estimate,
            "requested": i.budget_requested,
            "approved": i.budget_approved,
            "spent": i.budget_spent,
        },
        "decisions": {
            "proposed_by": name(i.proposed_by),
            "approved_by": name(i.approved_by),
            "funded_by": name(i.funded_by),
            **{field: getattr(i, field) for field in stamps},
        },
        "objectives": [objective_data(o) for o in i.objectives.all()],
        "baseline_date": i.baseline_date,
        "baseline": [
            {
                "kpi": b.kpi,
                "value": b.value,
                "unit": b.unit,
                "window": [b.window_start_date, b.window_end_date],
            }
            for b in i.baseline.all()
        ],
        "tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "milestone": t.is_milestone,
                "owner": name(t.owner),
                "due_date": t.due_date,
                "percent_complete": t.percent_complete,
                "depends_on": [d.pk for d in t.depends_on.all()],
            }
            for t in i.tasks.all()
        ],
        "risks": [
            {"description": r.description, "likelihood": r.likelihood, "impact": r.impact}
            for r in i.risks.all()
        ],
        "origins": [o.number for o in i.origins.all()],
        "seven_step": [
            {"step": s.number, "label": s.label, "status": s.status, "why": s.why}
            for s in selectors.seven_step(i)
        ],
        "rollup": selectors.rollup(i).as_dict(),
        "actions": [t.action for t in selectors.available_actions(actor, i)],
        "timeline": [
            {
                "at": e.at,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "health": e.health,
                "percent_complete": e.percent_complete,
                "note": e.note,
                "amount": e.amount,
                "by": e.actor_label,
            }
            for e in i.timeline.all()
        ],
    }


class Command(BaseCommand):
    help = (
        "Improvement initiatives: list, show, create and update them, add objectives and tasks, take a "
        "baseline, post status updates, take workflow transitions, the board, and what waits for whom."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="Initiatives, newest first.")
        lst.add_argument("--plan", metavar="KEY")
        lst.add_argument("--state", choices=["open", *InitiativeState.values], help="open: every open state.")
        lst.add_argument("--owner", metavar="USERNAME")
        lst.add_argument("--search", help="Text in the number, title or summary.")
        lst.add_argument("--order", choices=list(selectors.ORDERS), default="newest")
        lst.add_argument("--json", action="store_true", help="Print JSON.")
        show = sub.add_parser(
            "show", help="Sections, objectives (SMART), seven steps, roll-up, timeline (YAML, or JSON)."
        )
        show.add_argument("number", help="INI-0001")
        show.add_argument("--json", action="store_true", help="Print JSON.")

        create = sub.add_parser("create", help="Create a draft initiative in a plan.")
        create.add_argument("--plan", required=True, metavar="KEY")
        add_fields(create, INITIATIVE_FIELDS, required=frozenset({"title"}))
        create.add_argument(
            "--origin", action="append", default=[], metavar="CSI-0001", help="A register entry it acts on."
        )
        update = sub.add_parser(
            "update", help="Change the sections given (after approval, may need re-approval)."
        )
        update.add_argument("number")
        add_fields(update, INITIATIVE_FIELDS)
        objective = sub.add_parser("objective-add", help="Add an objective: a KPI, its target and due date.")
        objective.add_argument("number")
        add_fields(objective, OBJECTIVE_FIELDS, required=frozenset({"title"}))
        baseline = sub.add_parser("baseline", help="Freeze each objective's KPI now as the baseline.")
        baseline.add_argument("number")
        baseline.add_argument(
            "--at", type=iso_date, metavar="DATE", help="The window's end (default: today)."
        )
        baseline.add_argument("--window-days", type=int, default=90, metavar="N", help="Default 90.")
        status = sub.add_parser("status", help="Post a status update: health, percent complete, note.")
        status.add_argument("number")
        status.add_argument("--health", required=True, choices=Health.values)
        status.add_argument("--percent", required=True, type=int, metavar="0-100")
        status.add_argument("--note", default="")
        task = sub.add_parser("task-add", help="Add a task or milestone.")
        task.add_argument("number")
        add_fields(task, TASK_FIELDS, required=frozenset({"title"}))
        task.add_argument("--milestone", dest="is_milestone", action="store_true")
        task.add_argument("--depends-on", action="append", default=[], type=int, metavar="TASK_ID")
        transition = sub.add_parser(
            "transition", help="Take a workflow action: " + ", ".join(INITIATIVE_TRANSITIONS) + "."
        )
        transition.add_argument("number")
        transition.add_argument(
            "step",
            choices=list(INITIATIVE_TRANSITIONS),
            metavar="ACTION",
            help=", ".join(INITIATIVE_TRANSITIONS),
        )
        transition.add_argument("--reason", default="", help="Why (reject, decline-budget, hold, cancel).")
        transition.add_argument("--amount", type=money, help="The amount funded (fund).")
        transition.add_argument("--outcome", default="", choices=Outcome.values, help="The outcome (close).")
        for step in (update, objective, transition):
            step.add_argument(
                "--version", type=int, help="Refuse if the initiative is no longer at this version."
            )
        for step in (create, update, objective, baseline, status, task, transition):
            step.add_argument("--json", action="store_true", help="Print the initiative as JSON.")

        board = sub.add_parser("board", help="Initiatives by state, in the order work moves.")
        board.add_argument("--plan", metavar="KEY")
        board.add_argument("--open", action="store_true", help="Leave out closed, rejected and cancelled.")
        board.add_argument("--json", action="store_true", help="Print JSON.")
        decisions = sub.add_parser("decisions", help="Approvals and budget requests waiting for a person.")
        decisions.add_argument("--as", dest="username", required=True, metavar="USERNAME")
        decisions.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        getattr(self, "_" + options["action"].replace("-", "_"))(actor, options)

    def _list(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiatives = selectors.initiative_list(
            actor=actor,
            plan_key=options["plan"],
            state=options["state"],
            owner=options["owner"],
            search=options["search"],
            order=options["order"],
        )
        rows = [initiative_row(i) for i in initiatives]
        if options["json"]:
            write_json(self, rows)
            return
        if not rows:
            self.stdout.write("No initiatives: csi register accept ... or csi initiatives create adds one.")
        for r in rows:
            self.stdout.write(
                f"{r['number']:<9} {r['state']:<16} {r['plan']:<24} {r['health'] or '-':<6} "
                f"{r['percent_complete']:>3}%  {r['title']}"
            )

    def _show(self, actor: SystemActor, options: dict[str, Any]) -> None:
        data = initiative_data(actor, initiative_numbered(actor, options["number"]))
        (write_json if options["json"] else write_yaml)(self, data)

    def _done(
        self, actor: SystemActor, options: dict[str, Any], number: str, message: str, state: str
    ) -> None:
        """Print the result of a change: the initiative as JSON, or the message (and a new state)."""
        initiative = initiative_numbered(actor, number)
        if options["json"]:
            write_json(self, initiative_data(actor, initiative))
            return
        if initiative.state != state:
            message += f"; it is now {initiative.get_state_display().lower()}"
        self.stdout.write(f"{message} (version {initiative.version}).")

    def _values(self, actor: SystemActor, options: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in fields:
            value = options.get(field)
            if value is None:
                continue
            if field == "parent":
                value = initiative_numbered(actor, value) if value else None
            elif field in {"owner", "project_manager", "service", "standard"}:
                value = related(actor, field, value)
            data[field] = value
        return data

    def _create(self, actor: SystemActor, options: dict[str, Any]) -> None:
        plan = plan_named(actor, options["plan"])
        data = self._values(actor, options, INITIATIVE_FIELDS)
        origins = [entry_numbered(actor, number) for number in options["origin"]]
        with refusing(f"No initiative was created in the plan '{plan.key}'", OPTIONS):
            initiative = services.initiative_create(actor=actor, plan=plan, data=data, origins=origins)
        self._done(actor, options, initiative.number, f"Created {initiative.number} in {plan.key}", "draft")

    def _update(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiative = initiative_numbered(actor, options["number"])
        data = self._values(actor, options, INITIATIVE_FIELDS)
        if not data:
            raise CommandError("Nothing to change: give the options to set (csi initiatives update --help).")
        with refusing(f"{initiative.number} was not changed", OPTIONS):
            services.initiative_update(
                actor=actor, initiative=initiative, data=data, version=options["version"]
            )
        self._done(actor, options, initiative.number, f"Updated {initiative.number}", initiative.state)

    def _objective_add(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiative = initiative_numbered(actor, options["number"])
        data = self._values(actor, options, OBJECTIVE_FIELDS)
        if "plan_objective" in data:
            wanted = data["plan_objective"]
            plan = plan_named(actor, initiative.plan.key)
            data["plan_objective"] = next((o for o in plan.objectives.all() if o.title == wanted), None)
            if data["plan_objective"] is None:
                raise CommandError(
                    f"The plan '{plan.key}' has no objective {wanted!r} (csi plans show {plan.key} lists them)."
                )
        with refusing(f"{initiative.number} was not changed", OBJECTIVE_OPTIONS):
            services.objective_add(actor=actor, initiative=initiative, data=data, version=options["version"])
        message = f"Added objective '{data['title']}' to {initiative.number}"
        self._done(actor, options, initiative.number, message, initiative.state)

    def _baseline(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiative = initiative_numbered(actor, options["number"])
        with refusing(f"{initiative.number} was not changed", OPTIONS):
            values = services.baseline_take(
                actor=actor, initiative=initiative, at=options["at"], window_days=options["window_days"]
            )
        if not options["json"]:
            for v in values:
                shown = "no data" if v.value is None else f"{v.value:g}{v.unit and ' ' + v.unit}"
                self.stdout.write(f"  {v.kpi}: {shown} ({v.window_start_date} to {v.window_end_date})")
        self._done(
            actor, options, initiative.number, f"Baseline of {initiative.number} taken", initiative.state
        )

    def _status(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiative = initiative_numbered(actor, options["number"])
        with refusing(f"{initiative.number} was not changed", OPTIONS | {"percent_complete": "--percent"}):
            services.status_update_add(
                actor=actor,
                initiative=initiative,
                health=options["health"],
                percent_complete=options["percent"],
                note=options["note"],
            )
        self._done(
            actor, options, initiative.number, f"Status of {initiative.number} posted", initiative.state
        )

    def _task_add(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiative = initiative_numbered(actor, options["number"])
        data = {**self._values(actor, options, TASK_FIELDS), "is_milestone": options["is_milestone"]}
        tasks = {t.pk: t for t in initiative.tasks.all()}
        missing = [str(pk) for pk in options["depends_on"] if pk not in tasks]
        if missing:
            raise CommandError(
                f"{initiative.number} has no task {', '.join(missing)} (csi initiatives show lists them)."
            )
        with refusing(f"{initiative.number} was not changed", TASK_OPTIONS):
            task = services.task_add(
                actor=actor,
                initiative=initiative,
                data=data,
                depends_on=[tasks[pk] for pk in options["depends_on"]],
            )
        self._done(
            actor,
            options,
            initiative.number,
            f"Added task {task.pk} to {initiative.number}",
            initiative.state,
        )

    def _transition(self, actor: SystemActor, options: dict[str, Any]) -> None:
        initiative = initiative_numbered(actor, options["number"])
        with refusing(f"{initiative.number} was not changed", OPTIONS):
            workflow.initiative_transition(
                actor=actor,
                initiative=initiative,
                action=options["step"],
                reason=options["reason"],
                amount=options["amount"],
                outcome=options["outcome"],
                version=options["version"],
            )
        message = f"Took '{options['step']}' on {initiative.number}"
        self._done(actor, options, initiative.number, message, initiative.state)

    def _board(self, actor: SystemActor, options: dict[str, Any]) -> None:
        columns = selectors.board(actor=actor, plan_key=options["plan"], include_final=not options["open"])
        if options["json"]:
            write_json(
                self,
                [
                    {"state": s, "label": label, "initiatives": [initiative_row(i) for i in items]}
                    for s, label, items in columns
                ],
            )
            return
        for _state, label, items in columns:
            self.stdout.write(f"{label} ({len(items)})")
            for i in items:
                self.stdout.write(f"  {i.number:<9} {i.plan.key:<24} {i.health or '-':<6} {i.title}")

    def _decisions(self, actor: SystemActor, options: dict[str, Any]) -> None:
        user = user_named(options["username"])
        rows = [
            {
                **initiative_row(d.initiative),
                "waiting_for": d.what,
                "actions": list(d.actions),
                "proposed_by": name(d.initiative.proposed_by),
            }
            for d in selectors.waiting_for_decision(user)
        ]
        if options["json"]:
            write_json(self, rows)
            return
        if not rows:
            self.stdout.write(f"Nothing waits for {user.username}'s decision.")
        for r in rows:
            self.stdout.write(
                f"{r['number']:<9} {r['waiting_for']:<9} {r['plan']:<24} {r['budget_requested']:>12}  "
                f"{'/'.join(r['actions']):<22} {r['title']}"
            )
