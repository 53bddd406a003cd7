"""Separation of duties that cannot be walked around (issue 11, part 1), over HTTP with each role's own
token: who sets a plan's owner and budget limit, who may approve terms they changed, action bodies that
take only their own fields, administrators who make no business decisions, and page transitions that
must say which version they saw. Each refusal is checked to change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from csi.core.models import AuditEvent, Notification
from csi.core.testing import assert_error_shape
from csi.improvement.models import Initiative, Plan
from csi.improvement.tests.conftest import ROLES
from csi.improvement.tests.test_api import at_step, get, history, patch, post, sip_objective

pytestmark = pytest.mark.django_db
ALL = (*ROLES, "maintainer")


@pytest.fixture
def maintainer(make_user: Any, plan: Plan) -> Any:
    """A contributor who maintains the SIP for its owner."""
    user = make_user(roles=["contributor"], username="maintainer")
    Plan.objects.filter(pk=plan.pk).update(maintainer=user)
    return user


@pytest.fixture
def everyone(people: dict[str, Any], maintainer: Any) -> dict[str, Any]:
    return {**people, "maintainer": maintainer}


def _plan_state(plan: Plan) -> tuple[Any, ...]:
    plan.refresh_from_db()
    return (plan.owner_id, plan.maintainer_id, plan.budget_limit, plan.currency, plan.vision, plan.version)


def _refused_plan_patch(client: Client, plan: Plan, body: dict[str, Any]) -> dict[str, Any]:
    before, trail = _plan_state(plan), history()
    error = assert_error_shape(patch(client, f"/plans/{plan.key}", {"version": plan.version, **body}), 403)
    assert _plan_state(plan) == before and history() == trail
    return error


# (what the PATCH sends, given the people; the roles that may send it). Everyone else gets 403.
PLAN_WRITES = [
    ("raise the limit", lambda p: {"budget_limit": "20000"}, {"steering"}),
    ("lower the limit", lambda p: {"budget_limit": "5000"}, {"steering", "owner"}),
    ("hand it to another owner", lambda p: {"owner": "other_owner"}, {"steering"}),
    ("change the currency", lambda p: {"currency": "USD"}, {"steering"}),
    ("change its vision", lambda p: {"vision": "Mail that just works"}, {"owner", "maintainer", "admin"}),
]


@pytest.mark.parametrize(("what", "body", "allowed"), PLAN_WRITES, ids=[w[0] for w in PLAN_WRITES])
def test_who_may_write_each_plan_field(what, body, allowed, everyone, plan, client_of):
    for role in ALL:
        plan.refresh_from_db()
        client = client_of(everyone[role])
        if role in allowed:
            response = patch(client, f"/plans/{plan.key}", {"version": plan.version, **body(everyone)})
            assert response.status_code == 200, (role, what, response.content)
            # Put it back for the next role, as the steering committee (who may set every field here).
            Plan.objects.filter(pk=plan.pk).update(
                owner=everyone["owner"], budget_limit=Decimal("10000"), currency="EUR", vision=""
            )
        else:
            _refused_plan_patch(client, plan, body(everyone))


def test_nobody_but_the_steering_committee_makes_themself_the_owner(everyone, plan, client_of):
    for role in ALL:
        username = everyone[role].get_username()
        if role in ("steering", "owner"):  # the owner already is; the steering committee may
            continue
        error = _refused_plan_patch(client_of(everyone[role]), plan, {"owner": username})
        if role in ("maintainer", "admin"):  # editors of the plan, told who decides
            assert "steering committee" in error["message"], (role, error)


def test_a_plan_owner_cannot_raise_her_limit_and_then_approve_alone(everyone, plan, client_of):
    """The finding: PATCH budget_limit 999999999 answered 200, then she approved and funded 500,000."""
    owner = client_of(everyone["owner"])
    error = _refused_plan_patch(owner, plan, {"budget_limit": "999999999"})
    assert "Only the steering committee may set or raise" in error["message"]
    initiative = at_step(everyone, plan, 1, budget="500000")  # proposed, asking 500,000 (limit 10,000)
    url = f"/initiatives/{initiative.number}"
    assert_error_shape(post(owner, f"{url}/approve", {"version": initiative.version}), 403)
    steering = post(client_of(everyone["steering"]), f"{url}/approve", {"version": initiative.version})
    assert steering.status_code == 200, steering.content


def test_the_steering_committee_sets_the_limit_audited_and_notified(everyone, plan, client_of):
    owner, steering = everyone["owner"], everyone["steering"]
    unread = Notification.objects.filter(recipient=owner).count()
    response = patch(
        client_of(steering), f"/plans/{plan.key}", {"version": plan.version, "budget_limit": "25000"}
    )
    assert response.status_code == 200 and response.json()["budget_limit"] == "25000.00"
    event = AuditEvent.objects.filter(verb="update", object_type__endswith="plan").latest("pk")
    assert event.actor_id == steering.pk
    assert (Decimal(event.before["budget_limit"]), Decimal(event.after["budget_limit"])) == (10000, 25000)
    note = Notification.objects.filter(recipient=owner).latest("pk")
    assert Notification.objects.filter(recipient=owner).count() == unread + 1
    assert "25000.00 EUR" in note.title and "10000.00 EUR" in note.body
    # The owner lowers it again herself; raising it back is refused.
    plan.refresh_from_db()
    lowered = patch(client_of(owner), f"/plans/{plan.key}", {"version": plan.version, "budget_limit": "8000"})
    assert lowered.status_code == 200 and lowered.json()["budget_limit"] == "8000.00"
    plan.refresh_from_db()
    _refused_plan_patch(client_of(owner), plan, {"budget_limit": "9000"})


NEW_PLAN = {
    "key": "printing-sip",
    "kind": "service",
    "name": "Printing SIP",
    "period_start_date": "2026-01-01",
    "period_end_date": "2026-12-31",
}


@pytest.mark.parametrize("role", ["owner", "other_owner", "strategist", "admin"])
def test_a_new_plan_gets_a_limit_only_from_the_steering_committee(role, everyone, client_of):
    client = client_of(everyone[role])
    count, trail = Plan.objects.count(), history()
    error = assert_error_shape(post(client, "/plans", {**NEW_PLAN, "budget_limit": "500000"}), 403)
    assert "Only the steering committee sets a plan's budget limit" in error["message"]
    assert (Plan.objects.count(), history()) == (count, trail)
    created = post(client, "/plans", {**NEW_PLAN, "budget_limit": "0"})
    assert created.status_code == 201, created.content
    assert created.json()["budget_limit"] == "0.00"


def test_an_administrator_cannot_make_himself_owner_then_approve(everyone, plan, client_of):
    """The finding: an administrator refused an approval made himself the plan's owner and approved."""
    admin = client_of(everyone["admin"])
    initiative = at_step(everyone, plan, 1)
    url = f"/initiatives/{initiative.number}"
    assert_error_shape(post(admin, f"{url}/approve", {"version": initiative.version}), 403)
    _refused_plan_patch(admin, plan, {"owner": "admin"})
    _refused_plan_patch(admin, plan, {"maintainer": "admin"})
    new = post(admin, "/plans", {**NEW_PLAN, "owner": "admin", "budget_limit": "0"})
    assert_error_shape(new, 403)
    assert "Only the steering committee names a plan's owner" in new.json()["error"]["message"]
    assert not Plan.objects.filter(key="printing-sip").exists()


