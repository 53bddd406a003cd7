"""`csi register`, `csi plans` and `csi initiatives`: one cycle as a person runs it (the real command in
a subprocess), then the other subcommands and every kind of refusal through call_command (faster), each
refusal one clear line with nothing changed."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from csi.cli import CsiUtility
from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor
from csi.core.services import snapshot
from csi.improvement.models import (
    Initiative,
    Opportunity,
    Plan,
    PlanObjective,
    PriorityWeights,
    TimelineEntry,
)
from csi.improvement.services import register as register_services

SYSTEM = SystemActor("test")
OBJECTIVE = [
    "--title",
    "Median resolution under 8 hours",
    "--kpi-kind",
    "measure",
    "--measure",
    "median_resolution_hours",
    "--service",
    "email",
    "--baseline",
    "12",
    "--target",
    "8",
    "--due",
    "2026-06-30",
    "--plan-objective",
    "Faster resolution",
]


def run(*args: str) -> tuple[str, str]:
    """call_command with the arguments as typed; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stored() -> dict[str, Any]:
    """Everything a refused command must leave as it was."""
    return {
        "entries": [snapshot(o) for o in Opportunity.objects.order_by("pk")],
        "plans": [snapshot(p) for p in Plan.objects.order_by("pk")],
        "initiatives": [snapshot(i) for i in Initiative.objects.order_by("pk")],
        "objectives": PlanObjective.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_plan_entry_initiative_cycle_as_a_person_runs_it(cli, owner, service):
    created = cli(
        "plans", "create", "--key", "email-sip", "--kind", "service", "--name", "Email SIP", "--owner",
        "owner", "--start", "2025-01-01", "--end", "2026-12-31", "--budget-limit", "10000", "--service",
        "email", check=True,
    )  # fmt: skip
    assert created.stdout.startswith("Created plan email-sip")
    raised = json.loads(
        cli(
            "register", "raise", "--title", "Email tickets breach the resolution SLA", "--description",
            "Too many email incidents are resolved after 8 hours.", "--source", "standard-breach",
            "--service", "email", "--impact", "5", "--json", check=True,
        ).stdout
    )  # fmt: skip
    assert (raised["number"], raised["state"], raised["service"], raised["likely_duplicates"]) == (
        "CSI-0001",
        "new",
        "email",
        [],
    )
    accepted = cli(
        "register", "accept", "CSI-0001", "--plan", "email-sip", "--title", "Cut email resolution time",
        check=True,
    )  # fmt: skip
    assert accepted.stdout.strip() == "CSI-0001 is now accepted: INI-0001 in the plan 'Email SIP'."
    # no --plan-objective: the plan has none, so the objective is not "relevant" (propose allows that)
    cli("initiatives", "objective-add", "INI-0001", *OBJECTIVE[:-2], check=True)

    before = stored()
    refused = cli("initiatives", "transition", "INI-0001", "close", "--outcome", "achieved")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "CommandError: INI-0001 was not changed. Cannot close INI-0001: it is draft, and close needs it "
        "under review."
    )
    assert stored() == before

    proposed = json.loads(
        cli("initiatives", "transition", "INI-0001", "propose", "--json", check=True).stdout
    )
    assert (proposed["number"], proposed["state"]) == ("INI-0001", "proposed")
    shown = json.loads(cli("initiatives", "show", "INI-0001", "--json", check=True).stdout)
    smart = {c["letter"]: c["missing"] for c in shown["objectives"][0]["smart"] if not c["ok"]}
    assert smart == {"relevant": "link it to one of the plan's objectives"}
    # Proposed without a baseline: the approach waits for approval (step 4), collecting data is missing.
    assert [(s["step"], s["status"]) for s in shown["seven_step"][:4]] == [
        (1, "done"),
        (2, "missing"),
        (3, "missing"),
        (4, "current"),
    ]
    assert shown["origins"] == ["CSI-0001"] and shown["plan"] == "email-sip"
    assert [e["action"] for e in shown["timeline"]] == ["create", "propose"]
    assert shown["actions"] == ["approve", "reject", "cancel"] and shown["rollup"]["initiatives"] == 1

    register = json.loads(cli("register", "list", "--json", check=True).stdout)
    assert [(e["number"], e["state"], e["initiative"]) for e in register] == [
        ("CSI-0001", "accepted", "INI-0001")
    ]
    assert AuditEvent.objects.filter(verb="propose", actor_label="cli").count() == 1


