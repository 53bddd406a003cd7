import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from csi.catalog import services
from csi.catalog.models import DeliveryRole, PortfolioRisk, Service, ServiceDependency, ServiceLevelPackage
from csi.catalog.tests.factories import ProcessFactory, ServiceFactory, StakeholderFactory
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_create_service_validates_and_audits(strategist, owner):
    service = services.service_create(
        actor=strategist,
        data={
            "key": "payroll",
            "name": "Payroll",
            "owner": owner,
            "charging_model": "per_unit",
            "price": "4.50",
            "currency": "EUR",
            "price_unit": "payslip",
            "tier": 1,
            "tier_reason": "Legal obligation",
        },
    )
    assert service.lifecycle_status == "pipeline"
    event = AuditEvent.objects.get(object_type="catalog.service", verb="create")
    assert event.after["key"] == "payroll" and event.after["owner_id"] == owner.pk


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"key": "Bad Key", "name": "x"}, "key"),
        ({"key": "ok", "name": ""}, "name"),
        ({"key": "ok", "name": "x", "tier": 5}, "tier"),
        ({"key": "ok", "name": "x", "charging_model": "fixed"}, "price"),
        ({"key": "ok", "name": "x", "charging_model": "free", "price": "3", "currency": "EUR"}, "price"),
        ({"key": "ok", "name": "x", "charging_model": "fixed", "price": "3"}, "currency"),
        ({"key": "ok", "name": "x", "currency": "euro"}, "currency"),
        ({"key": "ok", "name": "x", "lifecycle_status": "live"}, "lifecycle_status"),
    ],
)
def test_invalid_service_is_refused_and_nothing_stored(strategist, data, field):
    before = (Service.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        services.service_create(actor=strategist, data=data)
    assert field in info.value.message_dict
    assert (Service.objects.count(), AuditEvent.objects.count()) == before


def test_duplicate_key_is_a_conflict(strategist, service):
    with pytest.raises(ConflictError):
        services.service_create(actor=strategist, data={"key": service.key, "name": "Again"})


def test_who_may_change_what(strategist, owner, viewer, service, make_user):
    with pytest.raises(PermissionDenied):
        services.service_create(actor=owner, data={"key": "mine", "name": "Mine"})
    with pytest.raises(PermissionDenied):
        services.service_update(actor=viewer, service=service, data={"name": "Hacked"})
    services.service_update(actor=owner, service=service, data={"description": "Mail for everyone"})
    other_owner = make_user(roles=["service-owner"])
    with pytest.raises(PermissionDenied):
        services.service_update(actor=other_owner, service=service, data={"name": "Not theirs"})
    with pytest.raises(PermissionDenied):
        services.service_update(actor=owner, service=service, data={"owner": other_owner})
    services.service_update(actor=strategist, service=service, data={"owner": other_owner})
    service.refresh_from_db()
    assert service.owner == other_owner and service.description == "Mail for everyone"


def test_update_records_before_and_after(owner, service):
    services.service_update(actor=owner, service=service, data={"tier": 1, "tier_reason": "Everyone uses it"})
    event = AuditEvent.objects.get(verb="update", object_type="catalog.service")
    assert event.before["tier"] == 3 and event.after["tier"] == 1
    assert event.scope == f"catalog.service:{service.pk}"


def test_lifecycle_follows_the_transition_table(owner, service):
    services.service_transition(actor=owner, service=service, verb="go_live")
    with pytest.raises(ConflictError, match="cannot go live"):
        services.service_transition(actor=owner, service=service, verb="go_live")
    with pytest.raises(ConflictError):
        services.service_transition(actor=owner, service=service, verb="reinstate")
    services.service_transition(actor=owner, service=service, verb="retire")
    service = services.service_transition(actor=owner, service=service, verb="reinstate")
    assert service.lifecycle_status == "live"
    verbs = list(
        AuditEvent.objects.filter(object_type="catalog.service").order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["go_live", "retire", "reinstate"]


def test_only_pipeline_services_are_deleted(strategist, owner, service):
    services.service_transition(actor=owner, service=service, verb="go_live")
    with pytest.raises(ConflictError):
        services.service_delete(actor=strategist, service=service)
    draft = ServiceFactory()
    draft_id = draft.pk
    services.service_delete(actor=strategist, service=draft)
    assert not Service.objects.filter(pk=draft_id).exists()
    assert AuditEvent.objects.get(verb="delete", object_id=str(draft_id)).before["key"] == draft.key


def test_dependencies_refuse_cycles(strategist):
    a, b, c = ServiceFactory(key="a"), ServiceFactory(key="b"), ServiceFactory(key="c")
    services.dependency_add(actor=strategist, service=a, depends_on=b)
    services.dependency_add(actor=strategist, service=b, depends_on=c)
    with pytest.raises(ConflictError, match="cycle"):
        services.dependency_add(actor=strategist, service=c, depends_on=a)
    with pytest.raises(ValidationError):
        services.dependency_add(actor=strategist, service=a, depends_on=a)
    with pytest.raises(ConflictError):
        services.dependency_add(actor=strategist, service=a, depends_on=b)
    assert ServiceDependency.objects.count() == 2


def test_parts_belong_to_their_service_and_its_history(owner, service, viewer):
    package = services.part_create(
        actor=owner, service=service, model=ServiceLevelPackage, data={"name": "Gold", "rank": 1}
    )
    with pytest.raises(ConflictError):
        services.part_create(actor=owner, service=service, model=ServiceLevelPackage, data={"name": "Gold"})
    with pytest.raises(PermissionDenied):
        services.part_create(
            actor=viewer, service=service, model=ServiceLevelPackage, data={"name": "Silver"}
        )
    services.part_update(actor=owner, part=package, data={"description": "24x7 support"})
    risk = services.part_create(
        actor=owner,
        service=service,
        model=PortfolioRisk,
        data={"title": "Spam", "likelihood": 4, "impact": 3},
    )
    assert risk.score == 12
    with pytest.raises(ValidationError):
        services.part_create(
            actor=owner,
            service=service,
            model=PortfolioRisk,
            data={"title": "Bad", "likelihood": 6, "impact": 1},
        )
    services.part_delete(actor=owner, part=risk)
    history = AuditEvent.objects.filter(scope=f"catalog.service:{service.pk}")
    assert sorted(history.values_list("verb", flat=True)) == ["create", "create", "delete", "update"]


def test_stakeholders_and_map_quadrant(owner, service, viewer):
    customer = services.stakeholder_create(actor=owner, data={"name": "Finance", "kind": "internal_team"})
    with pytest.raises(PermissionDenied):
        services.stakeholder_create(actor=viewer, data={"name": "X", "kind": "supplier"})
    link = services.stakeholder_link(
        actor=owner,
        service=service,
        stakeholder=customer,
        data={"relation": "customer", "interest": 5, "influence": 4},
    )
    assert link.quadrant == "manage closely"
    with pytest.raises(ConflictError):
        services.stakeholder_link(
            actor=owner, service=service, stakeholder=customer, data={"relation": "customer"}
        )


def test_raci_has_one_accountable_role(owner, service):
    analyst = services.role_create(actor=owner, service=service, data={"name": "Analyst"})
    lead = services.role_create(actor=owner, service=service, data={"name": "Lead"})
    triage = services.activity_create(actor=owner, service=service, data={"name": "Triage"})
    services.raci_set(actor=owner, activity=triage, role=lead, letter="A")
    services.raci_set(actor=owner, activity=triage, role=analyst, letter="R")
    with pytest.raises(ValidationError, match="already has an accountable"):
        services.raci_set(actor=owner, activity=triage, role=analyst, letter="A")
    services.raci_set(actor=owner, activity=triage, role=lead, letter=None)
    services.raci_set(actor=owner, activity=triage, role=analyst, letter="A")
    foreign_role = DeliveryRole.objects.create(service=ServiceFactory(), name="Foreign")
    with pytest.raises(ValidationError, match="another service"):
        services.raci_set(actor=owner, activity=triage, role=foreign_role, letter="R")
    assert [(a.role.name, a.letter) for a in triage.assignments.select_related("role")] == [("Analyst", "A")]


def test_role_skills_create_skills_once(owner, service):
    role = services.role_create(actor=owner, service=service, data={"name": "Mail admin"})
    services.role_skill_set(actor=owner, role=role, skill_name="Exchange Online", level=4)
    services.role_skill_set(actor=owner, role=role, skill_name="exchange online", level=5)
    assert [(r.skill.name, r.level) for r in role.skills.all()] == [("Exchange Online", 5)]
    services.role_skill_set(actor=owner, role=role, skill_name="Exchange Online", level=None)
    assert not role.skills.exists()


def test_process_owner_edits_own_process(strategist, make_user):
    process_owner = make_user(roles=["process-owner"])
    process = ProcessFactory(owner=process_owner)
    services.process_update(
        actor=process_owner, process=process, data={"description": "ITIL incident management"}
    )
    with pytest.raises(PermissionDenied):
        services.process_update(actor=process_owner, process=process, data={"owner": strategist})
    with pytest.raises(PermissionDenied):
        services.process_create(actor=process_owner, data={"key": "new", "name": "New"})
    assert StakeholderFactory()  # factories build valid objects
