"""The improvement API over HTTP: the issue's "done when" from a raised entry to an implemented
initiative, every refusal answering the error shape and changing nothing, the role-by-role matrix of
transitions, and each endpoint's anonymous / no permission / permitted behaviour."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from csi.core.models import AuditEvent, Notification
from csi.core.permissions import SystemActor
from csi.core.testing import assert_api_access, assert_error_shape
from csi.improvement.choices import INITIATIVE_TRANSITIONS, OPPORTUNITY_TRANSITIONS
from csi.improvement.models import (
    Initiative,
    Opportunity,
    Plan,
    PlanObjective,
    Suggestion,
    TimelineEntry,
)
from csi.improvement.services import initiatives as initiative_services
from csi.improvement.services import workflow
from csi.improvement.tests.conftest import ROLES

pytestmark = pytest.mark.django_db
J = "application/json"
SYSTEM = SystemActor("test")
V1 = "/api/v1"


def post(client: Client, url: str, data: Any = None) -> Any:
    return client.post(V1 + url, data if data is not None else {}, content_type=J)


def patch(client: Client, url: str, data: Any) -> Any:
    return client.patch(V1 + url, data, content_type=J)


def get(client: Client, url: str, params: dict[str, Any] | None = None) -> Any:
    response = client.get(V1 + url, params or {})
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return response.json()


def history() -> tuple[int, int, int, int]:
    """What a refused call must not add to: the audit trail, the timelines, notifications, initiatives."""
    return (
        AuditEvent.objects.count(),
        TimelineEntry.objects.count(),
        Notification.objects.count(),
        Initiative.objects.count(),
    )


def refused(client: Client, reader: Client, url: str, data: Any, status: int, watched: str) -> dict[str, Any]:
    """POST `data` to `url` is refused with `status` in the error shape, and `watched` (read again by
    `reader`), the audit trail, the timelines, the notifications and the initiatives are as they were."""
    before, trail = get(reader, watched), history()
    error = assert_error_shape(post(client, url, data), status)
    assert get(reader, watched) == before
    assert history() == trail
    return error


# --- the "done when" ----------------------------------------------------------------------------


def test_done_when_from_a_raised_entry_to_an_implemented_initiative(
    client_of, contributor, owner, steering, viewer, plan, measured
):
    raiser, sip_owner = client_of(contributor), client_of(owner)

    # A contributor raises an opportunity; a viewer cannot.
    entry = {
        "title": "Email tickets breach the resolution SLA",
        "source": "standard-breach",
        "service": "email",
        "description": "Too many email incidents are resolved after 8 hours.",
        "impact": 4,
    }
    error = assert_error_shape(post(client_of(viewer), "/register", entry), 403, "permission_denied")
    assert "permission" in error["message"] and not Opportunity.objects.exists()
    raised = post(raiser, "/register", entry)
    assert raised.status_code == 201, raised.content
    assert (raised.json()["number"], raised.json()["state"], raised.json()["raised_by"]) == (
        "CSI-0001",
        "new",
        "contributor",
    )

    # The contributor cannot assess it; the SIP's owner accepts it into the SIP, creating the initiative.
    refused(raiser, raiser, "/register/CSI-0001/accept", {"plan": "email-sip"}, 403, "/register/CSI-0001")
    accepted = post(
        sip_owner,
        "/register/CSI-0001/accept",
        {"plan": "email-sip", "initiative_title": "Faster email fixes"},
    )
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["state"], accepted.json()["initiative"]) == ("accepted", "INI-0001")
    url = "/initiatives/INI-0001"
    initiative = get(sip_owner, url)
    assert (initiative["state"], initiative["title"], initiative["origins"]) == (
        "draft",
        "Faster email fixes",
        ["CSI-0001"],
    )

    # The plan owner hands it to the contributor, who writes the budget (terms the plan owner then decides
    # on, so she must not write them); a plan objective makes it relevant.
    goal = post(sip_owner, "/plans/email-sip/objectives", {"title": "Faster resolution"}).json()
    changed = patch(
        sip_owner,
        url,
        {
            "version": initiative["version"],
            "owner": "contributor",
            "gap_analysis": "Mailbox tickets wait for the second line.",
        },
    )
    assert changed.status_code == 200, changed.content
    changed = patch(raiser, url, {"version": changed.json()["version"], "budget_requested": "5000"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["owner"], changed.json()["budget_requested"]) == ("contributor", "5000.00")

    # A measurable objective, and its baseline from the measurement store.
    objective = post(
        raiser,
        f"{url}/objectives",
        {
            "title": "Median resolution under 4 hours",
            "kpi_kind": "measure",
            "measure": "median_resolution_hours",
            "service": "email",
            "source_key": "desk",
            "target_value": 4,
            "due_date": "2026-06-30",
            "plan_objective": goal["id"],
        },
    )
    assert objective.status_code == 201, objective.content
    assert [c["letter"] for c in objective.json()["smart"] if not c["ok"]] == ["achievable"]
    baseline = post(raiser, f"{url}/baseline", {"at": "2024-02-01", "window_days": 60})
    assert baseline.status_code == 200, baseline.content
    assert [(b["value"], b["window_start_date"]) for b in baseline.json()] == [(6.5, "2023-12-03")]
    initiative = get(raiser, url)
    assert initiative["objectives"][0]["baseline_value"] == 6.5
    assert all(c["ok"] for c in initiative["objectives"][0]["smart"])
    assert [s["status"] for s in initiative["seven_step"][:4]] == ["done", "done", "done", "current"]
    assert [a["action"] for a in initiative["actions"]] == ["propose", "cancel"]

    def act(client: Client, action: str, **body: Any) -> dict[str, Any]:
        version = get(client, url)["version"]
        response = post(client, f"{url}/{action}", {"version": version, **body})
        assert response.status_code == 200, (action, response.content)
        assert response.json()["version"] > version
        return response.json()

    assert act(raiser, "propose")["state"] == "proposed"
    decisions = get(sip_owner, "/decisions")
    assert [(d["initiative"]["number"], d["what"], d["actions"]) for d in decisions] == [
        ("INI-0001", "approval", ["approve", "reject"])
    ]
    assert get(raiser, "/decisions") == [] and get(client_of(steering), "/decisions") == []
    version = get(raiser, url)["version"]
    # Self-approval, a steering member within the owner's limit, a stale version, a wrong state.
    error = refused(raiser, raiser, f"{url}/approve", {"version": version}, 403, url)
    assert "someone else" in error["message"]
    refused(client_of(steering), raiser, f"{url}/approve", {"version": version}, 403, url)
    error = refused(sip_owner, raiser, f"{url}/approve", {"version": version - 1}, 409, url)
    assert "version" in error["fields"]
    refused(sip_owner, raiser, f"{url}/fund", {"version": version, "amount": "10"}, 409, url)

    approved = act(sip_owner, "approve")
    assert (approved["state"], approved["approved_by"]) == ("approved", "owner")
    refused(raiser, raiser, f"{url}/start", {"version": approved["version"]}, 409, url)
    assert act(raiser, "request-budget")["state"] == "budget-requested"
    assert get(sip_owner, "/decisions")[0]["what"] == "funding"
    funded = act(sip_owner, "fund", amount="4000")
    assert (funded["state"], funded["budget_approved"], funded["funded_by"]) == ("funded", "4000.00", "owner")
    assert act(raiser, "start")["state"] == "in-progress"
    update = post(
        raiser, f"{url}/status-updates", {"health": "amber", "percent_complete": 40, "note": "Slow"}
    )
    assert update.status_code == 201, update.content
    assert [
        (u["health"], u["percent_complete"], u["actor"]) for u in get(raiser, f"{url}/status-updates")
    ] == [("amber", 40, "contributor")]
    done = act(raiser, "implement")
    assert (done["state"], done["health"], done["percent_complete"]) == ("implemented", "amber", 100)
    assert [(t["action"], t["to_state"]) for t in done["timeline"]] == [
        ("create", "draft"),
        ("baseline", ""),
        ("propose", "proposed"),
        ("approve", "approved"),
        ("request-budget", "budget-requested"),
        ("fund", "funded"),
        ("start", "in-progress"),
        ("status", ""),
        ("implement", "implemented"),
    ]
    assert [s["status"] for s in done["seven_step"]] == ["done"] * 5 + ["current", "pending"]
    assert done["rollup"]["percent_complete"] == 100 and get(sip_owner, "/decisions") == []


# --- the role-by-role matrix of transitions --------------------------------------------------------------

# The way from draft through every state, and who takes each step (the plan owner decides, the
# initiative's owner, who proposed it, does the work).
ROUTE = [
    ("propose", "contributor", {}),
    ("approve", "decider", {}),
    ("request-budget", "contributor", {}),
    ("fund", "decider", {"amount": "4000"}),
    ("start", "contributor", {}),
    ("implement", "contributor", {}),
    ("review", "contributor", {}),
]
BODY = {
    "reject": {"reason": "Not now"},
    "fund": {"amount": "4000"},
    "decline-budget": {"reason": "No money"},
    "hold": {"reason": "Waiting for a supplier"},
    "cancel": {"reason": "Overtaken by events"},
    "close": {"outcome": "achieved"},
}
# (action, the steps taken before it, the roles that may take it). Everyone else gets 403.
WORKERS, DECIDER = {"owner", "contributor"}, {"owner"}
MATRIX = [
    ("propose", 0, WORKERS),
    ("cancel", 0, WORKERS),
    ("approve", 1, DECIDER),
    ("reject", 1, DECIDER),
    ("request-budget", 2, WORKERS),
    ("fund", 3, DECIDER),
    ("decline-budget", 3, DECIDER),
    ("start", 4, WORKERS),
    ("hold", 5, WORKERS),
    ("implement", 5, WORKERS),
    ("review", 6, WORKERS),
    ("close", 7, DECIDER),
]


def sip_objective(plan: Plan) -> dict[str, Any]:
    """A SMART objective on the SIP's service: median resolution under 8 hours by mid-2026."""
    return {
        "title": "Median resolution under 8 hours",
        "kpi_kind": "measure",
        "measure": "median_resolution_hours",
        "service": plan.services.get(),
        "target_value": 8.0,
        "due_date": date(2026, 6, 30),
    }


