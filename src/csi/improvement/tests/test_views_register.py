"""The register's pages through Django's test client: who sees and does what, form errors, refusals
that change nothing, and hostile text shown as text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from csi.core.testing import assert_page_access
from csi.improvement.models import Evidence, Initiative, Opportunity, PriorityWeights

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script>'


def signed_in(user: Any, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def row(entry: Opportunity) -> dict[str, Any]:
    return Opportunity.objects.filter(pk=entry.pk).values().get()


def raise_data(**fields: Any) -> dict[str, Any]:
    data = {
        "title": "Printer queue jams every Monday",
        "source": "staff-suggestion",
        "description": "The Monday print rush jams the queue.",
        "size": "small",
        "timescale": "short",
        "impact": "4",
        "urgency": "3",
        "benefit": "4",
        "effort": "2",
    }
    data.update(fields)
    return data


def test_read_pages_need_sign_in_and_are_open_to_viewers(viewer, make_opportunity):
    entry = make_opportunity()
    for url in ["/register/", f"/register/{entry.number}/", "/register/duplicates/?title=email"]:
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        assert signed_in(viewer).get(url).status_code == 200, url


def test_register_lists_entries_ranked_with_their_columns(contributor, service, make_opportunity):
    low = make_opportunity(title="Low entry", impact=1, urgency=1, benefit=1, effort=5)
    high = make_opportunity(title="High entry", impact=5, urgency=5, benefit=5, effort=1, service=service)
    response = signed_in(contributor).get("/register/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index(high.number) < body.index(low.number)
    assert "Email" in body and "Standard breach" in body and "5/5/5/1" in body
    assert "Raise an opportunity" in body and "Priority weights" not in body


def test_register_filters_orders_and_pages(viewer, service, make_opportunity):
    make_opportunity(title="Email entry", service=service)
    other = make_opportunity(title="Other entry", source="audit")
    client = signed_in(viewer)
    body = client.get("/register/", {"service": "email"}).content.decode()
    assert "Email entry" in body and "Other entry" not in body
    body = client.get("/register/", {"source": "audit", "q": "other"}).content.decode()
    assert "Other entry" in body and "Email entry" not in body
    body = client.get("/register/", {"state": "accepted"}).content.decode()
    assert "No entry matches these filters" in body
    body = client.get("/register/", {"order": "newest"}).content.decode()
    assert body.index(other.number) < body.index("Email entry")
    # A value that is not a choice is shown as an error, and the whole register is listed.
    response = client.get("/register/", {"state": "bogus", "order": "bogus"})
    assert response.status_code == 200 and "Other entry" in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    for n in range(26):
        make_opportunity(title=f"Entry {n}")
    body = client.get("/register/").content.decode()
    assert "Page 1 of 2" in body and 'rel="next"' in body


def test_viewer_sees_no_raise_button_and_may_not_raise(viewer, contributor):
    assert "Raise an opportunity" not in signed_in(viewer).get("/register/").content.decode()
    assert_page_access("/register/raise/", forbidden=viewer, permitted=contributor)
    response = signed_in(viewer).post("/register/raise/", raise_data())
    assert response.status_code == 403 and not Opportunity.objects.exists()


def test_contributor_raises_an_entry_with_every_field(contributor, owner, service, process):
    response = signed_in(contributor).get("/register/raise/")
    body = response.content.decode()
    for label in [
        "Source", "Service", "Process", "Description", "Size", "Timescale", "KPI concerned",
        "Service standard concerned", "Justification", "Impact", "Urgency", "Effort", "Expected benefit",
        "To be actioned by", "Date required by",
    ]:  # fmt: skip
        assert f"{label}" in body, label
    assert 'hx-get="/register/duplicates/"' in body and 'hx-trigger="keyup changed delay:500ms"' in body
    assert "csrfmiddlewaretoken" in body
    data = raise_data(
        service=service.pk,
        process=process.pk,
        kpi="Queue length",
        justification="Staff lose an hour",
        expected_benefit="An hour a week",
        actioned_by=owner.pk,
        required_by_date="2031-05-01",
    )
    response = signed_in(contributor).post("/register/raise/", data)
    entry = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/register/{entry.number}/"
    assert (entry.raised_by, entry.service, entry.process, entry.actioned_by) == (
        contributor, service, process, owner
    )  # fmt: skip
    assert entry.state == "new" and entry.score > 0 and str(entry.required_by_date) == "2031-05-01"
    body = signed_in(contributor).get(response["Location"]).content.decode()
    assert "Printer queue jams every Monday" in body and "Queue length" in body and "An hour a week" in body


def test_raise_form_errors_store_nothing(contributor):
    response = signed_in(contributor).post("/register/raise/", raise_data(title="", impact="9", source="x"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "This field is required" in body and "Select a valid choice" in body
    assert not Opportunity.objects.exists()


def test_duplicates_hint_links_to_similar_open_entries(contributor, make_opportunity):
    entry = make_opportunity(title="Email tickets breach the resolution SLA")
    make_opportunity(title="Unrelated: the canteen coffee is cold")
    response = signed_in(contributor).get(
        "/register/duplicates/", {"title": "Email ticket resolution SLA breached", "description": ""}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/register/{entry.number}/"' in body and "canteen" not in body
    assert "<html" not in body  # a fragment for HTMX, not a page
    assert (
        signed_in(contributor).get("/register/duplicates/", {"title": "zzz qqq"}).content.decode().strip()
        == ""
    )
    # On the edit page the entry itself is not its own duplicate.
    body = (
        signed_in(contributor)
        .get("/register/duplicates/", {"title": entry.title, "exclude": entry.number})
        .content.decode()
    )
    assert entry.number not in body
    # A refused raise shows the hint again beside the form.
    response = signed_in(contributor).post("/register/raise/", raise_data(title=entry.title, source=""))
    assert response.status_code == 422 and entry.number in response.content.decode()


def test_hostile_text_is_escaped_everywhere(contributor, owner, service, make_opportunity):
    entry = make_opportunity(title=HOSTILE, description=HOSTILE, kpi=HOSTILE, service=service)
    Evidence.objects.create(
        opportunity=entry, kind="attainment", title=HOSTILE, result=[{"period": HOSTILE, "met": 1}]
    )
    client = signed_in(owner)
    for url in [
        "/register/",
        f"/register/{entry.number}/",
        f"/register/{entry.number}/edit/",
        f"/register/duplicates/?title={HOSTILE}",
    ]:
        body = client.get(url).content.decode()
        assert "<script>alert" not in body, url
    body = client.get(f"/register/{entry.number}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    response = client.post(f"/register/{entry.number}/reject/", {"reject-reason": ""})
    assert "<script>alert" not in response.content.decode()


def test_entry_page_shows_fields_state_evidence_and_links(contributor, make_opportunity):
    entry = make_opportunity(actor=contributor, kpi="Resolution time")
    Evidence.objects.create(
        opportunity=entry,
        kind="attainment",
        title="Attainment of email-resolution per month",
        result=[{"period_start": "2024-01-01", "tickets": 2, "met": 1, "status": "red"}],
        link="/analytics/services/email/",
    )
    response = signed_in(contributor).get(f"/register/{entry.number}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert entry.number in body and "Resolution time" in body and "New" in body
    assert (
        "Attainment of email-resolution per month" in body and "period_start" in body and "2024-01-01" in body
    )
    assert "attainment" in body and "attached" in body
    assert f"/suggestions/new/?opportunity={entry.number}" in body
    # The raiser may edit a new entry but takes no decisions.
    assert f"/register/{entry.number}/edit/" in body and "Start assessment" not in body
    assert signed_in(contributor).get("/register/CSI-9999/").status_code == 404


def test_owner_sees_and_takes_the_transitions(owner, plan, service, make_opportunity):
    entry = make_opportunity(service=service)
    client = signed_in(owner)
    body = client.get(f"/register/{entry.number}/").content.decode()
    for label in ["Start assessment", "Accept into a plan", "Reject", "Mark as duplicate", "Defer"]:
        assert label in body, label
    assert "Reopen" not in body and plan.name in body
    response = client.post(f"/register/{entry.number}/assess/", {"assess-version": entry.version})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "under-assessment" and entry.decided_by == owner
    body = client.get(f"/register/{entry.number}/").content.decode()
    assert "Start assessment" not in body and "Accept into a plan" in body
    response = client.post(
        f"/register/{entry.number}/accept/",
        {
            "accept-plan": plan.pk,
            "accept-initiative_title": "Faster email fixes",
            "accept-version": entry.version,
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    initiative = Initiative.objects.get()
    assert entry.state == "accepted" and entry.initiative == initiative and initiative.plan == plan
    assert initiative.title == "Faster email fixes"
    body = client.get(f"/register/{entry.number}/").content.decode()
    assert initiative.number in body and "Accept into a plan" not in body
    assert f"/register/{entry.number}/edit/" not in body  # decided entries are history
    assert initiative.number in client.get("/register/").content.decode()


def test_accept_can_join_an_open_initiative(owner, plan, service, make_opportunity):
    first = make_opportunity(service=service)
    second = make_opportunity(service=service, title="Second")
    client = signed_in(owner)
    client.post(f"/register/{first.number}/accept/", {"accept-plan": plan.pk})
    initiative = Initiative.objects.get()
    assert initiative.number in client.get(f"/register/{second.number}/").content.decode()
    response = client.post(f"/register/{second.number}/accept/", {"accept-initiative": initiative.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.initiative == initiative and Initiative.objects.count() == 1


def test_transition_input_errors_keep_the_page_and_change_nothing(owner, plan, service, make_opportunity):
    entry = make_opportunity(service=service)
    client = signed_in(owner)
    before = row(entry)
    cases = [
        ("reject", {"reject-reason": ""}, "This field is required"),
        ("accept", {}, "Choose the plan to create an initiative in"),
        ("mark-duplicate", {"mark-duplicate-duplicate_of": "CSI-9999"}, "There is no entry CSI-9999"),
        ("mark-duplicate", {"mark-duplicate-duplicate_of": entry.number}, "cannot duplicate itself"),
        ("defer", {"defer-deferred_until_date": str(timezone.localdate())}, "a date after today"),
        ("accept", {"accept-plan": "999999"}, "Select a valid choice"),
    ]
    for action, data, message in cases:
        response = client.post(f"/register/{entry.number}/{action}/", data)
        assert response.status_code == 422, (action, response.status_code)
        assert message in response.content.decode(), (action, message)
        assert row(entry) == before
    response = client.post(f"/register/{entry.number}/reopen/", {})
    assert response.status_code == 409 and "Cannot reopen" in response.content.decode()
    assert client.post(f"/register/{entry.number}/explode/", {}).status_code == 404
    assert client.get(f"/register/{entry.number}/assess/").status_code == 405
    assert row(entry) == before


def test_reject_defer_duplicate_and_reopen(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    original = make_opportunity(service=service, title="The original")
    client = signed_in(owner)
    assert (
        client.post(f"/register/{entry.number}/reject/", {"reject-reason": "Not worth it"}).status_code == 302
    )
    entry.refresh_from_db()
    assert (
        entry.state == "rejected"
        and "Not worth it" in client.get(f"/register/{entry.number}/").content.decode()
    )
    assert client.post(f"/register/{entry.number}/reopen/", {}).status_code == 302
    later = timezone.localdate() + timedelta(days=30)
    response = client.post(
        f"/register/{entry.number}/defer/", {"defer-deferred_until_date": later.isoformat()}
    )
    entry.refresh_from_db()
    assert response.status_code == 302 and entry.state == "deferred" and entry.deferred_until_date == later
    client.post(f"/register/{entry.number}/reopen/", {})
    response = client.post(
        f"/register/{entry.number}/mark-duplicate/", {"mark-duplicate-duplicate_of": original.number.lower()}
    )
    entry.refresh_from_db()
    assert response.status_code == 302 and entry.state == "duplicate" and entry.duplicate_of == original


def test_who_may_take_transitions(owner, other_owner, contributor, viewer, service, make_opportunity):
    entry = make_opportunity(actor=contributor, service=service)
    before = row(entry)
    for user in (other_owner, contributor, viewer):
        response = signed_in(user).post(f"/register/{entry.number}/assess/", {})
        assert response.status_code == 403, user
        assert "Start assessment" not in signed_in(user).get(f"/register/{entry.number}/").content.decode()
    assert row(entry) == before
    assert Client().post(f"/register/{entry.number}/assess/", {}).status_code == 302
    assert row(entry) == before
    assert signed_in(owner).post(f"/register/{entry.number}/assess/", {}).status_code == 302


def test_posts_need_the_csrf_token(owner, service, make_opportunity):
    entry = make_opportunity(service=service)
    client = signed_in(owner, enforce_csrf_checks=True)
    response = client.post(f"/register/{entry.number}/assess/", {})
    assert response.status_code == 403 and row(entry)["state"] == "new"
    body = client.get(f"/register/{entry.number}/").content.decode()
    assert body.count("csrfmiddlewaretoken") >= 6  # every transition form and the evidence form


def test_edit_permissions_and_stale_save(owner, other_owner, contributor, viewer, service, make_opportunity):
    entry = make_opportunity(actor=contributor, service=service)
    url = f"/register/{entry.number}/edit/"
    assert_page_access(url, forbidden=viewer, permitted=contributor)
    assert signed_in(other_owner).get(url).status_code == 403
    assert signed_in(other_owner).post(url, raise_data(version=entry.version)).status_code == 403
    assert row(entry)["title"] == entry.title
    client = signed_in(owner)
    seen = entry.version
    response = client.post(url, raise_data(service=service.pk, title="Owner's wording", version=seen))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Owner's wording" and entry.version == seen + 1
    before = row(entry)
    # Someone who opened the page before that save is refused, with their input kept.
    response = signed_in(contributor).post(
        url, raise_data(service=service.pk, title="Contributor's wording", version=seen)
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed by someone else" in body and "Contributor&#x27;s wording" in body
    assert f'value="{entry.version}"' in body  # saving again overwrites on purpose
    assert row(entry) == before
    # A decided entry is not edited.
    client.post(f"/register/{entry.number}/reject/", {"reject-reason": "No"})
    entry.refresh_from_db()
    response = client.post(url, raise_data(service=service.pk, title="Again", version=entry.version))
    assert response.status_code == 409 and "is rejected" in response.content.decode()


def test_evidence_attach_errors_and_permissions(owner, viewer, contributor, service, make_opportunity):
    entry = make_opportunity(service=service)
    url = f"/register/{entry.number}/evidence/"
    before = row(entry)
    assert signed_in(viewer).post(url, {"evidence-kind": "attainment"}).status_code == 403
    response = signed_in(owner).post(url, {"evidence-kind": "attainment"})
    assert response.status_code == 422 and "This parameter is required" in response.content.decode()
    response = signed_in(owner).post(
        url, {"evidence-kind": "pareto", "evidence-standard_key": "nope", "evidence-attribute": "category"}
    )
    assert response.status_code == 422 and "There is no standard" in response.content.decode()
    response = signed_in(owner).post(url, {"evidence-kind": "bogus"})
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert row(entry) == before and not Evidence.objects.exists()
    evidence = Evidence.objects.create(opportunity=entry, kind="tickets", title="Frozen")
    remove = f"/register/{entry.number}/evidence/{evidence.pk}/remove/"
    assert signed_in(contributor).post(remove).status_code == 403
    assert signed_in(owner).post(remove).status_code == 302 and not Evidence.objects.exists()


def test_weights_for_administrators(admin, owner, make_opportunity):
    entry = make_opportunity(impact=5, urgency=1, benefit=1, effort=5)
    assert_page_access("/register/weights/", forbidden=owner, permitted=admin)
    assert "Priority weights" in signed_in(admin).get("/register/").content.decode()
    data = {"impact": "1", "urgency": "0", "benefit": "0", "effort": "0"}
    assert signed_in(owner).post("/register/weights/", data).status_code == 403
    response = signed_in(admin).post("/register/weights/", {**data, "impact": "0"})
    assert response.status_code == 422 and "At least one weight" in response.content.decode()
    response = signed_in(admin).post("/register/weights/", {**data, "urgency": "11"})
    assert response.status_code == 422
    assert PriorityWeights.objects.get().impact == 3
    assert signed_in(admin).post("/register/weights/", data).status_code == 302
    entry.refresh_from_db()
    assert entry.score == 100.0


def test_register_page_queries_do_not_grow_with_entries(viewer, service, process, make_opportunity):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(viewer)
    make_opportunity(service=service, process=process)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/register/").status_code == 200
    for n in range(10):
        make_opportunity(title=f"Entry {n}", service=service, process=process)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/register/").status_code == 200
    assert len(many) == len(few) <= 12