def test_an_administrator_cannot_grant_himself_a_business_role_but_a_second_one_can(
    everyone, make_user, client_of
):
    admin = everyone["admin"]
    client_of(admin)
    url = f"/api/v1/users/{admin.pk}/roles"
    before, trail = set(admin.groups.values_list("name", flat=True)), AuditEvent.objects.count()
    response = client_of(admin).put(
        url, {"roles": ["administrator", "steering-committee"]}, content_type="application/json"
    )
    error = assert_error_shape(response, 403)
    assert "steering-committee" in error["message"] and "Another administrator" in error["message"]
    assert set(admin.groups.values_list("name", flat=True)) == before
    assert AuditEvent.objects.count() == trail
    second = make_user(roles=["administrator"], username="second_admin")
    response = client_of(second).put(
        url, {"roles": ["administrator", "steering-committee"]}, content_type="application/json"
    )
    assert response.status_code == 200 and "steering-committee" in response.json()["roles"]


def test_an_administrator_cannot_make_himself_a_service_owner(everyone, service, client_of):
    admin = client_of(everyone["admin"])
    response = admin.patch(
        f"/api/v1/services/{service.key}", {"owner": "admin"}, content_type="application/json"
    )
    assert_error_shape(response, 403)
    service.refresh_from_db()
    assert service.owner == everyone["owner"]
    handed = admin.patch(
        f"/api/v1/services/{service.key}", {"owner": "other_owner"}, content_type="application/json"
    )
    assert handed.status_code == 200, handed.content