def at_step(
    people: dict[str, Any], plan: Plan, steps: int, budget: str = "5000", decider: str = "owner"
) -> Initiative:
    """A SIP initiative created by the plan owner for the contributor, with one SMART objective, taken
    `steps` steps along ROUTE through the services, `decider` approving and funding."""
    goal, _ = PlanObjective.objects.get_or_create(plan=plan, title="Faster resolution")
    initiative = initiative_services.initiative_create(
        actor=people["owner"],
        plan=plan,
        data={
            "title": "Cut email resolution time",
            "owner": people["contributor"],
        },
    )
    # The initiative's owner writes its terms, so the plan owner may decide on them.
    initiative_services.initiative_update(
        actor=people["contributor"], initiative=initiative, data={"budget_requested": budget}, version=None
    )
    initiative_services.objective_add(
        actor=people["contributor"],
        initiative=initiative,
        data={**sip_objective(plan), "baseline_value": 12.0, "plan_objective": goal},
    )
    for action, role, options in ROUTE[:steps]:
        initiative.refresh_from_db()
        actor = people[decider if role == "decider" else role]
        workflow.initiative_transition(actor=actor, initiative=initiative, action=action, **options)
    initiative.refresh_from_db()
    return initiative


def test_the_matrix_covers_every_transition():
    assert {action for action, _, _ in MATRIX} | {"resume"} == set(INITIATIVE_TRANSITIONS)


