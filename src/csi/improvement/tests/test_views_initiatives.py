"""The initiative pages through Django's test client: who sees which buttons, refusals that change
nothing (wrong person 403, stale version or wrong state 409, missing input 422), the CSI model's
sections and their forms, the board and list, the home page's decisions, escaping and a query budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor
from csi.core.services import snapshot
from csi.core.testing import assert_page_access
from csi.improvement.choices import InitiativeState as S
from csi.improvement.models import (
    BaselineValue,
    Initiative,
    InitiativeObjective,
    InitiativeRisk,
    Plan,
    PlanObjective,
    Responsibility,
    Task,
    TimelineEntry,
)
from csi.improvement.services import initiatives, workflow
from csi.standards import services as standards_services

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test")
DUE = date(2027, 6, 30)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sip(owner: Any, service: Any) -> Plan:
    """The email SIP owned by `owner`, who decides alone up to 10,000 EUR."""
    plan = Plan.objects.create(
        key="email-sip",
        kind="service",
        name="Email SIP",
        owner=owner,
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2027, 12, 31),
        budget_limit=Decimal("10000"),
        vision="Mail that never waits",
    )
    plan.services.set([service])
    PlanObjective.objects.create(plan=plan, title="Faster resolution")
    return plan


def draft(actor: Any, plan: Plan, budget: str = "25000", title: str = "Faster email restores") -> Initiative:
    """A draft with one measurable, dated objective (budget above the plan owner's limit by default)."""
    initiative = initiatives.initiative_create(
        actor=actor,
        plan=plan,
        data={"title": title, "owner": actor, "budget_requested": Decimal(budget), "scope": "Mailboxes"},
    )
    initiatives.objective_add(
        actor=actor,
        initiative=initiative,
        data={
            "title": "Median resolution under 8 hours",
            "kpi_kind": "measure",
            "measure": "median_resolution_hours",
            "service": plan.services.get(),
            "baseline_value": 12.0,
            "target_value": 8.0,
            "unit": "h",
            "due_date": DUE,
            "plan_objective": plan.objectives.first(),
        },
    )
    initiative.refresh_from_db()
    return initiative


def act(actor: Any, initiative: Initiative, action: str, **options: Any) -> Initiative:
    initiative.refresh_from_db()
    return workflow.initiative_transition(actor=actor, initiative=initiative, action=action, **options)


def state_of(initiative: Initiative) -> dict[str, Any]:
    fresh = Initiative.objects.get(pk=initiative.pk)
    return {
        "row": snapshot(fresh),
        "timeline": TimelineEntry.objects.filter(initiative=fresh).count(),
        "audit": AuditEvent.objects.exclude(verb="login").count(),
    }


def url(initiative: Initiative, action: str = "") -> str:
    if action:
        return reverse("improvement:initiative_transition", args=[initiative.number, action])
    return reverse("improvement:initiative", args=[initiative.number])


def buttons(client: Client, initiative: Initiative) -> list[str]:
    response = client.get(url(initiative))
    assert response.status_code == 200
    return [a["action"] for a in response.context["actions"]]


def press(client: Client, initiative: Initiative, action: str, **data: Any) -> Any:
    initiative.refresh_from_db()
    return client.post(url(initiative, action), {"version": initiative.version, **data})


# --- access ---------------------------------------------------------------------------------------------


def test_pages_permission_matrix(owner: Any, viewer: Any, other_owner: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    for path in ["/initiatives/", "/initiatives/board/", url(initiative)]:
        assert Client().get(path).status_code == 302
        assert signed_in(viewer).get(path).status_code == 200
    assert_page_access(f"/initiatives/new/?plan={sip.key}", forbidden=viewer, permitted=owner)
    assert_page_access(f"/initiatives/{initiative.number}/edit/", forbidden=other_owner, permitted=owner)
    assert signed_in(owner).get("/initiatives/INI-9999/").status_code == 404
    assert signed_in(owner).get("/initiatives/new/?plan=nope").status_code == 404


def test_each_role_sees_only_the_buttons_it_may_press(
    owner: Any, steering: Any, contributor: Any, viewer: Any, sip: Plan
) -> None:
    initiative = draft(owner, sip)
    assert buttons(signed_in(owner), initiative) == ["propose", "cancel"]
    for person in (steering, contributor, viewer):
        assert buttons(signed_in(person), initiative) == []
    act(owner, initiative, "propose")
    # The owner proposed it: no approve/reject; above the limit it is the steering committee's decision.
    assert buttons(signed_in(owner), initiative) == ["cancel"]
    assert buttons(signed_in(steering), initiative) == ["approve", "reject"]
    assert buttons(signed_in(contributor), initiative) == []
    page = signed_in(owner).get(url(initiative)).content.decode()
    assert url(initiative, "approve") not in page and url(initiative, "cancel") in page
    page = signed_in(steering).get(url(initiative)).content.decode()
    assert url(initiative, "approve") in page and 'name="reason"' in page  # reject asks why
    act(steering, initiative, "approve")
    # It asks for money: it must be funded before it starts, so there is no start button yet.
    assert buttons(signed_in(owner), initiative) == ["request-budget", "cancel"]


def test_plan_owner_approves_within_the_limit_what_someone_else_proposed(
    owner: Any, make_user: Any, sip: Plan
) -> None:
    lead = make_user(roles=["contributor"], username="lee.lead")
    sip.maintainer = lead
    sip.save()
    initiative = draft(lead, sip, budget="4000")
    act(lead, initiative, "propose")
    assert buttons(signed_in(owner), initiative) == ["approve", "reject", "cancel"]
    assert buttons(signed_in(lead), initiative) == ["cancel"]
    assert press(signed_in(owner), initiative, "approve").status_code == 302
    assert buttons(signed_in(lead), initiative) == ["request-budget", "cancel"]
    unfunded = draft(lead, sip, budget="0", title="Tidy the mail rules")
    act(lead, unfunded, "propose")
    act(owner, unfunded, "approve")
    assert buttons(signed_in(lead), unfunded) == ["start", "cancel"]  # nothing to fund


def test_a_wrong_role_post_is_refused_with_403_and_changes_nothing(
    owner: Any, steering: Any, viewer: Any, sip: Plan
) -> None:
    initiative = draft(owner, sip)
    act(owner, initiative, "propose")
    before = state_of(initiative)
    response = press(signed_in(owner), initiative, "approve")
    assert response.status_code == 403
    assert "You proposed this initiative" in response.content.decode()
    response = press(signed_in(viewer), initiative, "approve")
    assert response.status_code == 403 and "steering committee" in response.content.decode()
    assert press(signed_in(viewer), initiative, "cancel", reason="x").status_code == 403
    assert state_of(initiative) == before
    assert Client().post(url(initiative, "approve")).status_code == 302  # to the sign-in page
    assert state_of(initiative) == before


def test_a_stale_version_shows_the_conflict_and_changes_nothing(owner: Any, steering: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    act(owner, initiative, "propose")
    seen = Initiative.objects.get(pk=initiative.pk).version
    initiatives.status_update_add(actor=owner, initiative=initiative, health="green", percent_complete=5)
    before = state_of(initiative)
    response = signed_in(steering).post(url(initiative, "approve"), {"version": seen})
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by someone else" in body and 'role="alert"' in body
    assert state_of(initiative) == before


def test_a_wrong_state_and_missing_input_are_explained(owner: Any, steering: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    response = press(signed_in(owner), initiative, "implement")
    assert response.status_code == 409 and "Cannot implement" in response.content.decode()
    act(owner, initiative, "propose")
    before = state_of(initiative)
    response = press(signed_in(steering), initiative, "reject", reason="  ")
    assert response.status_code == 422 and "needs a reason" in response.content.decode()
    assert state_of(initiative) == before
    assert signed_in(owner).post(f"/initiatives/{initiative.number}/explode/").status_code == 404


def test_the_whole_workflow_through_the_pages(owner: Any, steering: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    me, boss = signed_in(owner), signed_in(steering)
    assert press(me, initiative, "propose").status_code == 302
    assert press(boss, initiative, "approve").status_code == 302
    assert press(me, initiative, "request-budget").status_code == 302
    page = boss.get(url(initiative))
    assert 'name="amount"' in page.content.decode() and 'value="25000.00"' in page.content.decode()
    response = press(boss, initiative, "fund", amount="30000")
    assert response.status_code == 422 and "more than the 25000.00 requested" in response.content.decode()
    assert press(boss, initiative, "fund", amount="20000").status_code == 302
    assert press(me, initiative, "start").status_code == 302
    response = me.post(
        f"/initiatives/{initiative.number}/status/",
        {"status-health": "amber", "status-percent_complete": "40", "status-note": "Vendor slow"},
    )
    assert response.status_code == 302
    assert press(me, initiative, "implement").status_code == 302
    assert press(me, initiative, "review").status_code == 302
    page = boss.get(url(initiative)).content.decode()
    assert 'name="outcome"' in page and "Partially achieved" in page
    assert press(boss, initiative, "close", outcome="achieved").status_code == 302
    initiative.refresh_from_db()
    assert (initiative.state, initiative.budget_approved, initiative.outcome) == (
        S.CLOSED,
        Decimal("20000.00"),
        "achieved",
    )
    page = me.get(url(initiative)).content.decode()
    timeline = page[page.index('id="timeline-table"') :]
    order = ["Create", "Propose", "Approve", "Request-budget", "Fund", "Start", "Vendor slow", "Implement"]
    positions = [timeline.index(word) for word in order]
    assert positions == sorted(positions)
    assert "20000.00 EUR" in timeline and "40% complete" in timeline
    assert "closed: achieved" in page  # the seven-step view, derived


def test_status_update_errors_are_shown_and_store_nothing(owner: Any, viewer: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    before = state_of(initiative)
    response = signed_in(owner).post(
        f"/initiatives/{initiative.number}/status/", {"status-health": "", "status-percent_complete": "140"}
    )
    assert response.status_code == 422
    assert response.context["forms"]["status"].errors.keys() == {"health", "percent_complete"}
    response = signed_in(viewer).post(
        f"/initiatives/{initiative.number}/status/", {"status-health": "red", "status-percent_complete": "1"}
    )
    assert response.status_code == 403
    assert state_of(initiative) == before


# --- create and edit ------------------------------------------------------------------------------------


def test_create_from_a_register_entry(owner: Any, sip: Plan, make_opportunity: Any) -> None:
    entry = make_opportunity()
    client = signed_in(owner)
    page = client.get(f"/initiatives/new/?plan={sip.key}&origin={entry.number}")
    assert page.status_code == 200 and entry.title in page.content.decode()
    response = client.post(
        f"/initiatives/new/?plan={sip.key}&origin={entry.number}",
        {"title": "Faster email restores", "owner": owner.pk, "execution_mode": "informal", "budget_requested": "0",
         "budget_spent": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Initiative.objects.get()
    assert response["Location"].endswith(f"/initiatives/{created.number}/#want")
    entry.refresh_from_db()
    assert entry.initiative == created and created.state == S.DRAFT and created.owner == owner
    assert entry.number in client.get(url(created)).content.decode()
    response = client.post(
        f"/initiatives/new/?plan={sip.key}",
        {"title": "", "execution_mode": "project", "budget_requested": "0", "budget_spent": "0"},
    )
    assert response.status_code == 422 and Initiative.objects.count() == 1
    assert signed_in(owner).get("/initiatives/new/").status_code == 200  # choose a plan


def edit_data(initiative: Initiative, **changes: Any) -> dict[str, Any]:
    data = {
        "version": initiative.version,
        "title": initiative.title,
        "owner": initiative.owner_id or "",
        "scope": initiative.scope,
        "execution_mode": initiative.execution_mode,
        "budget_requested": str(initiative.budget_requested),
        "budget_spent": str(initiative.budget_spent),
    }
    data.update(changes)
    return data


def test_a_stale_edit_shows_the_conflict_and_keeps_the_input(owner: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    mine = edit_data(initiative, title="My better title")
    initiatives.initiative_update(
        actor=owner, initiative=initiative, data={"summary": "Theirs"}, version=None
    )
    response = signed_in(owner).post(f"/initiatives/{initiative.number}/edit/", mine)
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by someone else" in body and 'value="My better title"' in body
    initiative.refresh_from_db()
    assert (initiative.title, initiative.summary) == ("Faster email restores", "Theirs")


def test_an_edit_after_approval_warns_and_sends_it_back(owner: Any, steering: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    act(owner, initiative, "propose")
    act(steering, initiative, "approve")
    initiative.refresh_from_db()
    client = signed_in(owner)
    page = client.get(f"/initiatives/{initiative.number}/edit/").content.decode()
    assert "sends it back to proposed" in page
    response = client.post(
        f"/initiatives/{initiative.number}/edit/",
        edit_data(initiative, budget_requested="30000"),
        follow=True,
    )
    assert response.status_code == 200
    assert "sent it back for a new approval" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.state == S.PROPOSED and initiative.approved_by is None


# --- parts -----------------------------------------------------------------------------------------------


def test_objectives_are_added_edited_and_deleted_with_their_smart_check(owner: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    client = signed_in(owner)
    response = client.post(
        f"/initiatives/{initiative.number}/objectives/add/",
        {"objectives-version": initiative.version, "objectives-title": "Fewer reopened tickets"},
    )
    assert response.status_code == 302
    added = InitiativeObjective.objects.get(title="Fewer reopened tickets")
    page = client.get(url(initiative)).content.decode()
    assert "choose the KPI: a standard, or a measure of a service" in page  # S is missing
    assert "set a due date" in page  # T is missing
    edit = f"/initiatives/{initiative.number}/objectives/{added.pk}/"
    assert client.get(edit).status_code == 200
    initiative.refresh_from_db()
    response = client.post(
        edit,
        {
            "objectives-version": initiative.version,
            "objectives-title": "Fewer reopened tickets",
            "objectives-kpi_kind": "measure",
            "objectives-measure": "reopened_rate",
            "objectives-service": sip.services.get().pk,
            "objectives-target_value": "0.05",
            "objectives-baseline_value": "0.1",
            "objectives-due_date": "2027-03-31",
            "objectives-plan_objective": sip.objectives.get().pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    added.refresh_from_db()
    assert (added.measure, added.target_value, added.due_date) == ("reopened_rate", 0.05, date(2027, 3, 31))
    # A stale add is refused with nothing stored
    response = client.post(
        f"/initiatives/{initiative.number}/objectives/add/",
        {"objectives-version": 1, "objectives-title": "Stale"},
    )
    assert response.status_code == 409 and "changed by someone else" in response.content.decode()
    assert not InitiativeObjective.objects.filter(title="Stale").exists()
    initiative.refresh_from_db()
    response = client.post(edit + "delete/", {"version": initiative.version})
    assert response.status_code == 302 and not InitiativeObjective.objects.filter(pk=added.pk).exists()


def test_tasks_risks_and_raci(owner: Any, contributor: Any, viewer: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    client = signed_in(owner)
    add = f"/initiatives/{initiative.number}/tasks/add/"
    first = {
        "tasks-title": "Pick a backup tool",
        "tasks-owner": contributor.pk,
        "tasks-percent_complete": "0",
    }
    assert (
        client.post(add, {**first, "tasks-due_date": "2027-01-15", "tasks-effort_hours": "16"}).status_code
        == 302
    )
    pick = Task.objects.get()
    response = client.post(
        add,
        {"tasks-title": "Roll out", "tasks-is_milestone": "on", "tasks-percent_complete": "0",
         "tasks-depends_on": [pick.pk], "tasks-resources": "Two admins"},
    )  # fmt: skip
    assert response.status_code == 302
    roll = Task.objects.get(title="Roll out")
    assert list(roll.depends_on.all()) == [pick] and roll.is_milestone
    # a loop is refused on the edit page
    response = client.post(
        f"/initiatives/{initiative.number}/tasks/{pick.pk}/",
        {"tasks-version": pick.version, "tasks-title": pick.title, "tasks-percent_complete": "0",
         "tasks-depends_on": [roll.pk]},
    )  # fmt: skip
    assert response.status_code == 422 and "loop" in response.content.decode()
    # the task's owner (a contributor) updates its progress only
    helper = signed_in(contributor)
    page = helper.get(f"/initiatives/{initiative.number}/tasks/{pick.pk}/")
    assert page.status_code == 200 and set(page.context["form"].fields) == {
        "percent_complete",
        "resources",
        "version",
    }
    response = helper.post(
        f"/initiatives/{initiative.number}/tasks/{pick.pk}/",
        {"tasks-version": pick.version, "tasks-percent_complete": "60", "tasks-title": "Hijacked"},
    )
    assert response.status_code == 302
    pick.refresh_from_db()
    assert (pick.percent_complete, pick.title) == (60, "Pick a backup tool")
    assert helper.get(f"/initiatives/{initiative.number}/tasks/{roll.pk}/").status_code == 403
    assert helper.post(f"/initiatives/{initiative.number}/tasks/{roll.pk}/delete/").status_code == 403
    # risks and RACI
    response = client.post(
        f"/initiatives/{initiative.number}/risks/add/",
        {"risks-description": "Vendor late", "risks-likelihood": "4", "risks-impact": "3"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/initiatives/{initiative.number}/responsibilities/add/",
        {"responsibilities-activity": "Roll-out", "responsibilities-person": contributor.pk,
         "responsibilities-raci": "R"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(url(initiative)).content.decode()
    assert "Vendor late" in page and "Responsible" in page and "Pick a backup tool" in page and "60%" in page
    assert signed_in(viewer).post(f"/initiatives/{initiative.number}/risks/add/", {}).status_code == 403
    risk, line = InitiativeRisk.objects.get(), Responsibility.objects.get()
    assert client.post(f"/initiatives/{initiative.number}/risks/{risk.pk}/delete/").status_code == 302
    assert (
        client.post(f"/initiatives/{initiative.number}/responsibilities/{line.pk}/delete/").status_code == 302
    )
    assert client.post(f"/initiatives/{initiative.number}/tasks/{roll.pk}/delete/").status_code == 302
    assert not InitiativeRisk.objects.exists() and not Responsibility.objects.exists()
    assert client.post(f"/initiatives/{initiative.number}/bogus/add/").status_code == 404


def test_take_a_baseline(owner: Any, service: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    client = signed_in(owner)
    # the ticket measure has no imported data to read: the reason is shown, nothing is stored
    response = client.post(
        f"/initiatives/{initiative.number}/baseline/",
        {"baseline-at": "2026-10-01", "baseline-window_days": "30"},
    )
    assert response.status_code == 422 and "No ticket data has been imported yet" in response.content.decode()
    assert not BaselineValue.objects.exists()
    standard = standards_services.standard_create(
        actor=SYSTEM,
        service=service,
        data={"key": "email-p2", "name": "P2 mail fixed in 8 h", "kind": "sla"},
        version={"metric": "resolution_time", "threshold": "8", "threshold_unit": "hours", "target_percent": "95",
                 "window_kind": "calendar", "calendar_period": "month", "window_time_zone": "Europe/Paris"},
    )  # fmt: skip
    InitiativeObjective.objects.filter(initiative=initiative).update(kpi_kind="standard", standard=standard)
    response = client.post(
        f"/initiatives/{initiative.number}/baseline/",
        {"baseline-at": "2026-10-01", "baseline-window_days": "30"},
    )
    assert response.status_code == 302
    value = BaselineValue.objects.get()
    assert (value.window_start_date, value.window_end_date) == (date(2026, 9, 1), date(2026, 10, 1))
    page = client.get(url(initiative)).content.decode()
    assert "P2 mail fixed in 8 h" in page and "2026-09-01 to 2026-10-01" in page and "no data" in page


# --- lists, board, home ----------------------------------------------------------------------------------


def test_list_filters_and_board(owner: Any, steering: Any, sip: Plan, viewer: Any) -> None:
    first = draft(owner, sip, title="Faster email restores")
    second = draft(owner, sip, title="Archive old mailboxes")
    act(owner, second, "propose")
    client = signed_in(viewer)
    page = client.get("/initiatives/?state=proposed").content.decode()
    assert second.title in page and first.title not in page
    page = client.get("/initiatives/?q=archive&plan=email-sip&owner=owner").content.decode()
    assert second.title in page and first.title not in page
    page = client.get("/initiatives/?state=closed").content.decode()
    assert "No initiative matches" in page
    response = client.get(f"/initiatives/board/?plan={sip.key}")
    columns = {state: [i.number for i in cards] for state, _, cards in response.context["columns"]}
    assert columns["draft"] == [first.number] and columns["proposed"] == [second.number]
    assert "closed" not in columns
    assert "closed" in {c[0] for c in client.get("/initiatives/board/?all=1").context["columns"]}


def test_home_lists_what_waits_for_my_decision(owner: Any, steering: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    act(owner, initiative, "propose")
    page = signed_in(steering).get("/").content.decode()
    assert "Waiting for your decision" in page
    assert f"{initiative.number} Faster email restores waits for your approval" in page
    assert url(initiative) in page
    assert "Waiting for your decision" not in signed_in(owner).get("/").content.decode()
    act(steering, initiative, "approve")
    act(owner, initiative, "request-budget")
    page = signed_in(steering).get("/").content.decode()
    assert "asks you for funding" in page and "25000.00 EUR" in page


# --- safety and cost -------------------------------------------------------------------------------------


def test_hostile_strings_are_escaped(owner: Any, sip: Plan) -> None:
    evil = '<script>alert("x")</script>'
    initiative = draft(owner, sip, title=evil)
    initiatives.initiative_update(
        actor=owner, initiative=initiative, data={"gap_analysis": evil, "summary": evil}, version=None
    )
    initiatives.task_add(actor=owner, initiative=initiative, data={"title": evil})
    initiatives.status_update_add(
        actor=owner, initiative=initiative, health="red", percent_complete=1, note=evil
    )
    for path in [
        url(initiative),
        "/initiatives/",
        "/initiatives/board/",
        f"/initiatives/{initiative.number}/edit/",
    ]:
        body = signed_in(owner).get(path).content.decode()
        assert evil not in body, path
        assert "&lt;script&gt;" in body, path


def test_the_initiative_page_keeps_to_a_query_budget(
    owner: Any, steering: Any, strategist: Any, sip: Plan, django_assert_max_num_queries: Any
) -> None:
    strategic = Plan.objects.create(
        key="strategy", kind="strategic", name="Strategy", maintainer=strategist,
        period_start_date=date(2026, 1, 1), period_end_date=date(2027, 12, 31),
    )  # fmt: skip
    parent = initiatives.initiative_create(
        actor=strategist, plan=strategic, data={"title": "Modern workplace"}
    )
    initiative = draft(owner, sip)
    initiatives.initiative_update(actor=owner, initiative=initiative, data={"parent": parent}, version=None)
    client = signed_in(owner)

    def measure() -> int:
        with django_assert_max_num_queries(40) as counted:
            assert client.get(url(initiative)).status_code == 200
        return len(counted)

    def add_rows(n: int) -> None:
        initiatives.objective_add(
            actor=owner, initiative=initiative, data={"title": f"Objective {n}", "due_date": DUE}
        )
        task = initiatives.task_add(
            actor=owner, initiative=initiative, data={"title": f"Task {n}", "owner": steering}
        )
        initiatives.task_add(
            actor=owner, initiative=initiative, data={"title": f"After {n}"}, depends_on=[task]
        )
        initiatives.risk_add(
            actor=owner, initiative=initiative, data={"description": f"Risk {n}", "owner": owner}
        )
        initiatives.responsibility_add(
            actor=owner,
            initiative=initiative,
            data={"activity": f"Step {n}", "person": steering, "raci": "C"},
        )
        initiatives.status_update_add(actor=owner, initiative=initiative, health="green", percent_complete=n)

    add_rows(0)
    one = measure()
    for n in range(1, 6):
        add_rows(n)
    assert measure() == one, one  # nothing is queried per row
    assert one <= 26, one
    # the parent's page rolls its children up
    body = signed_in(strategist).get(url(parent)).content.decode()
    assert "Delegated initiatives and roll-up" in body and initiative.number in body


def test_the_suggest_link_appears_when_suggestions_exist(owner: Any, sip: Plan) -> None:
    initiative = draft(owner, sip)
    body = signed_in(owner).get(url(initiative)).content.decode()
    try:
        target = reverse("improvement:suggestion_create")
    except NoReverseMatch:
        assert "Suggest a strategic initiative" not in body
    else:
        assert f"{target}?initiative={initiative.number}" in body