def test_whoever_last_changed_the_terms_cannot_approve_them(everyone, plan, client_of):
    """The finding: a plan owner changed the requested budget (sending it back to proposed) and then
    approved the terms she set herself."""
    owner, steering = client_of(everyone["owner"]), client_of(everyone["steering"])
    client_of(everyone["contributor"])
    initiative = at_step(everyone, plan, 2)  # approved by the plan owner
    url = f"/initiatives/{initiative.number}"
    changed = patch(owner, url, {"version": initiative.version, "budget_requested": "9000"})
    assert changed.status_code == 200 and changed.json()["state"] == "proposed"
    initiative.refresh_from_db()
    assert initiative.terms_changed_by == everyone["owner"]
    before, trail = get(owner, url), history()
    error = assert_error_shape(post(owner, f"{url}/approve", {"version": initiative.version}), 403)
    assert "You changed this initiative's terms" in error["message"]
    assert get(owner, url) == before and history() == trail
    # It waits for the steering committee instead, who approves.
    assert [d["initiative"]["number"] for d in get(steering, "/decisions")] == [initiative.number]
    assert get(owner, "/decisions") == []
    approved = post(steering, f"{url}/approve", {"version": initiative.version})
    assert approved.status_code == 200 and approved.json()["approved_by"] == "steering"


def test_an_objective_changed_by_the_plan_owner_also_counts(everyone, plan, client_of):
    owner = client_of(everyone["owner"])
    initiative = at_step(everyone, plan, 1)  # proposed by the contributor, terms by the contributor
    objective = initiative.objectives.get()
    url = f"/initiatives/{initiative.number}"
    moved = patch(
        owner, f"{url}/objectives/{objective.pk}", {"version": initiative.version, "target_value": 6.0}
    )
    assert moved.status_code == 200, moved.content
    initiative.refresh_from_db()
    assert_error_shape(post(owner, f"{url}/approve", {"version": initiative.version}), 403)


BAD_BODIES = [
    ("decline-budget", 3, {"reason": "No", "amount": "1"}, "amount"),
    ("approve", 1, {"amount": "1"}, "amount"),
    ("reject", 1, {"reason": "No", "amount": "1"}, "amount"),
    ("propose", 0, {"outcome": "achieved"}, "outcome"),
    ("fund", 3, {"amount": "4000", "outcome": "achieved"}, "outcome"),
    ("reject", 1, {}, "reason"),
    ("fund", 3, {}, "amount"),
]


@pytest.mark.parametrize(
    ("action", "steps", "body", "field"), BAD_BODIES, ids=[f"{b[0]}-{b[3]}" for b in BAD_BODIES]
)
def test_an_action_body_takes_only_that_actions_fields(action, steps, body, field, everyone, plan, client_of):
    """The finding: decline-budget with "amount": "1" skipped the steering committee."""
    initiative = at_step(everyone, plan, steps, budget="500000", decider="steering")
    url = f"/initiatives/{initiative.number}"
    steering, owner = client_of(everyone["steering"]), client_of(everyone["owner"])
    before, trail = get(steering, url), history()
    response = post(owner, f"{url}/{action}", {"version": initiative.version, **body})
    error = assert_error_shape(response, 422)
    assert field in str(error["fields"]) or field in error["message"], error
    assert get(steering, url) == before and history() == trail


def test_funding_is_judged_on_the_request_stored_not_the_amount_sent(everyone, plan, client_of):
    initiative = at_step(everyone, plan, 3, budget="500000", decider="steering")
    url = f"/initiatives/{initiative.number}"
    owner = client_of(everyone["owner"])
    for action, body in (("fund", {"amount": "1"}), ("decline-budget", {"reason": "too much"})):
        error = assert_error_shape(
            post(owner, f"{url}/{action}", {"version": initiative.version, **body}), 403
        )
        assert "above the plan's limit" in error["message"]
    assert Initiative.objects.get(pk=initiative.pk).state == "budget-requested"