@pytest.mark.parametrize(("action", "steps", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_who_may_take_each_transition(action, steps, allowed, people, plan, client_of):
    outcome = {}
    for role in ROLES:
        initiative = at_step(people, plan, steps)
        url = f"/initiatives/{initiative.number}"
        body = {"version": initiative.version, **BODY.get(action, {})}
        if role in allowed:
            response = post(client_of(people[role]), f"{url}/{action}", body)
            assert response.status_code == 200, (role, response.content)
            assert response.json()["state"] == INITIATIVE_TRANSITIONS[action].target
            outcome[role] = 200
        else:
            refused(client_of(people[role]), client_of(people["owner"]), f"{url}/{action}", body, 403, url)
            outcome[role] = 403
    assert outcome == {role: 200 if role in allowed else 403 for role in ROLES}


def test_resume_and_hold_need_the_right_state(people, plan, client_of):
    initiative = at_step(people, plan, 5)
    url, lead = f"/initiatives/{initiative.number}", client_of(people["contributor"])
    refused(lead, lead, f"{url}/resume", {"version": initiative.version}, 409, url)
    error = refused(lead, lead, f"{url}/hold", {"version": initiative.version}, 422, url)
    assert "reason" in error["fields"]
    held = post(lead, f"{url}/hold", {"version": initiative.version, "reason": "Supplier"}).json()
    assert (held["state"], held["state_reason"]) == ("on-hold", "Supplier")
    assert post(lead, f"{url}/resume", {"version": held["version"]}).json()["state"] == "in-progress"


@pytest.mark.parametrize(("action", "steps"), [("approve", 1), ("fund", 3)])
def test_above_the_plan_limit_the_steering_committee_decides(action, steps, people, plan, client_of):
    initiative = at_step(people, plan, steps, budget="25000", decider="steering")
    url = f"/initiatives/{initiative.number}"
    body = {"version": initiative.version, **({"amount": "20000"} if action == "fund" else {})}
    error = refused(client_of(people["owner"]), client_of(people["owner"]), f"{url}/{action}", body, 403, url)
    assert "steering committee" in error["message"]
    response = post(client_of(people["steering"]), f"{url}/{action}", body)
    assert response.status_code == 200, response.content


def test_the_plan_owners_own_proposal_goes_to_the_steering_committee(people, plan, client_of):
    initiative = at_step(people, plan, 0)
    url, owner = f"/initiatives/{initiative.number}", client_of(people["owner"])
    proposed = post(owner, f"{url}/propose", {"version": initiative.version}).json()
    assert (proposed["state"], proposed["proposed_by"], proposed["actions"]) == (
        "proposed",
        "owner",
        [{"action": "cancel", "label": "Cancel", "needs_reason": True}],
    )
    error = refused(owner, owner, f"{url}/approve", {"version": proposed["version"]}, 403, url)
    assert "someone else" in error["message"]
    steering = client_of(people["steering"])
    assert [a["action"] for a in get(steering, url)["actions"]] == ["approve", "reject"]
    approved = post(steering, f"{url}/approve", {"version": proposed["version"]})
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_by"] == "steering"


def test_unknown_actions_and_numbers(people, plan, client_of):
    initiative = at_step(people, plan, 0)
    client = client_of(people["owner"])
    # Each action has its own operation: there is none for an unknown one.
    assert_error_shape(
        post(client, f"/initiatives/{initiative.number}/fly", {"version": 1}), 404, "not_found"
    )
    assert_error_shape(post(client, "/initiatives/INI-9999/propose", {"version": 1}), 404, "not_found")
    assert_error_shape(post(client, "/initiatives/INI-0001/propose", {}), 422)  # the version is required
    error = assert_error_shape(post(client, "/register/CSI-0001/approve", {}), 422)
    assert "assess" in " ".join(error["fields"]["action"])


REGISTER_MATRIX = [
    ("assess", False, {}, {"owner", "strategist"}),
    # The strategist may assess, but only the SIP's owner and maintainer add initiatives to it.
    ("accept", False, {"plan": "email-sip"}, {"owner"}),
    ("reject", False, {"reason": "Known"}, {"owner", "strategist"}),
    ("mark-duplicate", False, {"duplicate_of": "CSI-0001"}, {"owner", "strategist"}),
    ("defer", False, {"deferred_until_date": "2099-01-01"}, {"owner", "strategist"}),
    ("reopen", True, {}, {"owner", "strategist"}),
]


def test_the_register_matrix_covers_every_transition():
    assert [m[0] for m in REGISTER_MATRIX] == list(OPPORTUNITY_TRANSITIONS)


@pytest.mark.parametrize(
    ("action", "rejected", "body", "allowed"), REGISTER_MATRIX, ids=[m[0] for m in REGISTER_MATRIX]
)
def test_who_may_take_each_register_transition(
    action, rejected, body, allowed, people, plan, service, make_opportunity, client_of
):
    make_opportunity(actor=people["contributor"], service=service)
    outcome = {}
    for role in ROLES:
        entry = make_opportunity(actor=people["contributor"], service=service)
        if rejected:
            post(client_of(people["owner"]), f"/register/{entry.number}/reject", {"reason": "No"})
        url = f"/register/{entry.number}"
        if role in allowed:
            response = post(client_of(people[role]), f"{url}/{action}", body)
            assert response.status_code == 200, (role, response.content)
            assert response.json()["state"] == OPPORTUNITY_TRANSITIONS[action].target
            outcome[role] = 200
        else:
            refused(client_of(people[role]), client_of(people["owner"]), f"{url}/{action}", body, 403, url)
            outcome[role] = 403
    assert outcome == {role: 200 if role in allowed else 403 for role in ROLES}


# --- the register ----------------------------------------------------------------------------------------


def test_register_list_filters_orders_and_pages(client_of, viewer, service, other_service, make_opportunity):
    make_opportunity(title="Printer queue jams", service=other_service, impact=1)
    make_opportunity(service=service, impact=5, source="customer-feedback")
    make_opportunity(title="Mailbox quota too small", service=service)
    client = client_of(viewer)
    ranked = get(client, "/register")
    assert [e["number"] for e in ranked["items"]] == ["CSI-0002", "CSI-0003", "CSI-0001"]
    assert (ranked["count"], ranked["items"][0]["service"]) == (3, "email")
    assert [e["number"] for e in get(client, "/register", {"order": "number"})["items"]] == [
        "CSI-0001",
        "CSI-0002",
        "CSI-0003",
    ]
    assert get(client, "/register", {"service": "email", "source": "customer-feedback"})["count"] == 1
    assert get(client, "/register", {"search": "quota"})["items"][0]["number"] == "CSI-0003"
    assert get(client, "/register", {"state": "accepted"})["count"] == 0
    page = get(client, "/register", {"page": 2, "page_size": 2})
    assert (len(page["items"]), page["pages"]) == (1, 2)
    assert_error_shape(client.get(f"{V1}/register", {"order": "score"}), 422)
    assert_error_shape(client.get(f"{V1}/register/CSI-0404"), 404, "not_found")
    assert_error_shape(client.get(f"{V1}/register/nonsense"), 422)
    assert_error_shape(Client().get(f"{V1}/register"), 401, "not_authenticated")


def test_register_edit_with_the_version_seen(
    client_of, contributor, owner, other_owner, service, make_opportunity
):
    entry = make_opportunity(actor=contributor, service=service)
    raiser, url = client_of(contributor), f"/register/{entry.number}"
    changed = patch(raiser, url, {"version": 1, "title": "Email SLA breaches", "impact": 5, "kpi": "MTTR"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["title"], changed.json()["version"], changed.json()["kpi"]) == (
        "Email SLA breaches",
        2,
        "MTTR",
    )
    before = get(raiser, url)
    for user, body, status in [
        (contributor, {"version": 1, "title": "Stale"}, 409),
        (other_owner, {"version": 2, "title": "Not mine"}, 403),
        (contributor, {"version": 2, "state": "accepted"}, 422),
        (contributor, {"version": 2, "service": "ghost"}, 422),
        (contributor, {"version": 2, "impact": 9}, 422),
        (contributor, {"title": "No version"}, 422),
    ]:
        assert_error_shape(patch(client_of(user), url, body), status)
        assert get(raiser, url) == before, body
    assert patch(client_of(owner), url, {"version": 2, "service": None}).json()["service"] is None


def test_register_transitions(client_of, owner, strategist, service, make_opportunity):
    first, second = make_opportunity(service=service), make_opportunity(service=service)
    client = client_of(owner)
    assert post(client, f"/register/{first.number}/assess").json()["state"] == "under-assessment"
    refused(client, client, f"/register/{first.number}/assess", {}, 409, f"/register/{first.number}")
    error = refused(client, client, f"/register/{first.number}/reject", {}, 422, f"/register/{first.number}")
    assert "reason" in error["fields"]
    error = refused(
        client,
        client,
        f"/register/{first.number}/reject",
        {"version": 1, "reason": "x"},
        409,
        "/register/CSI-0001",
    )
    assert "version" in error["fields"]
    rejected = post(client, f"/register/{first.number}/reject", {"reason": "Known issue"}).json()
    assert (rejected["state"], rejected["state_reason"], rejected["decided_by"]) == (
        "rejected",
        "Known issue",
        "owner",
    )
    assert post(client, f"/register/{first.number}/reopen").json()["state"] == "under-assessment"
    duplicate = post(
        client_of(strategist), f"/register/{second.number}/mark-duplicate", {"duplicate_of": "CSI-0001"}
    )
    assert duplicate.json()["duplicate_of"] == "CSI-0001"
    later = (date.today() + timedelta(days=30)).isoformat()
    deferred = post(client, f"/register/{first.number}/defer", {"deferred_until_date": later}).json()
    assert (deferred["state"], deferred["deferred_until_date"]) == ("deferred", later)
    error = assert_error_shape(post(client, "/register/CSI-0001/accept", {"plan": "ghost"}), 422)
    assert "plan" in error["fields"]


def test_register_weights_and_duplicates_are_not_entry_numbers(
    client_of, admin, owner, viewer, service, make_opportunity
):
    make_opportunity(service=service)
    weights = get(client_of(viewer), "/register/weights")
    assert {k: weights[k] for k in ("impact", "urgency", "benefit", "effort")} == {
        "impact": 3,
        "urgency": 2,
        "benefit": 3,
        "effort": 2,
    }
    new = {"impact": 10, "urgency": 0, "benefit": 0, "effort": 0}
    assert_error_shape(client_of(owner).put(f"{V1}/register/weights", new, content_type=J), 403)
    zero = {"impact": 0, "urgency": 0, "benefit": 0, "effort": 0}
    assert_error_shape(client_of(admin).put(f"{V1}/register/weights", zero, content_type=J), 422)
    assert client_of(admin).put(f"{V1}/register/weights", new, content_type=J).json()["impact"] == 10
    assert get(client_of(viewer), "/register")["items"][0]["score"] == 60.0
    found = post(
        client_of(viewer), "/register/duplicates", {"title": "Email ticket resolution SLA breached"}
    ).json()
    assert [(d["number"], d["service"]) for d in found] == [("CSI-0001", "email")]
    assert 0.6 <= found[0]["similarity"] <= 1
    long = {"title": "Email tickets breach", "description": "resolution " * 900, "exclude": "CSI-0001"}
    assert post(client_of(viewer), "/register/duplicates", long).json() == []
    assert_error_shape(post(client_of(viewer), "/register/duplicates", {}), 422)
    assert_error_shape(
        post(client_of(viewer), "/register/duplicates", {"title": "x", "service": "ghost"}), 422
    )


def test_evidence_over_the_api(client_of, owner, other_owner, measured, make_opportunity):
    entry = make_opportunity(service=measured)
    url = f"/register/{entry.number}"
    refused(
        client_of(other_owner),
        client_of(owner),
        f"{url}/evidence",
        {"kind": "attainment", "standard_key": "email-resolution"},
        403,
        url,
    )
    error = assert_error_shape(
        post(client_of(owner), f"{url}/evidence", {"kind": "pareto", "standard_key": "email-resolution"}), 422
    )
    assert "attribute" in error["fields"]
    assert_error_shape(post(client_of(owner), f"{url}/evidence", {"kind": "forecast"}), 422)
    attached = post(
        client_of(owner), f"{url}/evidence", {"kind": "attainment", "standard_key": "email-resolution"}
    )
    assert attached.status_code == 201, attached.content
    evidence = attached.json()
    assert (evidence["title"], evidence["attached_by"], evidence["result"][0]["tickets"]) == (
        "Attainment of email-resolution per month",
        "owner",
        2,
    )
    assert [e["id"] for e in get(client_of(owner), url)["evidence"]] == [evidence["id"]]
    assert_error_shape(client_of(other_owner).delete(f"{V1}{url}/evidence/{evidence['id']}"), 403)
    assert client_of(owner).delete(f"{V1}{url}/evidence/{evidence['id']}").status_code == 204
    assert_error_shape(client_of(owner).delete(f"{V1}{url}/evidence/{evidence['id']}"), 404)
    assert get(client_of(owner), url)["evidence"] == []


# --- plans -------------------------------------------------------------------------------------------------

PLAN = {
    "key": "printing-sip",
    "kind": "service",
    "name": "Printing SIP",
    "services": ["printing"],
    "period_start_date": "2026-01-01",
    "period_end_date": "2026-12-31",
    "owner": "other_owner",
    "budget_limit": "0",
}


def test_plans_over_the_api(client_of, token_for, other_owner, contributor, viewer, other_service, process):
    created = assert_api_access(
        f"{V1}/plans",
        method="post",
        data=PLAN,
        forbidden_token=token_for(contributor),
        permitted_token=token_for(other_owner),
        ok=(201,),
    ).json()
    assert (created["services"], created["owner"], created["budget_limit"], created["version"]) == (
        ["printing"],
        "other_owner",
        "0.00",
        1,
    )
    client = client_of(other_owner)
    assert_error_shape(post(client, "/plans", PLAN), 409)
    for change, field in [
        ({"services": ["ghost"]}, "services"),
        ({"owner": "ghost"}, "owner"),
        ({"period_end_date": "2025-01-01"}, "period_end_date"),
        ({"currency": "eur"}, "currency"),
        ({"kind": "galactic"}, "kind"),
    ]:
        error = assert_error_shape(post(client, "/plans", {**PLAN, "key": "other", **change}), 422)
        assert field in error["fields"], (change, error)
    assert_error_shape(post(client, "/plans", {**PLAN, "key": "strategy", "kind": "strategic"}), 403)

    url = "/plans/printing-sip"
    changed = patch(client, url, {"version": 1, "name": "Print SIP", "processes": ["incident-management"]})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["processes"], changed.json()["version"]) == (
        "Print SIP",
        ["incident-management"],
        3,
    )
    before = get(client, url)
    for user, body, status in [
        (other_owner, {"version": 1, "name": "Stale"}, 409),
        (viewer, {"version": 3, "name": "Not mine"}, 403),
        (other_owner, {"version": 3, "key": "renamed"}, 422),
        (other_owner, {"name": "No version"}, 422),
    ]:
        assert_error_shape(patch(client_of(user), url, body), status)
        assert get(client, url) == before, body

    goal = post(client, f"{url}/objectives", {"title": "Fewer jams", "description": "Jams per week"})
    assert goal.status_code == 201, goal.content
    goal_id = goal.json()["id"]
    assert_error_shape(post(client, f"{url}/objectives", {"title": "Fewer jams"}), 409)
    assert_error_shape(post(client, f"{url}/objectives", {"title": "X", "organisation_objective": 99}), 422)
    assert_error_shape(post(client_of(viewer), f"{url}/objectives", {"title": "Mine"}), 403)
    assert patch(client, f"{url}/objectives/{goal_id}", {"title": "No jams"}).json()["title"] == "No jams"
    assert [o["title"] for o in get(client_of(viewer), url)["objectives"]] == ["No jams"]
    assert_error_shape(client_of(viewer).delete(f"{V1}{url}/objectives/{goal_id}"), 403)
    assert client.delete(f"{V1}{url}/objectives/{goal_id}").status_code == 204
    assert_error_shape(client.delete(f"{V1}{url}/objectives/{goal_id}"), 404)
    listed = get(client_of(viewer), "/plans", {"kind": "service"})
    assert [p["key"] for p in listed["items"]] == ["printing-sip"]
    assert get(client_of(viewer), "/plans", {"search": "strategy"})["count"] == 0
    assert_error_shape(client_of(viewer).get(f"{V1}/plans/ghost"), 404)


def test_portfolio(client_of, people, plan, viewer):
    at_step(people, plan, 4)
    at_step(people, plan, 1)
    portfolio = get(client_of(viewer), "/portfolio")
    [line] = portfolio["plans"]
    assert (line["plan"], line["initiatives"], line["open"], line["by_state"]) == (
        "email-sip",
        2,
        2,
        {"funded": 1, "proposed": 1},
    )
    assert (line["budget_requested"], line["budget_approved"]) == ("10000.00", "4000.00")
    assert portfolio["totals"]["budget"] == {
        "EUR": {"requested": "10000.00", "approved": "4000.00", "spent": "0.00"}
    }
    assert get(client_of(viewer), "/portfolio", {"kind": "strategic"})["plans"] == []


# --- initiatives: creation, sections, objectives, tasks, risks, responsibilities ----------------------------


def test_create_and_edit_an_initiative(client_of, people, plan, make_opportunity, service):
    owner, lead, viewer = (
        client_of(people["owner"]),
        client_of(people["contributor"]),
        client_of(people["viewer"]),
    )
    make_opportunity(service=service)
    body = {
        "plan": "email-sip",
        "title": "Self-service password reset",
        "owner": "contributor",
        "budget_requested": "1200",
        "origins": ["CSI-0001"],
        "execution_mode": "project",
        "project_reference": "PRJ-7",
    }
    for user, change, status in [
        (people["strategist"], {}, 403),
        (people["owner"], {"plan": "ghost"}, 422),
        (people["owner"], {"origins": ["CSI-0404"]}, 422),
        (people["owner"], {"owner": "ghost"}, 422),
        (people["owner"], {"execution_mode": "project", "project_reference": ""}, 422),
        (people["owner"], {"state": "approved"}, 422),
        (people["owner"], {"parent": "INI-0404"}, 422),
    ]:
        assert_error_shape(post(client_of(user), "/initiatives", {**body, **change}), status)
    assert not Initiative.objects.exists()
    created = post(owner, "/initiatives", body)
    assert created.status_code == 201, created.content
    initiative = created.json()
    assert (initiative["number"], initiative["owner"], initiative["origins"], initiative["created_by"]) == (
        "INI-0001",
        "contributor",
        ["CSI-0001"],
        "owner",
    )
    assert (initiative["budget_requested"], initiative["project_reference"], initiative["plan"]) == (
        "1200.00",
        "PRJ-7",
        "email-sip",
    )
    assert initiative["rollup"] == {
        "initiatives": 1,
        "percent_complete": 0,
        "budget_requested": "1200.00",
        "budget_approved": "0.00",
        "budget_spent": "0.00",
        "health": "",
        "children": [],
    }
    assert [a["action"] for a in get(viewer, "/initiatives/INI-0001")["actions"]] == []
    url = "/initiatives/INI-0001"
    assert_error_shape(patch(viewer, url, {"version": 1, "title": "Mine"}), 403)
    assert_error_shape(patch(lead, url, {"version": 1, "state": "closed"}), 422)
    changed = patch(lead, url, {"version": 1, "approach": "Pilot first", "cost_estimate": "900.5"})
    assert (changed.json()["approach"], changed.json()["cost_estimate"], changed.json()["version"]) == (
        "Pilot first",
        "900.50",
        2,
    )
    error = assert_error_shape(patch(owner, url, {"version": 1, "title": "Stale"}), 409)
    assert "version 1" in error["message"] and get(lead, url)["title"] == "Self-service password reset"

    # The list, its filters and the board.
    at_step(people, plan, 1)
    listed = get(viewer, "/initiatives", {"state": "open", "plan": "email-sip", "order": "number"})
    assert [i["number"] for i in listed["items"]] == ["INI-0001", "INI-0002"]
    assert [i["number"] for i in get(viewer, "/initiatives", {"state": "proposed"})["items"]] == ["INI-0002"]
    assert get(viewer, "/initiatives", {"owner": "owner"})["count"] == 0
    assert get(viewer, "/initiatives", {"search": "password"})["items"][0]["number"] == "INI-0001"
    assert_error_shape(viewer.get(f"{V1}/initiatives", {"state": "finished"}), 422)
    board = get(viewer, "/initiatives/board", {"plan": "email-sip", "include_final": "false"})
    assert [(c["state"], [i["number"] for i in c["initiatives"]]) for c in board[:2]] == [
        ("draft", ["INI-0001"]),
        ("proposed", ["INI-0002"]),
    ]
    assert "closed" not in [c["state"] for c in board]
    assert len(get(viewer, "/initiatives/board")) == 13


def test_a_strategic_parent_rolls_up_its_children(client_of, people, plan):
    strategy = Plan.objects.create(
        key="strategy",
        kind="strategic",
        name="Strategy",
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2028, 12, 31),
    )
    created = post(
        client_of(people["strategist"]), "/initiatives", {"plan": "strategy", "title": "Digital desk"}
    )
    assert created.status_code == 201, created.content
    child = at_step(people, plan, 5)
    owner = client_of(people["owner"])
    url = f"/initiatives/{child.number}"
    error = assert_error_shape(patch(owner, url, {"version": child.version, "parent": url[-8:]}), 422)
    assert "parent" in error["fields"]
    linked = patch(owner, url, {"version": child.version, "parent": "INI-0001"})
    assert linked.status_code == 200, linked.content
    post(client_of(people["contributor"]), f"{url}/status-updates", {"health": "red", "percent_complete": 50})
    parent = get(owner, "/initiatives/INI-0001")
    assert (parent["children"], parent["rollup"]["children"], parent["rollup"]["health"]) == (
        [child.number],
        [child.number],
        "red",
    )
    assert (parent["rollup"]["percent_complete"], parent["rollup"]["budget_approved"]) == (25, "4000.00")
    assert [i["number"] for i in get(owner, "/initiatives", {"parent": "INI-0001"})["items"]] == [
        child.number
    ]
    assert strategy.initiatives.count() == 1


def test_objectives_and_baseline(client_of, people, plan):
    initiative = at_step(people, plan, 2)
    lead, url = client_of(people["contributor"]), f"/initiatives/{initiative.number}"
    [objective] = get(lead, url)["objectives"]
    assert [c["letter"] for c in objective["smart"]] == [
        "specific",
        "measurable",
        "achievable",
        "relevant",
        "time-bound",
    ]
    # A change of objectives after approval sends it back for approval.
    changed = patch(lead, f"{url}/objectives/{objective['id']}", {"target_value": 6})
    assert changed.status_code == 200, changed.content
    after = get(lead, url)
    assert (after["state"], after["timeline"][-1]["action"]) == ("proposed", "re-approval")
    error = assert_error_shape(
        patch(lead, f"{url}/objectives/{objective['id']}", {"target_value": "NaN"}), 422
    )
    assert "target_value" in error["fields"]
    error = assert_error_shape(post(lead, f"{url}/objectives", {"title": "KPI", "kpi_kind": "standard"}), 422)
    assert "standard" in error["fields"]
    assert_error_shape(post(lead, f"{url}/objectives", {"title": "Other plan", "plan_objective": 999}), 422)
    assert_error_shape(post(lead, f"{url}/objectives", {"title": "Stale", "version": 1}), 409)
    assert_error_shape(post(client_of(people["viewer"]), f"{url}/objectives", {"title": "Mine"}), 403)
    added = post(lead, f"{url}/objectives", {"title": "Fewer reopens", "kpi_kind": "measure"})
    assert_error_shape(added, 422)
    added = post(lead, f"{url}/objectives", {"title": "Happier users", "description": "Survey"})
    assert added.status_code == 201 and added.json()["kpi_kind"] == ""
    version = get(lead, url)["version"]
    assert_error_shape(lead.delete(f"{V1}{url}/objectives/{added.json()['id']}?version=1"), 409)
    assert lead.delete(f"{V1}{url}/objectives/{added.json()['id']}?version={version}").status_code == 204
    # No ticket data: the baseline cannot be measured, and nothing is stored.
    error = assert_error_shape(post(lead, f"{url}/baseline", {}), 422)
    assert "source_key" in error["fields"] and get(lead, url)["baseline"] == []
    assert_error_shape(post(lead, f"{url}/baseline", {"window_days": 0}), 422)


def test_status_updates_tasks_risks_and_responsibilities(client_of, people, plan):
    initiative = at_step(people, plan, 5)
    url = f"/initiatives/{initiative.number}"
    owner, lead, viewer = (
        client_of(people["owner"]),
        client_of(people["contributor"]),
        client_of(people["viewer"]),
    )
    assert_error_shape(post(viewer, f"{url}/status-updates", {"health": "green", "percent_complete": 5}), 403)
    assert_error_shape(post(lead, f"{url}/status-updates", {"health": "blue", "percent_complete": 5}), 422)
    assert_error_shape(post(lead, f"{url}/status-updates", {"health": "green", "percent_complete": 101}), 422)
    assert get(viewer, f"{url}/status-updates") == []

    first = post(
        owner, f"{url}/tasks", {"title": "Pick a tool", "owner": "contributor", "due_date": "2026-03-01"}
    )
    assert first.status_code == 201, first.content
    first_id = first.json()["id"]
    second = post(
        owner,
        f"{url}/tasks",
        {"title": "Roll out", "is_milestone": True, "due_date": "2026-04-01", "depends_on": [first_id]},
    )
    assert second.json()["depends_on"] == [first_id]
    second_id = second.json()["id"]
    error = assert_error_shape(patch(owner, f"{url}/tasks/{first_id}", {"depends_on": [second_id]}), 422)
    assert "loop" in error["fields"]["depends_on"][0]
    assert_error_shape(post(owner, f"{url}/tasks", {"title": "X", "depends_on": [424242]}), 422)
    assert_error_shape(post(owner, f"{url}/tasks", {"title": "X", "depends_on": [2**70]}), 422)
    # The task's owner (a contributor) updates its progress, not its title; someone else neither.
    progress = patch(lead, f"{url}/tasks/{first_id}", {"percent_complete": 60, "version": 1})
    assert (progress.json()["percent_complete"], progress.json()["version"]) == (60, 2)
    assert_error_shape(patch(lead, f"{url}/tasks/{first_id}", {"percent_complete": 70, "version": 1}), 409)
    assert_error_shape(
        patch(client_of(people["process_owner"]), f"{url}/tasks/{first_id}", {"percent_complete": 80}), 403
    )
    assert [t["title"] for t in get(viewer, f"{url}/tasks")] == ["Pick a tool", "Roll out"]
    assert_error_shape(viewer.delete(f"{V1}{url}/tasks/{second_id}"), 403)
    assert owner.delete(f"{V1}{url}/tasks/{second_id}").status_code == 204

    risk = post(lead, f"{url}/risks", {"description": "Supplier late", "likelihood": 4, "owner": "owner"})
    assert risk.status_code == 201 and risk.json()["owner"] == "owner"
    assert_error_shape(post(lead, f"{url}/risks", {"description": "Big", "impact": 6}), 422)
    raci = {"activity": "Roll-out", "person": "contributor", "raci": "R"}
    assert post(owner, f"{url}/responsibilities", raci).status_code == 201
    assert_error_shape(post(owner, f"{url}/responsibilities", raci), 409)
    assert_error_shape(post(owner, f"{url}/responsibilities", {**raci, "person": "ghost"}), 422)
    detail = get(viewer, url)
    assert [(r["activity"], r["person"], r["raci"]) for r in detail["responsibilities"]] == [
        ("Roll-out", "contributor", "R")
    ]
    assert [r["description"] for r in detail["risks"]] == ["Supplier late"]
    assert_error_shape(viewer.delete(f"{V1}{url}/risks/{risk.json()['id']}"), 403)
    assert owner.delete(f"{V1}{url}/risks/{risk.json()['id']}").status_code == 204
    raci_id = detail["responsibilities"][0]["id"]
    assert owner.delete(f"{V1}{url}/responsibilities/{raci_id}").status_code == 204
    assert get(viewer, url)["risks"] == [] and get(viewer, url)["responsibilities"] == []


# --- suggestions -----------------------------------------------------------------------------------------


def test_suggestions_over_the_api(client_of, token_for, people, plan, service, make_opportunity):
    make_opportunity(service=service)
    Plan.objects.create(
        key="strategy",
        kind="strategic",
        name="Strategy",
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2028, 12, 31),
    )
    body = {
        "title": "One service desk for all sites",
        "description": "Merge the desks.",
        "opportunity": "CSI-0001",
    }
    created = assert_api_access(
        f"{V1}/suggestions",
        method="post",
        data=body,
        forbidden_token=token_for(people["viewer"]),
        permitted_token=token_for(people["contributor"]),
        ok=(201,),
    ).json()
    assert (created["state"], created["opportunity"], created["suggested_by"]) == (
        "open",
        "CSI-0001",
        "contributor",
    )
    contributor = client_of(people["contributor"])
    error = assert_error_shape(post(contributor, "/suggestions", {"title": "x", "description": "y"}), 422)
    assert "origin" in error["message"] or error["fields"]
    assert_error_shape(post(contributor, "/suggestions", {**body, "initiative": "INI-0404"}), 422)
    second = post(
        contributor, "/suggestions", {"title": "Chatbot", "description": "Try it", "review_reference": "Q1"}
    )
    url, other = f"/suggestions/{created['id']}", f"/suggestions/{second.json()['id']}"
    strategist = client_of(people["strategist"])

    refused(client_of(people["owner"]), strategist, f"{url}/accept", {}, 403, url)
    error = refused(strategist, strategist, f"{url}/accept", {"plan": "email-sip"}, 422, url)
    assert "plan" in error["fields"]
    accepted = post(strategist, f"{url}/accept", {"title": "Unified desk"})
    assert accepted.status_code == 200, accepted.content
    assert (
        accepted.json()["state"],
        accepted.json()["created_initiative"],
        accepted.json()["decided_by"],
    ) == (
        "accepted",
        "INI-0001",
        "strategist",
    )
    new = get(strategist, "/initiatives/INI-0001")
    assert (new["plan"], new["title"], new["origins"]) == ("strategy", "Unified desk", ["CSI-0001"])
    refused(strategist, strategist, f"{url}/decline", {"reason": "Too late"}, 409, url)
    assert_error_shape(post(strategist, f"{other}/decline", {"reason": ""}), 422)
    declined = post(strategist, f"{other}/decline", {"reason": "Not this year"}).json()
    assert (declined["state"], declined["decline_reason"]) == ("declined", "Not this year")
    viewer = client_of(people["viewer"])
    assert [s["state"] for s in get(viewer, "/suggestions")["items"]] == ["declined", "accepted"]
    assert get(viewer, "/suggestions", {"state": "open"})["count"] == 0
    assert_error_shape(viewer.get(f"{V1}/suggestions", {"state": "maybe"}), 422)
    assert_error_shape(viewer.get(f"{V1}/suggestions/424242"), 404)
    assert_error_shape(viewer.get(f"{V1}/suggestions/0"), 422)
    assert Suggestion.objects.count() == 2