# --- call_command from here on ------------------------------------------------------------------------


@pytest.fixture
def initiative(plan: Plan, make_opportunity: Any, service: Any) -> Initiative:
    """INI-0001, a draft in the email SIP with one SMART objective, accepted from CSI-0001."""
    PlanObjective.objects.create(plan=plan, title="Faster resolution")
    entry = make_opportunity(service=service)
    register_services.opportunity_transition(actor=SYSTEM, opportunity=entry, action="accept", plan=plan)
    run("initiatives", "objective-add", "INI-0001", *OBJECTIVE)
    return Initiative.objects.get(number="INI-0001")


REFUSALS = [
        (["register", "show", "CSI-0099"], "No register entry 'CSI-0099' (csi register list lists them)."),
        (["plans", "show", "nope"], "No plan 'nope' (csi plans list lists them)."),
        (["initiatives", "show", "INI-0099"], "No initiative 'INI-0099' (csi initiatives list lists them)."),
        (["register", "raise", "--title", "T", "--description", "D", "--source", "audit", "--service", "x"],
         "No service 'x' (csi catalog list lists them)."),
        (["register", "accept", "CSI-0002", "--plan", "nope"], "No plan 'nope'"),
        (["register", "accept", "CSI-0002"],
         "CSI-0002 was not changed. --plan: Name the plan to create an initiative in, or an initiative to join."),
        (["register", "accept", "CSI-0002", "--plan", "printing-sip"],
         "CSI-0002 was not changed. --plan: Plan 'Printing SIP' does not cover service 'Email'"),
        (["register", "reject", "CSI-0002", "--reason", " "],
         "CSI-0002 was not changed. --reason: Say why you reject CSI-0002."),
        (["register", "defer", "CSI-0002", "--until", "2020-01-01"],
         "CSI-0002 was not changed. --until: Say until when, a date after today."),
        (["register", "mark-duplicate", "CSI-0002", "--of", "CSI-0002"], "--of: CSI-0002 cannot duplicate itself."),
        (["register", "reopen", "CSI-0002"], "Cannot reopen CSI-0002: it is new, and 'reopen' needs it"),
        (["register", "update", "CSI-0001", "--title", "New"], "CSI-0001 is accepted: a decided entry's fields"),
        (["register", "update", "CSI-0002", "--title", "New", "--version", "7"],
         "you had version 7, it is now at version 1"),
        (["register", "weights", "--impact", "11"], "The weights were not changed. --impact: Weights go from 0 to 10."),
        (["plans", "create", "--key", "email-sip", "--kind", "service", "--name", "X", "--start", "2025-01-01",
          "--end", "2025-12-31"], "The plan 'email-sip' was not created. Plan with this Key already exists."),
        (["plans", "create", "--key", "new-sip", "--kind", "service", "--name", "X", "--start", "2025-01-01",
          "--end", "2024-12-31"], "The plan 'new-sip' was not created. --end: The period ends before it starts."),
        (["plans", "update", "email-sip", "--owner", "nobody"], "No user is called 'nobody'."),
        (["initiatives", "transition", "INI-0001", "fund", "--amount", "10"],
         "INI-0001 was not changed. Cannot fund INI-0001: it is draft"),
        (["initiatives", "transition", "INI-0001", "approve", "--version", "1"],
         "you had version 1, it is now at version 2"),
        (["initiatives", "update", "INI-0001", "--execution-mode", "project"],
         "--project-reference: A formal project needs its project reference."),
        (["initiatives", "objective-add", "INI-0001", "--title", "X", "--kpi-kind", "standard"],
         "INI-0001 was not changed. --standard: Choose the standard whose attainment is the KPI."),
        (["initiatives", "objective-add", "INI-0001", "--title", "X", "--plan-objective", "Nope"],
         "The plan 'email-sip' has no objective 'Nope' (csi plans show email-sip lists them)."),
        (["initiatives", "status", "INI-0001", "--health", "red", "--percent", "101"],
         "INI-0001 was not changed. --percent: Ensure this value is less than or equal to 100."),
        (["initiatives", "baseline", "INI-0001"], "No ticket data has been imported yet."),
        (["initiatives", "task-add", "INI-0001", "--title", "X", "--depends-on", "99"], "INI-0001 has no task 99"),
        (["initiatives", "create", "--plan", "email-sip", "--title", "X", "--parent", "INI-0001"],
         "--parent: A parent initiative must be a strategic initiative."),
        (["initiatives", "decisions", "--as", "nobody"], "No user is called 'nobody'."),
        (["initiatives", "transition", "INI-0001", "launch"], "invalid choice: 'launch'"),
        (["register", "defer", "CSI-0002", "--until", "soon"], "'soon' is not a date (YYYY-MM-DD)"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_refusals_say_what_and_where_and_change_nothing(initiative, other_service, make_opportunity):
    make_opportunity(service=initiative.plan.services.get(), title="Email backlog grows")
    Plan.objects.create(
        key="printing-sip", kind="service", name="Printing SIP", period_start_date=date(2025, 1, 1),
        period_end_date=date(2025, 12, 31),
    ).services.set([other_service])  # fmt: skip
    for args, message in REFUSALS:
        before = stored()
        with pytest.raises(CommandError) as refused:
            run(*args)
        assert message in str(refused.value), (args, str(refused.value))
        assert "\n" not in str(refused.value), args
        assert stored() == before, args


@pytest.mark.django_db
def test_register_show_update_decisions_and_weights(service, make_opportunity, initiative):
    entry = make_opportunity(service=service, title="Email backlog grows", impact=2)
    shown = json.loads(run("register", "show", entry.number, "--json")[0])
    assert (shown["title"], shown["impact"], shown["version"], shown["evidence"]) == (
        "Email backlog grows",
        2,
        1,
        [],
    )
    assert "title: Email backlog grows" in run("register", "show", entry.number)[0]

    out, _ = run("register", "update", entry.number, "--impact", "5", "--kpi", "backlog", "--version", "1")
    assert out.startswith(f"Updated {entry.number} (version 2")
    assert Opportunity.objects.get(pk=entry.pk).impact == 5
    out, err = run(
        "register", "raise", "--title", "Email backlog grows fast", "--description",
        "Too many email incidents are resolved after 8 hours.", "--source", "trend", "--service", "email",
    )  # fmt: skip
    assert out.startswith("Raised CSI-0003 (score ")
    assert f"Warning: CSI-0003 looks like {entry.number} 'Email backlog grows' (new, similarity" in err

    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    run("register", "assess", entry.number)
    deferred = json.loads(run("register", "defer", entry.number, "--until", later, "--json")[0])
    assert (deferred["state"], deferred["deferred_until_date"]) == ("deferred", later)
    assert run("register", "reopen", entry.number)[0].strip() == f"{entry.number} is now under assessment."
    joined, _ = run("register", "accept", entry.number, "--initiative", "INI-0001")
    assert joined.strip() == f"{entry.number} is now accepted: INI-0001 in the plan 'Email SIP'."
    assert set(initiative.origins.values_list("number", flat=True)) == {"CSI-0001", entry.number}

    other = make_opportunity(title="Printer toner runs out")
    assert "is now duplicate" in run("register", "mark-duplicate", other.number, "--of", "CSI-0001")[0]
    rows = json.loads(run("register", "list", "--state", "accepted", "--order", "number", "--json")[0])
    assert [r["number"] for r in rows] == ["CSI-0001", entry.number]

    assert (
        run("register", "weights")[0].strip() == "Priority weights: impact 3, urgency 2, benefit 3, effort 2"
    )
    weights = json.loads(run("register", "weights", "--effort", "0", "--json")[0])
    assert weights == {"impact": 3, "urgency": 2, "benefit": 3, "effort": 0}
    assert PriorityWeights.objects.get().effort == 0


@pytest.mark.django_db
def test_initiative_work_board_portfolio_and_decisions(initiative, owner, steering):
    assert (
        run("initiatives", "decisions", "--as", "owner")[0].strip() == "Nothing waits for owner's decision."
    )
    updated, _ = run(
        "initiatives",
        "update",
        "INI-0001",
        "--budget-requested",
        "2500",
        "--owner",
        "owner",
        "--version",
        "2",
    )
    assert updated.strip() == "Updated INI-0001 (version 3)."
    run("initiatives", "transition", "INI-0001", "propose")
    waiting = json.loads(run("initiatives", "decisions", "--as", "owner", "--json")[0])
    assert [(d["number"], d["waiting_for"], d["actions"]) for d in waiting] == [
        ("INI-0001", "approval", ["approve", "reject"])
    ]
    assert json.loads(run("initiatives", "decisions", "--as", "steering", "--json")[0]) == []

    for step in ("approve", "request-budget"):
        run("initiatives", "transition", "INI-0001", step)
    funded, _ = run("initiatives", "transition", "INI-0001", "fund", "--amount", "2000")
    assert funded.strip() == "Took 'fund' on INI-0001; it is now funded (version 7)."
    run("initiatives", "transition", "INI-0001", "start")
    assert run("initiatives", "status", "INI-0001", "--health", "amber", "--percent", "40", "--note", "Slow")[
        0
    ]
    first, _ = run(
        "initiatives",
        "task-add",
        "INI-0001",
        "--title",
        "Triage rules",
        "--owner",
        "owner",
        "--due",
        "2026-01-31",
    )
    task_id = first.split()[2]
    shown = json.loads(
        run(
            "initiatives",
            "task-add",
            "INI-0001",
            "--title",
            "Go live",
            "--milestone",
            "--depends-on",
            task_id,
            "--json",
        )[0]
    )
    assert (shown["health"], shown["percent_complete"]) == ("amber", 40)
    assert Decimal(shown["budget"]["approved"]) == Decimal("2000")
    assert {t["title"]: t["depends_on"] for t in shown["tasks"]} == {
        "Triage rules": [],
        "Go live": [int(task_id)],
    }

    listed = json.loads(run("initiatives", "list", "--state", "open", "--owner", "owner", "--json")[0])
    assert [(i["number"], i["state"], i["health"]) for i in listed] == [("INI-0001", "in-progress", "amber")]
    assert run("initiatives", "list", "--plan", "email-sip")[0].startswith("INI-0001  in-progress")
    board = json.loads(run("initiatives", "board", "--plan", "email-sip", "--json")[0])
    assert {c["state"]: [i["number"] for i in c["initiatives"]] for c in board}["in-progress"] == ["INI-0001"]
    assert "In progress (1)\n  INI-0001" in run("initiatives", "board", "--open")[0]
    portfolio = json.loads(run("plans", "portfolio", "--json")[0])
    line = portfolio["plans"][0]
    assert (line["plan"], line["open"], line["health"]) == ("email-sip", 1, {"amber": 1})
    assert portfolio["totals"]["initiatives"] == 1
    assert Decimal(portfolio["totals"]["budget"]["EUR"]["approved"]) == Decimal("2000")
    plans = json.loads(run("plans", "list", "--json")[0])
    assert [(p["key"], p["services"], p["owner"]) for p in plans] == [("email-sip", ["email"], "owner")]
    assert "- number: INI-0001" in run("plans", "show", "email-sip")[0]
    changed, _ = run("plans", "update", "email-sip", "--vision", "Email that just works", "--version", "1")
    assert changed.startswith("Updated plan email-sip (version 2)")


def test_csi_help_lists_the_three_commands():
    text = CsiUtility(["csi"]).main_help_text()
    assert "  register       The CSI register of improvement opportunities: list, show, raise" in text
    assert "  plans          Improvement plans (strategic, service, process, security" in text
    assert "  initiatives    Improvement initiatives: list, show, create and update them" in text
