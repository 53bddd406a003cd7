import pytest
from django.test import Client

from csi.catalog.models import DeliveryRole, PortfolioRisk, Service, ServiceDependency, Stakeholder
from csi.catalog.tests.factories import ServiceFactory, StakeholderFactory
from csi.core.models import AuditEvent
from csi.core.testing import assert_page_access

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_read_pages_need_sign_in(viewer, service):
    for url in [
        "/catalog/",
        f"/catalog/services/{service.key}/",
        "/catalog/stakeholders/",
        "/catalog/processes/",
        "/catalog/objectives/",
        "/catalog/skills/",
    ]:
        assert Client().get(url).status_code == 302
        assert signed_in(viewer).get(url).status_code == 200, url


def test_edit_pages_permission_matrix(viewer, owner, strategist, service):
    assert_page_access("/catalog/new/", forbidden=owner, permitted=strategist)
    assert_page_access(f"/catalog/services/{service.key}/edit/", forbidden=viewer, permitted=owner)
    assert_page_access("/catalog/stakeholders/new/", forbidden=viewer, permitted=owner)
    assert_page_access("/catalog/processes/new/", forbidden=owner, permitted=strategist)
    assert_page_access("/catalog/objectives/new/", forbidden=owner, permitted=strategist)
    assert_page_access(
        f"/catalog/services/{service.key}/parts/risks/",
        method="post",
        data={"risks-title": "Outage", "risks-likelihood": "2", "risks-impact": "5"},
        forbidden=viewer,
        permitted=owner,
        ok=(302,),
    )
    assert PortfolioRisk.objects.get().score == 10