# --- access, route order, query budgets -------------------------------------------------------------------


def _sample(path: str) -> str:
    number = "INI-0001" if path.startswith("/api/v1/initiatives") else "CSI-0001"
    return (
        path.replace("{number}", number)
        .replace("{key}", "email-sip")
        .replace("{action}", "assess" if number.startswith("CSI") else "propose")
        .replace("{objective_id}", "1")
        .replace("{evidence_id}", "1")
        .replace("{task_id}", "1")
        .replace("{risk_id}", "1")
        .replace("{responsibility_id}", "1")
        .replace("{suggestion_id}", "1")
    )


IMPROVEMENT_TAGS = {"register", "plans", "initiatives", "suggestions"}


def test_every_operation_needs_sign_in_and_documents_its_answers(people, plan, service, make_opportunity):
    make_opportunity(service=service)
    at_step(people, plan, 0)
    spec = Client().get(f"{V1}/openapi.json").json()
    anonymous, seen = Client(), 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not IMPROVEMENT_TAGS & set(operation.get("tags", [])):
                continue
            seen += 1
            assert {"401", "403", "404", "422"} <= set(operation["responses"]), (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
            response = getattr(anonymous, method)(_sample(path), content_type=J)
            assert_error_shape(response, 401, "not_authenticated")
    assert seen == 56  # 13 initiative transitions, one operation each


def test_fixed_paths_are_not_taken_for_numbers_or_actions(client_of, people, plan):
    initiative = at_step(people, plan, 0)
    owner = client_of(people["owner"])
    assert "impact" in get(owner, "/register/weights")
    assert post(owner, "/register/duplicates", {"title": "anything"}).json() == []
    assert len(get(owner, "/initiatives/board")) == 13
    url = f"/initiatives/{initiative.number}"
    for sub in ("objectives", "tasks", "risks", "responsibilities", "status-updates", "baseline"):
        response = post(owner, f"{url}/{sub}", {})
        assert response.status_code == 422, (sub, response.content)
        assert "action" not in response.json()["error"]["fields"], sub
    assert_error_shape(owner.get(f"{V1}{url}/approve"), 405)


def test_list_endpoints_keep_to_their_query_budget(
    client_of, people, plan, service, make_opportunity, django_assert_max_num_queries
):
    for _ in range(6):
        entry = make_opportunity(
            service=service, actioned_by=people["owner"], raised_by=people["contributor"]
        )
        at_step(people, plan, 1).origins.add(entry)
        Suggestion.objects.create(
            title="S", description="D", opportunity=entry, suggested_by=people["contributor"]
        )
    client = client_of(people["owner"])
    get(client, "/register")  # the first request of a client may cost more (its token's first use)
    for url, budget in [
        ("/register", 3),
        ("/plans", 5),
        ("/initiatives", 3),
        ("/initiatives/board", 2),
        ("/suggestions", 3),
        ("/decisions", 3),
        ("/portfolio", 7),
        ("/register/CSI-0001", 3),
        ("/initiatives/INI-0001", 12),
    ]:
        with django_assert_max_num_queries(budget):
            get(client, url)
