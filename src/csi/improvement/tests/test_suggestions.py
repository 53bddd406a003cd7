"""Suggestions for strategic initiatives on the database: suggesting from each origin, the strategy
manager accepting (an initiative of the strategic plan, linked to where it came from) or declining, every
refusal changing nothing, notifications, and the selectors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from csi.core.errors import ConflictError
from csi.core.models import AuditEvent, Notification
from csi.core.permissions import SystemActor
from csi.improvement.models import Initiative, Opportunity, Plan, Suggestion
from csi.improvement.selectors import suggestions as selectors
from csi.improvement.services import suggestions as services
from csi.improvement.services.initiatives import initiative_create

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test")


@pytest.fixture
def strategic(steering: Any) -> Plan:
    """The strategic plan, owned by the steering committee; the strategy manager adds to it by role."""
    return Plan.objects.create(
        key="strategy",
        kind="strategic",
        name="IT strategy",
        owner=steering,
        period_start_date=date(2025, 1, 1),
        period_end_date=date(2027, 12, 31),
    )


@pytest.fixture
def sip_initiative(owner: Any, plan: Plan) -> Initiative:
    return initiative_create(actor=owner, plan=plan, data={"title": "Faster email resolution"})


def row(suggestion: Suggestion) -> dict[str, Any]:
    """The stored row, to show that a refused call changed nothing."""
    return Suggestion.objects.filter(pk=suggestion.pk).values().get()


def notes_of(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def suggest(actor: Any, **origin: Any) -> Suggestion:
    data = {"title": "One service desk for all sites", "description": "Merge the three desks.", **origin}
    return services.suggestion_create(actor=actor, data=data)


# --- Suggesting -------------------------------------------------------------------------------------


def test_suggest_from_a_register_entry(contributor, strategist, service, make_opportunity):
    entry = make_opportunity(service=service)
    suggestion = suggest(contributor, opportunity=entry)
    assert (suggestion.state, suggestion.suggested_by, suggestion.opportunity) == ("open", contributor, entry)
    [event] = AuditEvent.objects.filter(scope=f"improvement.suggestion:{suggestion.pk}")
    assert event.verb == "create"
    [note] = notes_of(strategist)
    assert (note.verb, note.scope) == ("suggest", f"improvement.suggestion:{suggestion.pk}")
    assert "One service desk for all sites" in note.title
    assert not notes_of(contributor)


def test_suggest_from_an_initiative_or_a_review(owner, sip_initiative, strategist):
    from_initiative = suggest(owner, initiative=sip_initiative)
    from_review = suggest(owner, review_reference="  Email service review 2025-Q1 ")
    assert from_initiative.initiative == sip_initiative
    assert from_review.review_reference == "Email service review 2025-Q1"
    assert len(notes_of(strategist)) == 2


def test_the_strategy_manager_is_not_told_of_their_own_suggestion(strategist, make_user):
    colleague = make_user(roles=["service-strategy-manager"], username="colleague")
    suggest(strategist, review_reference="Annual review")
    assert not notes_of(strategist)
    assert len(notes_of(colleague)) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "Idea", "description": "No origin"}, "__all__"),
        ({"title": "Idea", "description": "Blank review", "review_reference": "   "}, "__all__"),
        ({"title": "", "description": "No title", "review_reference": "R"}, "title"),
        ({"title": "Idea", "description": "", "review_reference": "R"}, "description"),
        ({"title": "Idea", "description": "D", "review_reference": "R", "state": "accepted"}, "state"),
    ],
)
def test_bad_suggestions_are_refused_with_nothing_stored(contributor, strategist, data, field):
    with pytest.raises(ValidationError) as refused:
        services.suggestion_create(actor=contributor, data=data)
    assert field in refused.value.message_dict
    assert not Suggestion.objects.exists()
    assert not Notification.objects.exists()


def test_a_viewer_cannot_suggest(viewer):
    with pytest.raises(PermissionDenied):
        suggest(viewer, review_reference="Annual review")
    assert not Suggestion.objects.exists()


# --- Accepting --------------------------------------------------------------------------------------


def test_accept_creates_the_strategic_initiative_linked_to_the_entry(
    contributor, strategist, strategic, service, make_opportunity
):
    entry = make_opportunity(service=service)
    suggestion = suggest(contributor, opportunity=entry)
    accepted = services.suggestion_accept(actor=strategist, suggestion=suggestion)
    created = accepted.created_initiative
    assert (accepted.state, accepted.decided_by) == ("accepted", strategist)
    assert accepted.decided_at is not None
    assert (created.plan, created.title, created.state, created.created_by) == (
        strategic,
        "One service desk for all sites",
        "draft",
        strategist,
    )
    assert created.summary == "Merge the three desks."
    assert list(created.origins.all()) == [entry]
    assert row(suggestion)["created_initiative_id"] == created.pk
    [event] = AuditEvent.objects.filter(scope=f"improvement.suggestion:{suggestion.pk}", verb="accept")
    assert (event.before["state"], event.after["state"]) == ("open", "accepted")
    assert event.after["created_initiative_id"] == created.pk
    [note] = Notification.objects.filter(recipient=contributor)
    assert (note.verb, created.number in note.title) == ("accept", True)


def test_accept_from_an_initiative_makes_it_carry_out_part_of_the_strategic_one(
    owner, strategist, strategic, sip_initiative
):
    suggestion = suggest(owner, initiative=sip_initiative)
    created = services.suggestion_accept(
        actor=strategist, suggestion=suggestion, plan=strategic, title="  Shared service desk "
    ).created_initiative
    assert created.title == "Shared service desk"
    assert "Suggested from initiative INI-0001 Faster email resolution" in created.summary
    assert created.summary.startswith("Merge the three desks.")
    sip_initiative.refresh_from_db()
    assert sip_initiative.parent == created
    assert sip_initiative.version == 2
    [event] = AuditEvent.objects.filter(scope=f"improvement.initiative:{sip_initiative.pk}", verb="update")
    assert (event.before, event.after) == ({"parent_id": None}, {"parent_id": created.pk})


def test_an_origin_initiative_keeps_the_parent_it_has(owner, strategist, strategic, plan):
    earlier = initiative_create(actor=strategist, plan=strategic, data={"title": "Earlier strategy"})
    child = initiative_create(actor=owner, plan=plan, data={"title": "Part of it"}, parent=earlier)
    created = services.suggestion_accept(
        actor=strategist, suggestion=suggest(owner, initiative=child)
    ).created_initiative
    child.refresh_from_db()
    assert child.parent == earlier
    assert "INI-0002 Part of it" in created.summary


def test_an_entry_already_in_an_initiative_keeps_it(
    owner, strategist, strategic, service, plan, make_opportunity
):
    from csi.improvement.services.register import opportunity_transition

    entry = opportunity_transition(
        actor=owner, opportunity=make_opportunity(service=service), action="accept", plan=plan
    )
    created = services.suggestion_accept(
        actor=strategist, suggestion=suggest(owner, opportunity=entry)
    ).created_initiative
    assert Opportunity.objects.get(pk=entry.pk).initiative == entry.initiative
    assert f"Suggested from register entry {entry.number}" in created.summary


@pytest.mark.parametrize("who", ["owner", "steering", "contributor", "admin"])
def test_only_the_strategy_manager_accepts_and_a_refusal_changes_nothing(
    request, who, contributor, strategic, sip_initiative
):
    suggestion = suggest(contributor, initiative=sip_initiative)
    before, notes = row(suggestion), Notification.objects.count()
    with pytest.raises(PermissionDenied, match="Only the service strategy manager may accept"):
        services.suggestion_accept(actor=request.getfixturevalue(who), suggestion=suggestion)
    with pytest.raises(PermissionDenied, match="may decline"):
        services.suggestion_decline(actor=request.getfixturevalue(who), suggestion=suggestion, reason="No")
    assert row(suggestion) == before
    assert Initiative.objects.count() == 1
    sip_initiative.refresh_from_db()
    assert sip_initiative.parent is None
    assert Notification.objects.count() == notes


def test_accept_needs_the_strategic_plan(contributor, strategist, plan, steering):
    suggestion = suggest(contributor, review_reference="Annual review")
    before = row(suggestion)
    with pytest.raises(ValidationError, match="no strategic plan yet"):
        services.suggestion_accept(actor=strategist, suggestion=suggestion)
    with pytest.raises(ValidationError, match="service improvement plan") as refused:
        services.suggestion_accept(actor=strategist, suggestion=suggestion, plan=plan)
    assert set(refused.value.message_dict) == {"plan"}
    for key in ("strategy", "strategy-next"):
        Plan.objects.create(
            key=key, kind="strategic", name=key, owner=steering,
            period_start_date=date(2025, 1, 1), period_end_date=date(2027, 12, 31),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="several strategic plans"):
        services.suggestion_accept(actor=strategist, suggestion=suggestion)
    assert row(suggestion) == before
    assert not Initiative.objects.exists()
    chosen = Plan.objects.get(key="strategy-next")
    accepted = services.suggestion_accept(actor=strategist, suggestion=suggestion, plan=chosen)
    assert accepted.created_initiative.plan == chosen
    assert "Suggested from the service review Annual review." in accepted.created_initiative.summary


def test_a_long_description_is_cut_to_fit_the_summary_with_its_origin(
    owner, strategist, strategic, sip_initiative
):
    suggestion = services.suggestion_create(
        actor=owner, data={"title": "Long", "description": "x" * 9_000, "initiative": sip_initiative}
    )
    summary = services.suggestion_accept(actor=strategist, suggestion=suggestion).created_initiative.summary
    assert len(summary) == 5_000
    assert summary.endswith("(plan 'Email SIP').")


def test_accept_or_decline_a_decided_suggestion_is_a_conflict(contributor, strategist, strategic):
    accepted = suggest(contributor, review_reference="Annual review")
    services.suggestion_accept(actor=strategist, suggestion=accepted)
    declined = suggest(contributor, review_reference="Annual review")
    services.suggestion_decline(actor=strategist, suggestion=declined, reason="Out of scope")
    for suggestion, state in ((accepted, "accepted"), (declined, "declined")):
        before = row(suggestion)
        with pytest.raises(ConflictError, match=f"it is already {state}"):
            services.suggestion_accept(actor=strategist, suggestion=suggestion)
        with pytest.raises(ConflictError, match=f"it is already {state}"):
            services.suggestion_decline(actor=strategist, suggestion=suggestion, reason="Again")
        assert row(suggestion) == before
    assert Initiative.objects.count() == 1


# --- Declining --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_decline_needs_a_reason(contributor, strategist, reason):
    suggestion = suggest(contributor, review_reference="Annual review")
    before = row(suggestion)
    with pytest.raises(ValidationError) as refused:
        services.suggestion_decline(actor=strategist, suggestion=suggestion, reason=reason)
    assert set(refused.value.message_dict) == {"reason"}
    assert row(suggestion) == before
    assert not Notification.objects.filter(recipient=contributor).exists()


def test_decline_stamps_audits_and_tells_the_suggester(contributor, strategist):
    suggestion = suggest(contributor, review_reference="Annual review")
    declined = services.suggestion_decline(
        actor=strategist, suggestion=suggestion, reason=" Covered by the desk merger. "
    )
    assert (declined.state, declined.decided_by, declined.decline_reason) == (
        "declined",
        strategist,
        "Covered by the desk merger.",
    )
    assert row(suggestion)["state"] == "declined"
    assert declined.created_initiative is None
    [event] = AuditEvent.objects.filter(scope=f"improvement.suggestion:{suggestion.pk}", verb="decline")
    assert event.after["decline_reason"] == "Covered by the desk merger."
    [note] = Notification.objects.filter(recipient=contributor)
    assert (note.verb, note.body) == ("decline", "Covered by the desk merger.")
    assert not Initiative.objects.exists()


def test_the_system_actor_decides_and_notifies_the_suggester(contributor, strategic):
    suggestion = suggest(contributor, review_reference="Annual review")
    accepted = services.suggestion_accept(actor=SYSTEM, suggestion=suggestion)
    assert (accepted.state, accepted.decided_by) == ("accepted", None)
    assert Notification.objects.filter(recipient=contributor, verb="accept").count() == 1


# --- Selectors --------------------------------------------------------------------------------------


def test_list_and_get(viewer, contributor, strategist, django_assert_num_queries):
    first = suggest(contributor, review_reference="Q1 review")
    second = suggest(contributor, review_reference="Q2 review")
    services.suggestion_decline(actor=strategist, suggestion=first, reason="Done already")
    with django_assert_num_queries(1):
        everything = [(s.pk, s.suggested_by.username) for s in selectors.suggestion_list(actor=viewer)]
    assert everything == [(second.pk, "contributor"), (first.pk, "contributor")]
    assert list(selectors.suggestion_list(actor=viewer, state="declined")) == [first]
    assert list(selectors.suggestion_list(actor=viewer, state="open")) == [second]
    with pytest.raises(ValueError, match="unknown state"):
        selectors.suggestion_list(actor=viewer, state="maybe")
    assert selectors.suggestion_get(actor=viewer, pk=first.pk).decided_by == strategist
    with pytest.raises(Suggestion.DoesNotExist):
        selectors.suggestion_get(actor=viewer, pk=first.pk + 100)


def test_reading_suggestions_needs_sign_in():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        selectors.suggestion_list(actor=AnonymousUser())
    with pytest.raises(PermissionDenied):
        selectors.suggestion_get(actor=AnonymousUser(), pk=1)
