"""The CSI register's services and selectors on the database: raising, editing, weights and ranking,
every transition and every refusal (with nothing changed), evidence frozen when attached, duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from csi.analytics import selectors as analytics_selectors
from csi.catalog.tests.factories import ProcessFactory, ServiceFactory
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor
from csi.improvement.models import Evidence, Initiative, Opportunity, Plan, PriorityWeights
from csi.improvement.selectors import register as selectors
from csi.improvement.services import evidence as evidence_services
from csi.improvement.services import register as services
from csi.improvement.services.initiatives import initiative_create
from csi.improvement.services.workflow import initiative_transition

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test")


def row(entry: Opportunity) -> dict[str, Any]:
    """The stored row, to show that a refused call changed nothing."""
    return Opportunity.objects.filter(pk=entry.pk).values().get()


def events(entry: Opportunity, verb: str | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(scope=f"improvement.opportunity:{entry.pk}").order_by("pk")
    return list(found.filter(verb=verb) if verb else found)


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


# --- Raising ----------------------------------------------------------------------------------------


def test_contributor_raises_numbered_scored_audited_entries(contributor, service):
    first = services.opportunity_raise(
        actor=contributor,
        data={
            "title": "Email tickets breach the resolution SLA",
            "source": "standard-breach",
            "service": service,
            "description": "Too many email incidents are resolved after 8 hours.",
            "impact": 5,
            "urgency": 4,
            "benefit": 4,
            "effort": 2,
            "required_by_date": date(2030, 1, 31),
        },
    )
    second = services.opportunity_raise(
        actor=contributor, data={"title": "Printer toner", "source": "staff-suggestion", "description": "x"}
    )
    assert (first.number, second.number) == ("CSI-0001", "CSI-0002")
    assert (first.state, first.raised_by, first.version) == ("new", contributor, 1)
    assert abs(first.raised_at - timezone.now()) < timedelta(minutes=1)
    # Default weights 3, 2, 3, 2: (5*3 + 4*2 + 4*3 + (6-2)*2) / 10 * 20 = 86.0
    assert first.score == 86.0 == services.weights_get().score(5, 4, 4, 2)
    [created] = events(first)
    assert (created.verb, created.actor, created.after["number"]) == ("create", contributor, "CSI-0001")


def test_viewer_cannot_raise_and_nothing_is_stored(viewer):
    with pytest.raises(PermissionDenied, match="raise opportunity"):
        services.opportunity_raise(actor=viewer, data={"title": "x", "source": "audit", "description": "y"})
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "source": "audit", "description": "y"}, "title"),
        ({"title": "x", "source": "rumour", "description": "y"}, "source"),
        ({"title": "x", "source": "audit", "description": "y", "impact": 9}, "impact"),
        ({"title": "x", "source": "audit", "description": "y", "effort": 0}, "effort"),
        ({"title": "x", "source": "audit", "description": "y", "state": "accepted"}, "state"),
        ({"title": "x", "source": "audit", "description": "y", "score": 100}, "score"),
        ({"title": "x", "source": "audit", "description": "y", "number": "CSI-9999"}, "number"),
    ],
)
def test_bad_input_is_refused_with_nothing_stored(contributor, data, field):
    with pytest.raises(ValidationError) as error:
        services.opportunity_raise(actor=contributor, data=data)
    assert field in error.value.message_dict
    assert not Opportunity.objects.exists()
    assert not AuditEvent.objects.filter(object_type="improvement.opportunity").exists()


def test_a_user_raises_in_their_own_name_the_system_may_name_anyone(contributor, owner):
    data = {"title": "x", "source": "audit", "description": "y", "raised_by": owner}
    with pytest.raises(ValidationError, match="your own name"):
        services.opportunity_raise(actor=contributor, data=data)
    raised_at = datetime(2024, 3, 1, 9, tzinfo=UTC)
    imported = services.opportunity_raise(actor=SYSTEM, data={**data, "raised_at": raised_at})
    assert (imported.raised_by, imported.raised_at) == (owner, raised_at)
    assert services.opportunity_raise(actor=SYSTEM, data={**data, "raised_by": None}).raised_by is None


# --- Weights and ranking ----------------------------------------------------------------------------


def test_weights_are_created_with_defaults_once():
    weights = services.weights_get()
    assert (weights.impact, weights.urgency, weights.benefit, weights.effort) == (3, 2, 3, 2)
    assert services.weights_get().pk == weights.pk
    assert PriorityWeights.objects.count() == 1


@pytest.mark.parametrize("role", ["contributor", "owner", "strategist", "steering"])
def test_only_administrators_change_weights(request, role):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        services.weights_update(actor=user, data={"impact": 10})
    assert services.weights_get().impact == 3


def test_changing_weights_rescores_and_reranks_everything(admin, viewer, make_opportunity):
    urgent = make_opportunity(title="Urgent but small", impact=1, urgency=5, benefit=1, effort=1)
    big = make_opportunity(title="Big and valuable", impact=5, urgency=1, benefit=5, effort=5)
    ranked = [o.title for o in selectors.opportunity_list(actor=viewer)]
    assert ranked == ["Big and valuable", "Urgent but small"]  # 62.0 against 50.0 with the defaults

    services.weights_update(actor=admin, data={"impact": 0, "urgency": 10, "benefit": 0, "effort": 5})
    urgent.refresh_from_db()
    big.refresh_from_db()
    # (5*10 + (6-1)*5) / 15 * 20 = 100.0 and (1*10 + (6-5)*5) / 15 * 20 = 20.0
    assert (urgent.score, big.score) == (100.0, 20.0)
    assert [o.title for o in selectors.opportunity_list(actor=viewer)] == [
        "Urgent but small",
        "Big and valuable",
    ]
    [event] = AuditEvent.objects.filter(object_type="improvement.priorityweights", verb="update")
    assert (event.before["urgency"], event.after["urgency"]) == (2, 10)


@pytest.mark.parametrize(
    "data",
    [
        {"impact": 0, "urgency": 0, "benefit": 0, "effort": 0},
        {"impact": 11},
        {"impact": -1},
        {"impact": "lots"},
        {"colour": 3},
    ],
)
def test_bad_weights_are_refused_and_scores_stay(admin, make_opportunity, data):
    entry = make_opportunity(impact=5)
    before = row(entry)
    with pytest.raises(ValidationError):
        services.weights_update(actor=admin, data=data)
    weights = PriorityWeights.objects.get()
    assert (weights.impact, weights.urgency, weights.benefit, weights.effort) == (3, 2, 3, 2)
    assert row(entry) == before


@pytest.mark.parametrize("value", ["x", None, "3.5"])
def test_weights_that_are_not_numbers_are_a_validation_error(value):
    weights = PriorityWeights(impact=value)
    with pytest.raises(ValidationError) as refused:
        weights.full_clean()
    assert "impact" in refused.value.message_dict


def test_weights_clean_still_checks_the_numbers_beside_a_bad_one():
    with pytest.raises(ValidationError) as refused:
        PriorityWeights(impact="x", urgency=11).full_clean()
    assert set(refused.value.message_dict) == {"impact", "urgency"}
    with pytest.raises(ValidationError, match="At least one weight"):
        PriorityWeights(impact=0, urgency=0, benefit=0, effort=0).full_clean()


# --- Editing ----------------------------------------------------------------------------------------


def test_raiser_edits_a_new_entry_and_the_score_follows(contributor, service, make_opportunity):
    entry = make_opportunity(actor=contributor, service=service)
    updated = services.opportunity_update(
        actor=contributor, opportunity=entry, data={"impact": 5, "kpi": "Resolution in 8 h"}, version=1
    )
    assert (updated.impact, updated.kpi, updated.version) == (5, "Resolution in 8 h", 2)
    assert updated.score == row(entry)["score"] == services.weights_get().score(5, 3, 3, 3)
    [event] = events(entry, "update")
    assert (event.before["impact"], event.after["impact"]) == (3, 5)


def test_the_later_of_two_saves_is_refused_and_nothing_changes(contributor, owner, service, make_opportunity):
    entry = make_opportunity(actor=contributor, service=service)
    services.opportunity_update(actor=owner, opportunity=entry, data={"urgency": 5}, version=1)
    before = row(entry)
    with pytest.raises(ConflictError, match="version 1, it is now at version 2"):
        services.opportunity_update(actor=contributor, opportunity=entry, data={"urgency": 1}, version=1)
    assert row(entry) == before


@pytest.mark.parametrize("field", ["state", "number", "raised_by", "raised_at", "score", "decided_by"])
def test_state_and_history_fields_are_not_editable(owner, service, make_opportunity, field):
    entry = make_opportunity(service=service)
    before = row(entry)
    with pytest.raises(ValidationError) as error:
        services.opportunity_update(actor=owner, opportunity=entry, data={field: None}, version=None)
    assert field in error.value.message_dict
    assert row(entry) == before


def test_who_may_edit(contributor, other_owner, viewer, owner, service, make_opportunity):
    entry = make_opportunity(actor=contributor, service=service)
    for user in (other_owner, viewer):
        with pytest.raises(PermissionDenied):
            services.opportunity_update(actor=user, opportunity=entry, data={"kpi": "x"}, version=None)
    services.opportunity_transition(actor=owner, opportunity=entry, action="assess")
    # Once under assessment, the raiser no longer edits it; its assessor does.
    with pytest.raises(PermissionDenied):
        services.opportunity_update(actor=contributor, opportunity=entry, data={"kpi": "x"}, version=None)
    assert (
        services.opportunity_update(actor=owner, opportunity=entry, data={"kpi": "x"}, version=None).kpi
        == "x"
    )


def test_bad_edit_is_refused_with_nothing_changed(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    before = row(entry)
    with pytest.raises(ValidationError):
        services.opportunity_update(actor=owner, opportunity=entry, data={"impact": 6}, version=1)
    assert row(entry) == before


def test_a_decided_entry_is_not_edited(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    services.opportunity_transition(actor=owner, opportunity=entry, action="reject", reason="Out of scope")
    before = row(entry)
    with pytest.raises(ConflictError, match="rejected"):
        services.opportunity_update(actor=owner, opportunity=entry, data={"kpi": "x"}, version=None)
    assert row(entry) == before


# --- Transitions ------------------------------------------------------------------------------------


def test_contributor_raises_but_cannot_assess(contributor, service, make_opportunity):
    entry = make_opportunity(actor=contributor, service=service)
    before = row(entry)
    with pytest.raises(PermissionDenied, match="only the owner of its service or process"):
        services.opportunity_transition(actor=contributor, opportunity=entry, action="assess")
    assert row(entry) == before


@pytest.mark.parametrize("role", ["other_owner", "viewer", "admin", "steering"])
def test_others_cannot_assess_an_entry_about_a_service_they_do_not_own(
    request, service, make_opportunity, role
):
    entry = make_opportunity(service=service)
    with pytest.raises(PermissionDenied):
        services.opportunity_transition(
            actor=request.getfixturevalue(role), opportunity=entry, action="assess"
        )
    assert row(entry)["state"] == "new"


def test_service_owner_assesses_and_decision_is_stamped_and_audited(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    assessed = services.opportunity_transition(actor=owner, opportunity=entry, action="assess", version=1)
    assert (assessed.state, assessed.decided_by, assessed.version) == ("under-assessment", owner, 2)
    assert abs(assessed.decided_at - timezone.now()) < timedelta(minutes=1)
    [event] = events(entry, "assess")
    assert event.actor == owner
    assert (event.before["state"], event.after["state"]) == ("new", "under-assessment")
    assert (event.before["version"], event.after["version"]) == (1, 2)


def test_strategist_assesses_anything(strategist, other_service, process, make_opportunity):
    for entry in (
        make_opportunity(service=other_service),
        make_opportunity(process=process),
        make_opportunity(),
    ):
        assert services.opportunity_transition(
            actor=strategist, opportunity=entry, action="assess"
        ).state == ("under-assessment")


def test_process_owner_and_plan_owner_assess_their_entries(
    process_owner, owner, other_owner, process, other_service, plan, make_opportunity
):
    about_process = make_opportunity(process=process)
    services.opportunity_transition(actor=process_owner, opportunity=about_process, action="assess")
    # The owner of a plan covering the service assesses it too, though someone else owns the service.
    plan.services.add(other_service)
    about_printing = make_opportunity(service=other_service)
    services.opportunity_transition(actor=owner, opportunity=about_printing, action="assess")
    assert {row(about_process)["state"], row(about_printing)["state"]} == {"under-assessment"}
    with pytest.raises(PermissionDenied):
        services.opportunity_transition(
            actor=other_owner, opportunity=make_opportunity(process=process), action="assess"
        )


def test_unknown_action_is_a_value_error(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    with pytest.raises(ValueError, match="unknown action 'approve'"):
        services.opportunity_transition(actor=owner, opportunity=entry, action="approve")


@pytest.mark.parametrize(
    ("action", "needed"),
    [("reopen", "deferred or rejected"), ("accept", "new or under assessment"), ("defer", "new or under")],
)
def test_wrong_state_is_a_conflict_naming_the_state_and_what_is_needed(
    owner, service, plan, make_opportunity, action, needed
):
    entry = make_opportunity(service=service)
    original = make_opportunity(title="Original")
    services.opportunity_transition(
        actor=owner, opportunity=entry, action="mark-duplicate", duplicate_of=original
    )
    before = row(entry)
    with pytest.raises(ConflictError, match=f"it is duplicate, and '{action}' needs it {needed}"):
        services.opportunity_transition(
            actor=owner, opportunity=entry, action=action, plan=plan, deferred_until_date=tomorrow()
        )
    assert row(entry) == before
    assert not Initiative.objects.exists()


def test_assess_twice_is_refused(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    services.opportunity_transition(actor=owner, opportunity=entry, action="assess")
    with pytest.raises(ConflictError, match="it is under assessment, and 'assess' needs it new"):
        services.opportunity_transition(actor=owner, opportunity=entry, action="assess")


def test_stale_transition_is_refused(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    services.opportunity_update(actor=owner, opportunity=entry, data={"kpi": "x"}, version=1)
    before = row(entry)
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.opportunity_transition(
            actor=owner, opportunity=entry, action="reject", reason="No", version=1
        )
    assert row(entry) == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_needs_a_reason(owner, service, make_opportunity, reason):
    entry = make_opportunity(service=service)
    before = row(entry)
    with pytest.raises(ValidationError) as error:
        services.opportunity_transition(actor=owner, opportunity=entry, action="reject", reason=reason)
    assert "reason" in error.value.message_dict
    assert row(entry) == before


def test_reject_then_reopen(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    rejected = services.opportunity_transition(
        actor=owner, opportunity=entry, action="reject", reason="  Covered by the mail migration  "
    )
    assert (rejected.state, rejected.state_reason) == ("rejected", "Covered by the mail migration")
    reopened = services.opportunity_transition(
        actor=owner, opportunity=entry, action="reopen", reason="The migration was cancelled"
    )
    assert (reopened.state, reopened.state_reason, reopened.version) == (
        "under-assessment",
        "The migration was cancelled",
        3,
    )
    assert [e.verb for e in events(entry)] == ["create", "reject", "reopen"]


def test_mark_duplicate_needs_another_entry_and_no_cycle(owner, service, make_opportunity):
    original = make_opportunity(service=service, title="Original")
    entry = make_opportunity(service=service)
    cases = ((None, "Say which entry"), (entry, "cannot duplicate itself"), (Opportunity(), "does not exist"))
    for duplicate_of, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.opportunity_transition(
                actor=owner, opportunity=entry, action="mark-duplicate", duplicate_of=duplicate_of
            )
    assert row(entry)["state"] == "new"
    marked = services.opportunity_transition(
        actor=owner, opportunity=entry, action="mark-duplicate", duplicate_of=original
    )
    assert (marked.state, marked.duplicate_of) == ("duplicate", original)
    assert list(original.duplicates.all()) == [entry]
    # The original cannot in turn be marked a duplicate of its own duplicate.
    before = row(original)
    with pytest.raises(ValidationError, match="is itself a duplicate of CSI-0001"):
        services.opportunity_transition(
            actor=owner, opportunity=original, action="mark-duplicate", duplicate_of=entry
        )
    assert row(original) == before


@pytest.mark.parametrize("until", [None, "today", "yesterday"])
def test_defer_needs_a_future_date(owner, service, make_opportunity, until):
    entry = make_opportunity(service=service)
    day = {None: None, "today": timezone.localdate(), "yesterday": timezone.localdate() - timedelta(days=1)}
    before = row(entry)
    with pytest.raises(ValidationError) as error:
        services.opportunity_transition(
            actor=owner, opportunity=entry, action="defer", deferred_until_date=day[until]
        )
    assert "deferred_until_date" in error.value.message_dict
    assert row(entry) == before


def test_defer_then_reopen_clears_the_date(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    deferred = services.opportunity_transition(
        actor=owner,
        opportunity=entry,
        action="defer",
        deferred_until_date=tomorrow(),
        reason="After the freeze",
    )
    assert (deferred.state, deferred.deferred_until_date) == ("deferred", tomorrow())
    reopened = services.opportunity_transition(actor=owner, opportunity=entry, action="reopen")
    assert (reopened.state, reopened.deferred_until_date) == ("under-assessment", None)


def test_accept_needs_a_plan_or_an_initiative(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    before = row(entry)
    with pytest.raises(ValidationError, match="Name the plan"):
        services.opportunity_transition(actor=owner, opportunity=entry, action="accept")
    assert row(entry) == before


def test_accept_into_a_plan_creates_an_initiative(owner, service, plan, make_opportunity):
    entry = make_opportunity(service=service)
    accepted = services.opportunity_transition(actor=owner, opportunity=entry, action="accept", plan=plan)
    initiative = accepted.initiative
    assert (accepted.state, accepted.decided_by) == ("accepted", owner)
    assert (initiative.number, initiative.plan, initiative.title, initiative.state) == (
        "INI-0001",
        plan,
        entry.title,
        "draft",
    )
    assert initiative.summary == entry.description
    assert list(initiative.origins.all()) == [entry]
    [event] = events(entry, "accept")
    assert (event.before["initiative_id"], event.after["initiative_id"]) == (None, initiative.pk)
    named = services.opportunity_transition(
        actor=owner, opportunity=make_opportunity(service=service), action="accept", plan=plan,
        initiative_title="Faster email resolution",
    )  # fmt: skip
    assert named.initiative.title == "Faster email resolution"


def test_accept_into_a_plan_the_actor_cannot_add_to_changes_nothing(
    strategist, service, plan, make_opportunity
):
    entry = make_opportunity(service=service)
    before = row(entry)
    with pytest.raises(PermissionDenied):
        services.opportunity_transition(actor=strategist, opportunity=entry, action="accept", plan=plan)
    assert row(entry) == before
    assert not Initiative.objects.exists()


def test_accept_joins_an_open_initiative(owner, strategist, service, plan, make_opportunity):
    initiative = initiative_create(actor=owner, plan=plan, data={"title": "Faster email resolution"})
    first, second = make_opportunity(service=service), make_opportunity(service=service, title="Mail is slow")
    services.opportunity_transition(actor=owner, opportunity=first, action="accept", initiative=initiative)
    # The strategist may assess the entry, but not change an initiative of the email SIP.
    with pytest.raises(PermissionDenied, match="may not add entries to INI-0001"):
        services.opportunity_transition(
            actor=strategist, opportunity=second, action="accept", initiative=initiative
        )
    assert row(second)["state"] == "new"
    assert list(initiative.origins.all()) == [first]
    assert Initiative.objects.count() == 1


def test_accept_does_not_join_a_closed_initiative(owner, service, plan, make_opportunity):
    initiative = initiative_create(actor=owner, plan=plan, data={"title": "Faster email resolution"})
    initiative_transition(actor=owner, initiative=initiative, action="cancel", reason="Superseded")
    entry = make_opportunity(service=service)
    before = row(entry)
    with pytest.raises(ConflictError, match="INI-0001 is cancelled"):
        services.opportunity_transition(
            actor=owner, opportunity=entry, action="accept", initiative=initiative
        )
    assert row(entry) == before


@pytest.fixture
def calendar(owner):
    """A second service of `owner`, whom the email SIP does not cover."""
    return ServiceFactory(key="calendar", name="Calendar", owner=owner)


def test_accept_into_a_plan_not_covering_the_service_changes_nothing(owner, calendar, plan, make_opportunity):
    entry = make_opportunity(service=calendar)
    before = row(entry)
    with pytest.raises(
        ValidationError, match="Plan 'Email SIP' does not cover service 'Calendar'"
    ) as refused:
        services.opportunity_transition(actor=owner, opportunity=entry, action="accept", plan=plan)
    assert set(refused.value.message_dict) == {"plan"}
    assert row(entry) == before
    assert not Initiative.objects.exists()
    assert not events(entry, "accept")
    plan.services.add(calendar)
    accepted = services.opportunity_transition(actor=owner, opportunity=entry, action="accept", plan=plan)
    assert (accepted.state, accepted.initiative.plan) == ("accepted", plan)


def test_accept_into_a_plan_not_covering_the_process_changes_nothing(owner, plan, make_opportunity):
    change = ProcessFactory(key="change-management", name="Change management", owner=owner)
    entry = make_opportunity(process=change)
    before = row(entry)
    with pytest.raises(ValidationError, match="does not cover process 'Change management'"):
        services.opportunity_transition(actor=owner, opportunity=entry, action="accept", plan=plan)
    assert row(entry) == before
    plan.processes.add(change)
    services.opportunity_transition(actor=owner, opportunity=entry, action="accept", plan=plan)
    assert row(entry)["state"] == "accepted"


def test_joining_an_initiative_of_a_plan_not_covering_the_service_changes_nothing(
    owner, calendar, plan, make_opportunity
):
    initiative = initiative_create(actor=owner, plan=plan, data={"title": "Faster email resolution"})
    entry = make_opportunity(service=calendar)
    before = row(entry)
    with pytest.raises(ValidationError, match="does not cover service 'Calendar'"):
        services.opportunity_transition(
            actor=owner, opportunity=entry, action="accept", initiative=initiative
        )
    assert row(entry) == before
    assert not initiative.origins.exists()


def test_the_strategic_plan_and_entries_about_nothing_need_no_cover(
    owner, strategist, steering, other_service, plan, make_opportunity
):
    strategic = Plan.objects.create(
        key="strategy", kind="strategic", name="IT strategy", owner=steering,
        period_start_date=date(2025, 1, 1), period_end_date=date(2027, 12, 31),
    )  # fmt: skip
    printing = make_opportunity(service=other_service)
    accepted = services.opportunity_transition(
        actor=strategist, opportunity=printing, action="accept", plan=strategic
    )
    assert accepted.initiative.plan == strategic
    general = make_opportunity()
    assert (
        services.opportunity_transition(
            actor=owner, opportunity=general, action="accept", plan=plan
        ).initiative.plan
        == plan
    )


# --- Selectors --------------------------------------------------------------------------------------


def test_list_filters_and_query_budget(
    viewer, contributor, service, other_service, make_opportunity, django_assert_num_queries
):
    make_opportunity(actor=contributor, service=service, title="Email is slow", impact=5)
    make_opportunity(
        actor=contributor, service=other_service, title="Toner runs out", source="staff-suggestion"
    )
    make_opportunity(title="Audit finding on backups", source="audit", impact=1)
    with django_assert_num_queries(1):  # one query for the whole page, related rows joined
        listed = [(o.number, o.service and o.service.name, o.raised_by and o.raised_by.username)
                  for o in selectors.opportunity_list(actor=viewer)]  # fmt: skip
    assert listed == [
        ("CSI-0001", "Email", "contributor"),
        ("CSI-0002", "Printing", "contributor"),
        ("CSI-0003", None, None),
    ]
    by = lambda **f: [o.number for o in selectors.opportunity_list(actor=viewer, **f)]  # noqa: E731
    assert by(source="staff-suggestion") == ["CSI-0002"]
    assert by(service_key="email") == ["CSI-0001"]
    assert by(search="backups") == ["CSI-0003"]
    assert by(search="csi-0002") == ["CSI-0002"]
    assert by(state="rejected") == []
    assert by(order="newest") == ["CSI-0003", "CSI-0002", "CSI-0001"]
    with pytest.raises(ValueError, match="unknown order"):
        selectors.opportunity_list(actor=viewer, order="colour")


def test_reading_needs_sign_in(make_opportunity):
    from django.contrib.auth.models import AnonymousUser

    make_opportunity()
    with pytest.raises(PermissionDenied):
        selectors.opportunity_list(actor=AnonymousUser())


def test_get_by_number(viewer, make_opportunity):
    entry = make_opportunity()
    assert selectors.opportunity_get(actor=viewer, number="CSI-0001") == entry
    with pytest.raises(Opportunity.DoesNotExist):
        selectors.opportunity_get(actor=viewer, number="CSI-0404")


def test_likely_duplicates_finds_a_near_identical_title_only(
    owner, viewer, service, other_service, make_opportunity
):
    same = make_opportunity(service=service, title="Email tickets breach the resolution SLA")
    reordered = make_opportunity(service=other_service, title="Resolution SLA breaches: email tickets")
    make_opportunity(service=service, title="Printer toner ordering takes too long", description="Toner.")
    make_opportunity(service=service, title="Service desk chat answers are slow")
    decided = make_opportunity(service=service, title="Email tickets breach the resolution SLA")
    services.opportunity_transition(actor=owner, opportunity=decided, action="reject", reason="Old")

    found = selectors.likely_duplicates(
        actor=viewer,
        title="Email ticket resolution SLA breached",
        description="Email incidents resolved after 8 hours",
        service_id=service.pk,
    )
    assert [entry for entry, _ in found] == [same, reordered]
    assert all(0.6 <= score <= 1 for _, score in found)
    assert selectors.likely_duplicates(actor=viewer, title="Service desk phone wait times are high") == []
    assert selectors.likely_duplicates(actor=viewer, title="Monitoring alerts are missed at night") == []
    # The entry being edited is not its own duplicate; the same service ranks a twin higher.
    again = selectors.likely_duplicates(
        actor=viewer, title=same.title, exclude_id=same.pk, service_id=service.pk
    )
    assert [entry for entry, _ in again] == [reordered]
    assert selectors.similarity("Email SLA", "", "Email SLA", "", same_service=True) == 1.0


# --- Evidence ---------------------------------------------------------------------------------------


def test_attainment_evidence_is_frozen_when_attached(owner, measured, make_opportunity, monkeypatch):
    entry = make_opportunity(service=measured)
    live = [
        r.as_dict()
        for r in analytics_selectors.attainment_table(actor=owner, standard_key="email-resolution")
    ]
    evidence = evidence_services.evidence_attach(
        actor=owner, opportunity=entry, kind="attainment", params={"standard_key": "email-resolution"}
    )
    evidence.refresh_from_db()
    [january] = evidence.result
    assert january == {**live[0], "period_start": "2024-01-01"}
    assert (january["tickets"], january["met"], january["status"]) == (2, 1, "red")
    assert evidence.query == {"kind": "attainment", "standard_key": "email-resolution", "period": "month"}
    assert evidence.link == "/analytics/services/email/?standard=email-resolution&period=month"
    assert (evidence.title, evidence.attached_by) == ("Attainment of email-resolution per month", owner)
    assert row(entry)["version"] == 2
    assert [e.verb for e in events(entry)] == ["create", "create"]

    # Whatever the analytics say later, the evidence keeps what they said when it was attached.
    monkeypatch.setattr(analytics_selectors, "attainment_table", lambda **kwargs: [])
    assert analytics_selectors.attainment_table(actor=owner) == []
    evidence.refresh_from_db()
    assert evidence.result == [january]


def test_pareto_and_tickets_evidence(owner, measured, make_opportunity):
    entry = make_opportunity(service=measured)
    pareto = evidence_services.evidence_attach(
        actor=owner,
        opportunity=entry,
        kind="pareto",
        params={"standard_key": "email-resolution", "attribute": "category"},
    )
    assert pareto.result == [{"value": "Mailbox", "breaches": 1, "cumulative_percent": 100.0}]
    assert pareto.link.endswith("?standard=email-resolution&attribute=category")
    tickets = evidence_services.evidence_attach(
        actor=owner,
        opportunity=entry,
        kind="tickets",
        params={"source_key": "desk", "by": "category", "start": "2024-01-01", "end": date(2024, 2, 1)},
    )
    tickets.refresh_from_db()
    assert tickets.query == {
        "kind": "tickets", "source_key": "desk", "by": "category", "start": "2024-01-01", "end": "2024-02-01"
    }  # fmt: skip
    assert [(r["key"], r["tickets"], r["median_resolution_hours"]) for r in tickets.result] == [
        ("Email", 1, 1.0),
        ("Mailbox", 1, 12.0),
    ]
    assert tickets.link == "/measures/sources/desk/"
    assert tickets.title == "Tickets of desk by category from 2024-01-01 to 2024-02-01"


@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [
        ("forecast", {}, ValueError),
        ("attainment", {}, ValidationError),
        ("attainment", {"standard_key": "nope"}, ValidationError),
        ("attainment", {"standard_key": "email-resolution", "period": "fortnight"}, ValidationError),
        ("attainment", {"standard_key": "email-resolution", "colour": "red"}, ValidationError),
        ("pareto", {"standard_key": "email-resolution", "attribute": "password"}, ValidationError),
        ("pareto", {"standard_key": "email-resolution"}, ValidationError),
        ("tickets", {"source_key": "nope"}, ValidationError),
        ("tickets", {"source_key": "desk", "by": "password"}, ValidationError),
        ("tickets", {"source_key": "desk", "start": "last week"}, ValidationError),
    ],
)
def test_bad_evidence_is_refused_with_nothing_stored(owner, measured, make_opportunity, kind, params, error):
    entry = make_opportunity(service=measured)
    before = row(entry)
    with pytest.raises(error):
        evidence_services.evidence_attach(actor=owner, opportunity=entry, kind=kind, params=params)
    assert not Evidence.objects.exists()
    assert row(entry) == before


def test_who_attaches_and_removes_evidence(owner, other_owner, viewer, measured, make_opportunity):
    entry = make_opportunity(service=measured)
    params = {"standard_key": "email-resolution"}
    for user in (other_owner, viewer):
        with pytest.raises(PermissionDenied):
            evidence_services.evidence_attach(actor=user, opportunity=entry, kind="attainment", params=params)
    evidence = evidence_services.evidence_attach(
        actor=owner, opportunity=entry, kind="attainment", params=params
    )
    with pytest.raises(PermissionDenied):
        evidence_services.evidence_remove(actor=other_owner, evidence=evidence)
    evidence_services.evidence_remove(actor=owner, evidence=evidence)
    assert not Evidence.objects.exists()
    assert [e.verb for e in events(entry)] == ["create", "create", "delete"]
    assert row(entry)["version"] == 3


def test_a_decided_entry_keeps_its_evidence(owner, measured, make_opportunity):
    entry = make_opportunity(service=measured)
    params = {"standard_key": "email-resolution"}
    evidence = evidence_services.evidence_attach(
        actor=owner, opportunity=entry, kind="attainment", params=params
    )
    services.opportunity_transition(actor=owner, opportunity=entry, action="reject", reason="Known")
    with pytest.raises(ConflictError, match="rejected"):
        evidence_services.evidence_attach(actor=owner, opportunity=entry, kind="attainment", params=params)
    with pytest.raises(ConflictError, match="rejected"):
        evidence_services.evidence_remove(actor=owner, evidence=evidence)
    assert list(entry.evidence.all()) == [evidence]


def test_origins_given_when_an_initiative_is_created_are_accepted_into_it(
    plan, owner, other_owner, other_service, make_opportunity
):
    entry = make_opportunity(service=plan.services.get())
    initiative = initiative_create(actor=owner, plan=plan, data={"title": "Faster email"}, origins=[entry])
    entry.refresh_from_db()
    assert (entry.state, entry.initiative, entry.decided_by) == ("accepted", initiative, owner)
    # Someone who may not assess an entry cannot take it into their initiative: nothing is created.
    theirs = Plan.objects.create(
        key="printing-sip", kind="service", name="Printing SIP", owner=other_owner,
        period_start_date=date(2026, 1, 1), period_end_date=date(2026, 12, 31),
    )  # fmt: skip
    theirs.services.set([other_service])
    other = make_opportunity(service=plan.services.get(), title="Mailbox quotas fill up")
    count = Initiative.objects.count()
    with pytest.raises(PermissionDenied):
        initiative_create(actor=other_owner, plan=theirs, data={"title": "Grab it"}, origins=[other])
    other.refresh_from_db()
    assert (other.state, other.initiative_id, Initiative.objects.count()) == ("new", None, count)