def test_a_page_transition_without_a_version_is_refused_like_a_stale_one(everyone, plan):
    initiative = at_step(everyone, plan, 0)
    client = Client()
    client.force_login(everyone["contributor"])
    trail = history()
    response = client.post(f"/initiatives/{initiative.number}/propose/", {})
    assert response.status_code == 409
    assert "did not say which version" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.state == "draft" and history() == trail
    response = client.post(f"/initiatives/{initiative.number}/propose/", {"version": initiative.version})
    assert response.status_code == 302


# Initiative writes that change its terms: (what, the PATCH body). Who may: the initiative's owner
# (contributor), the plan's owner (who created it) and the plan's maintainer. Each of them may then not
# approve what they changed.
TERM_WRITES = [
    ("budget", {"budget_requested": "6000"}),
    ("scope", {"scope": "Email only, not the calendar"}),
]
EDITORS = {"owner", "contributor", "maintainer"}


@pytest.mark.parametrize(("what", "body"), TERM_WRITES, ids=[w[0] for w in TERM_WRITES])
def test_who_may_change_an_initiatives_terms_and_may_then_not_approve_them(
    what, body, everyone, plan, client_of
):
    for role in ALL:
        client_of(everyone[role])
    for role in ALL:
        initiative = at_step(everyone, plan, 1)  # proposed
        url = f"/initiatives/{initiative.number}"
        client = client_of(everyone[role])
        if role not in EDITORS:
            before, trail = get(client_of(everyone["owner"]), url), history()
            assert_error_shape(patch(client, url, {"version": initiative.version, **body}), 403)
            assert get(client_of(everyone["owner"]), url) == before and history() == trail
            continue
        response = patch(client, url, {"version": initiative.version, **body})
        assert response.status_code == 200, (role, response.content)
        initiative.refresh_from_db()
        assert initiative.terms_changed_by == everyone[role]
        approve = post(client, f"{url}/approve", {"version": initiative.version})
        assert approve.status_code == 403, (role, approve.content)
        # The plan owner decides unless she changed them herself: then the steering committee.
        decider = "steering" if role == "owner" else "owner"
        approved = post(client_of(everyone[decider]), f"{url}/approve", {"version": initiative.version})
        assert approved.status_code == 200, (role, approved.content)


# Found by a review of the first version of these rules, which kept only the last person who changed the
# terms or requested the budget: the next person's change cleared the earlier one's exclusion.


def _draft_by_plan_owner(everyone: dict[str, Any], plan: Plan) -> Initiative:
    """A SIP initiative the plan owner creates with a 9,000 budget (within her 10,000 limit), for the
    contributor, who then adds the objective and proposes it."""
    from csi.improvement.services import initiatives as initiative_services
    from csi.improvement.services import workflow

    initiative = initiative_services.initiative_create(
        actor=everyone["owner"],
        plan=plan,
        data={
            "title": "Cut email resolution time",
            "owner": everyone["contributor"],
            "budget_requested": 9000,
        },
    )
    initiative_services.objective_add(
        actor=everyone["contributor"], initiative=initiative, data=sip_objective(plan)
    )
    initiative.refresh_from_db()
    return workflow.initiative_transition(
        actor=everyone["contributor"], initiative=initiative, action="propose", version=initiative.version
    )


def test_everyone_who_changed_the_terms_stays_excluded_not_only_the_last(everyone, plan, client_of):
    owner, steering = client_of(everyone["owner"]), client_of(everyone["steering"])
    client_of(everyone["contributor"])
    initiative = _draft_by_plan_owner(everyone, plan)
    url = f"/initiatives/{initiative.number}"
    assert initiative.terms_changed_by == everyone["contributor"]  # the last, but not the only one
    error = assert_error_shape(post(owner, f"{url}/approve", {"version": initiative.version}), 403)
    assert "You changed this initiative's terms" in error["message"]
    assert [d["initiative"]["number"] for d in get(steering, "/decisions")] == [initiative.number]
    approved = post(steering, f"{url}/approve", {"version": initiative.version})
    assert approved.status_code == 200, approved.content
    # She raises the budget after approval; the contributor then fixes a typo in the scope: still not hers.
    raised = patch(owner, url, {"version": approved.json()["version"], "budget_requested": "9500"})
    assert raised.status_code == 200 and raised.json()["state"] == "proposed"
    fixed = patch(
        client_of(everyone["contributor"]), url, {"version": raised.json()["version"], "scope": "Email"}
    )
    assert fixed.status_code == 200
    assert_error_shape(post(owner, f"{url}/approve", {"version": fixed.json()["version"]}), 403)