def test_create_service_in_the_browser_form(strategist, owner):
    client = signed_in(strategist)
    response = client.post(
        "/catalog/new/",
        {
            "key": "vpn",
            "name": "VPN",
            "service_type": "technical",
            "tier": "2",
            "owner": owner.pk,
            "charging_model": "free",
            "description": "Remote access",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/catalog/services/vpn/"
    service = Service.objects.get(key="vpn")
    assert service.owner == owner and service.lifecycle_status == "pipeline"
    response = client.post(
        "/catalog/new/",
        {"key": "vpn", "name": "Again", "service_type": "technical", "tier": "2", "charging_model": "free"},
    )
    assert response.status_code == 422 and "already exists" in response.content.decode()
    response = client.post(
        "/catalog/new/",
        {"key": "x", "name": "X", "service_type": "technical", "tier": "2", "charging_model": "fixed"},
    )
    assert response.status_code == 422 and "Give the price" in response.content.decode()
    assert Service.objects.count() == 1


def test_inline_validation_returns_only_error_slots(strategist):
    client = signed_in(strategist)
    response = client.post(
        "/catalog/new/",
        {"key": "Bad Key", "name": "", "_validate": "1"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "key"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="errors-key"' in html and "lower-case letters" in html
    assert "This field is required" not in html  # the name field was not touched yet
    assert not Service.objects.exists()


def test_owner_edits_but_cannot_reassign(owner, service, make_user):
    other = make_user(roles=["service-owner"])
    client = signed_in(owner)
    response = client.post(
        f"/catalog/services/{service.key}/edit/",
        {
            "key": "renamed",
            "name": "Email and calendar",
            "service_type": "business",
            "tier": "1",
            "owner": other.pk,
            "charging_model": "free",
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "Email and calendar" and service.key == "email" and service.owner == owner


def test_lifecycle_buttons(owner, service, viewer):
    assert signed_in(viewer).post(f"/catalog/services/{service.key}/go_live/").status_code == 403
    client = signed_in(owner)
    assert client.post(f"/catalog/services/{service.key}/go_live/").status_code == 302
    service.refresh_from_db()
    assert service.lifecycle_status == "live"
    response = client.post(f"/catalog/services/{service.key}/go_live/", follow=True)
    assert "cannot go live" in response.content.decode()


def test_parts_from_the_service_page(owner, service):
    client = signed_in(owner)
    ServiceFactory(key="dns", name="DNS")
    stakeholder = StakeholderFactory(name="Finance")
    posts = {
        "packages": {"packages-name": "Gold", "packages-rank": "1"},
        "timelines": {"timelines-request_type": "New mailbox", "timelines-lead_time_hours": "4"},
        "tools": {"tools-name": "Exchange", "tools-kind": "platform"},
        "roles": {"roles-name": "Mail admin"},
        "activities": {"activities-name": "Create mailbox", "activities-position": "1"},
        "stakeholders": {
            "stakeholders-stakeholder": stakeholder.pk,
            "stakeholders-relation": "customer",
            "stakeholders-importance": "4",
            "stakeholders-impact": "4",
            "stakeholders-interest": "5",
            "stakeholders-influence": "2",
        },
        "dependencies": {"dependencies-depends_on": Service.objects.get(key="dns").pk},
    }
    for kind, data in posts.items():
        response = client.post(f"/catalog/services/{service.key}/parts/{kind}/", data)
        assert response.status_code == 302, (kind, response.content.decode()[:2000])
    role = DeliveryRole.objects.get()
    activity = service.activities.get()
    assert (
        client.post(
            f"/catalog/services/{service.key}/parts/raci/",
            {"raci-activity": activity.pk, "raci-role": role.pk, "raci-letter": "A"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/catalog/services/{service.key}/parts/role_skill/",
            {"skill-role": role.pk, "skill-skill": "Exchange Online", "skill-level": "4"},
        ).status_code
        == 302
    )
    html = client.get(f"/catalog/services/{service.key}/").content.decode()
    for text in [
        "Gold",
        "New mailbox",
        "Exchange Online (level 4)",
        "Finance",
        "keep informed",
        "DNS",
        "Create mailbox",
    ]:
        assert text in html, text
    assert AuditEvent.objects.filter(scope=f"catalog.service:{service.pk}").count() >= 9
    dependency = ServiceDependency.objects.get()
    assert (
        client.post(f"/catalog/services/{service.key}/parts/dependencies/{dependency.pk}/delete/").status_code
        == 302
    )
    assert not ServiceDependency.objects.exists()


def test_part_errors_come_back_on_the_page(owner, service):
    client = signed_in(owner)
    response = client.post(
        f"/catalog/services/{service.key}/parts/risks/", {"risks-title": "", "risks-likelihood": "9"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required" in html and '<details class="part-form" open>' in html
    dns = ServiceFactory(key="dns")
    client.post(f"/catalog/services/{service.key}/parts/dependencies/", {"dependencies-depends_on": dns.pk})
    dns.owner = owner
    dns.save()
    response = client.post(
        "/catalog/services/dns/parts/dependencies/", {"dependencies-depends_on": service.pk}
    )
    assert response.status_code == 422 and "cycle" in response.content.decode()
    assert ServiceDependency.objects.count() == 1


def test_directory_forms(strategist, owner):
    client = signed_in(owner)
    assert (
        client.post(
            "/catalog/stakeholders/new/",
            {
                "name": "Sales",
                "kind": "internal_team",
                "inform_channel": "email",
                "inform_frequency": "monthly",
            },
        ).status_code
        == 302
    )
    response = client.post(
        "/catalog/stakeholders/new/",
        {"name": "Sales", "kind": "internal_team", "inform_channel": "email", "inform_frequency": "monthly"},
    )
    assert response.status_code == 422
    assert Stakeholder.objects.count() == 1
    client = signed_in(strategist)
    assert (
        client.post("/catalog/processes/new/", {"key": "incident", "name": "Incident management"}).status_code
        == 302
    )
    assert (
        client.post(
            "/catalog/objectives/new/",
            {"name": "Grow", "period_start_date": "2027-01-01", "period_end_date": "2026-01-01"},
        ).status_code
        == 422
    )