def test_whoever_requested_the_budget_stays_excluded_after_a_decline(everyone, plan, client_of):
    """The plan owner requests the budget, the steering committee declines it, the contributor requests
    it again: the plan owner still may not fund what she asked for."""
    from csi.improvement.services import workflow

    owner, steering = client_of(everyone["owner"]), client_of(everyone["steering"])
    initiative = at_step(everyone, plan, 2)  # approved by the plan owner; budget written by the contributor
    initiative = workflow.initiative_transition(
        actor=everyone["owner"], initiative=initiative, action="request-budget", version=initiative.version
    )
    url = f"/initiatives/{initiative.number}"
    declined = post(
        steering, f"{url}/decline-budget", {"version": initiative.version, "reason": "Not this year"}
    )
    assert declined.status_code == 200, declined.content
    initiative = workflow.initiative_transition(
        actor=everyone["contributor"],
        initiative=initiative,
        action="request-budget",
        version=declined.json()["version"],
    )
    error = assert_error_shape(
        post(owner, f"{url}/fund", {"version": initiative.version, "amount": "5000"}), 403
    )
    assert "You requested this budget" in error["message"]
    funded = post(steering, f"{url}/fund", {"version": initiative.version, "amount": "5000"})
    assert funded.status_code == 200, funded.content


def test_an_objectives_unit_and_data_source_are_terms_too(everyone, plan, client_of):
    owner = client_of(everyone["owner"])
    initiative = at_step(everyone, plan, 2)  # approved
    objective = initiative.objectives.get()
    url = f"/initiatives/{initiative.number}"
    changed = patch(
        owner, f"{url}/objectives/{objective.pk}", {"version": initiative.version, "unit": "days"}
    )
    assert changed.status_code == 200, changed.content
    initiative.refresh_from_db()
    assert initiative.state == "proposed" and initiative.terms_changed_by == everyone["owner"]


@pytest.mark.parametrize(
    ("role", "named"), [("admin", "other_owner"), ("strategist", "other_owner"), ("owner", "contributor")]
)
def test_only_the_steering_committee_names_a_new_plans_owner(role, named, everyone, client_of):
    client = client_of(everyone[role])
    count, trail = Plan.objects.count(), history()
    error = assert_error_shape(post(client, "/plans", {**NEW_PLAN, "owner": named, "budget_limit": "0"}), 403)
    assert "Only the steering committee names a plan's owner" in error["message"]
    assert (Plan.objects.count(), history()) == (count, trail)
    if role == "owner":  # a service owner may name herself the owner of the SIP she creates
        created = post(client, "/plans", {**NEW_PLAN, "owner": "owner", "budget_limit": "0"})
        assert created.status_code == 201 and created.json()["owner"] == "owner"


def test_the_standard_an_objective_measures_cannot_be_deleted_from_under_it(
    everyone, plan, measured, client_of
):
    """Found by the review: the plan owner (the service's owner) deleted the standard an approved
    objective measured; the KPI became empty, the approved terms changed and nothing asked for approval."""
    from datetime import date

    from csi.improvement.services import initiatives as initiative_services
    from csi.standards.models import ServiceStandard

    initiative = at_step(everyone, plan, 2)
    standard = ServiceStandard.objects.get(key="email-resolution")
    initiative_services.objective_add(
        actor=everyone["contributor"],
        initiative=initiative,
        data={
            "title": "Resolution SLA met",
            "kpi_kind": "standard",
            "standard": standard,
            "target_value": 90.0,
            "due_date": date(2026, 6, 30),
        },
    )
    owner = client_of(everyone["owner"])
    trail = history()
    error = assert_error_shape(owner.delete(f"/api/v1/standards/{standard.key}"), 409)
    assert "objectives measure this standard" in error["message"]
    assert ServiceStandard.objects.filter(pk=standard.pk).exists() and history() == trail
    assert initiative.objectives.filter(standard=standard).exists()
