"""Every read of the catalog. Everybody signed in may read it; each selector checks that first."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from csi.catalog.models import (
    DeliveryRole,
    OrganisationObjective,
    PortfolioRisk,
    Process,
    RoleSkill,
    Service,
    ServiceActivity,
    ServiceDependency,
    ServiceStakeholder,
    Skill,
    Stakeholder,
)
from csi.core.permissions import require

SERVICE_ORDERINGS = {
    "name": ("name", "key"),
    "-name": ("-name", "key"),
    "tier": ("tier", "name"),
    "-tier": ("-tier", "name"),
    "category": ("category", "name"),
    "status": ("lifecycle_status", "name"),
    "updated": ("-updated_at", "name"),
    "priority": ("portfolio_priority", "name"),
}


def service_list(
    *,
    actor: Any,
    search: str | None = None,
    category: str | None = None,
    status: str | None = None,
    tier: int | None = None,
    owner_id: int | None = None,
    ordering: str = "name",
) -> QuerySet[Service]:
    """Services filtered and ordered (see SERVICE_ORDERINGS); `search` matches key, name, description."""
    require(actor, "catalog.view_catalog")
    services = Service.objects.select_related("owner")
    if search:
        services = services.filter(
            Q(key__icontains=search) | Q(name__icontains=search) | Q(description__icontains=search)
        )
    if category:
        services = services.filter(category=category)
    if status:
        services = services.filter(lifecycle_status=status)
    if tier:
        services = services.filter(tier=tier)
    if owner_id:
        services = services.filter(owner_id=owner_id)
    return services.order_by(*SERVICE_ORDERINGS.get(ordering, SERVICE_ORDERINGS["name"]))


def service_get(*, actor: Any, key: str) -> Service:
    """One service by key (Service.DoesNotExist when there is none)."""
    require(actor, "catalog.view_catalog")
    return Service.objects.select_related("owner").get(key=key)


def service_categories(*, actor: Any) -> list[str]:
    require(actor, "catalog.view_catalog")
    return list(
        Service.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


@dataclass
class GraphNode:
    service: Service
    depth: int
    via: str = ""


@dataclass
class DependencyGraph:
    upstream: list[GraphNode] = field(default_factory=list)  # what the service depends on, transitively
    downstream: list[GraphNode] = field(default_factory=list)  # what depends on the service, transitively
    edges: list[tuple[str, str]] = field(
        default_factory=list
    )  # (service key, depends-on key) in the subgraph


def service_dependency_graph(*, actor: Any, service: Service) -> DependencyGraph:
    """The services `service` depends on and those that depend on it, breadth-first with their depth."""
    require(actor, "catalog.view_catalog")
    pairs = list(ServiceDependency.objects.values_list("service_id", "depends_on_id"))
    forward: dict[int, list[int]] = defaultdict(list)
    backward: dict[int, list[int]] = defaultdict(list)
    for src, dst in pairs:
        forward[src].append(dst)
        backward[dst].append(src)

    def walk(adjacency: dict[int, list[int]]) -> dict[int, int]:
        depths: dict[int, int] = {}
        frontier = [service.pk]
        depth = 0
        while frontier:
            depth += 1
            nxt = []
            for node in frontier:
                for neighbour in adjacency.get(node, []):
                    if neighbour not in depths and neighbour != service.pk:
                        depths[neighbour] = depth
                        nxt.append(neighbour)
            frontier = nxt
        return depths

    up, down = walk(forward), walk(backward)
    by_id = Service.objects.in_bulk(set(up) | set(down) | {service.pk})
    graph = DependencyGraph(
        upstream=sorted(
            (GraphNode(by_id[i], d) for i, d in up.items()), key=lambda n: (n.depth, n.service.name)
        ),
        downstream=sorted(
            (GraphNode(by_id[i], d) for i, d in down.items()), key=lambda n: (n.depth, n.service.name)
        ),
    )
    members = set(up) | set(down) | {service.pk}
    graph.edges = sorted((by_id[s].key, by_id[d].key) for s, d in pairs if s in members and d in members)
    return graph


def risk_matrix(risks: QuerySet[PortfolioRisk] | list[PortfolioRisk]) -> list[list[list[PortfolioRisk]]]:
    """A 5 x 5 grid of risks: rows by impact from 5 down to 1, columns by likelihood 1 to 5."""
    grid: list[list[list[PortfolioRisk]]] = [[[] for _ in range(5)] for _ in range(5)]
    for risk in risks:
        grid[5 - risk.impact][risk.likelihood - 1].append(risk)
    return grid


def stakeholder_map(links: list[ServiceStakeholder]) -> list[list[list[ServiceStakeholder]]]:
    """A 5 x 5 grid of a service's stakeholders: rows by influence from 5 down to 1, columns by interest."""
    grid: list[list[list[ServiceStakeholder]]] = [[[] for _ in range(5)] for _ in range(5)]
    for link in links:
        grid[5 - link.influence][link.interest - 1].append(link)
    return grid


def service_stakeholders(*, actor: Any, service: Service) -> list[ServiceStakeholder]:
    require(actor, "catalog.view_catalog")
    return list(
        service.stakeholder_links.select_related("stakeholder").order_by(
            "-influence", "-interest", "stakeholder__name"
        )
    )


@dataclass
class RaciRow:
    activity: ServiceActivity
    cells: list[str]  # one letter (or "") per role, in the order of DeliveryModel.roles


@dataclass
class DeliveryModel:
    processes: list[Any]
    roles: list[DeliveryRole]
    raci: list[RaciRow]
    tools: list[Any]
    skills: dict[int, list[Any]]  # role id -> RoleSkill list


def service_delivery_model(*, actor: Any, service: Service) -> DeliveryModel:
    """The processes, roles, RACI matrix, tools and required skills of a service, in a few queries."""
    require(actor, "catalog.view_catalog")
    roles = list(service.delivery_roles.all())
    activities = list(service.activities.prefetch_related("assignments"))
    column = {role.pk: i for i, role in enumerate(roles)}
    raci = []
    for activity in activities:
        cells = [""] * len(roles)
        for assignment in activity.assignments.all():
            cells[column[assignment.role_id]] = assignment.letter
        raci.append(RaciRow(activity=activity, cells=cells))
    skills: dict[int, list[Any]] = defaultdict(list)
    for requirement in RoleSkill.objects.filter(role__service=service).select_related("skill"):
        skills[requirement.role_id].append(requirement)
    return DeliveryModel(
        processes=list(service.process_links.select_related("process", "process__owner")),
        roles=roles,
        raci=raci,
        tools=list(service.tools.all()),
        skills=dict(skills),
    )


def stakeholder_list(
    *, actor: Any, search: str | None = None, kind: str | None = None
) -> QuerySet[Stakeholder]:
    require(actor, "catalog.view_catalog")
    stakeholders = Stakeholder.objects.annotate(service_count=Count("service_links__service", distinct=True))
    if search:
        stakeholders = stakeholders.filter(Q(name__icontains=search) | Q(contact_name__icontains=search))
    if kind:
        stakeholders = stakeholders.filter(kind=kind)
    return stakeholders.order_by("name")


def process_list(*, actor: Any) -> QuerySet[Process]:
    require(actor, "catalog.view_catalog")
    return (
        Process.objects.select_related("owner")
        .annotate(service_count=Count("service_links"))
        .order_by("name")
    )


def objective_list(*, actor: Any) -> QuerySet[OrganisationObjective]:
    require(actor, "catalog.view_catalog")
    return OrganisationObjective.objects.select_related("owner")


def skill_list(*, actor: Any) -> QuerySet[Skill]:
    require(actor, "catalog.view_catalog")
    return Skill.objects.annotate(role_count=Count("role_requirements")).order_by("name")


def dependency_get(*, actor: Any, service: Service, depends_on_key: str) -> ServiceDependency:
    require(actor, "catalog.view_catalog")
    return ServiceDependency.objects.select_related("service", "depends_on").get(
        service=service, depends_on__key=depends_on_key
    )


def part_list(*, actor: Any, service: Service, model: type[Any]) -> QuerySet[Any]:
    """The parts of one kind (packages, timelines, risks...) of a service."""
    require(actor, "catalog.view_catalog")
    return model.objects.filter(service=service)


def part_get(*, actor: Any, service: Service, model: type[Any], part_id: int) -> Any:
    """One part of the service by id; DoesNotExist when it belongs to another service."""
    require(actor, "catalog.view_catalog")
    return model.objects.select_related("service").get(service=service, pk=part_id)


def stakeholder_get(*, actor: Any, stakeholder_id: int) -> Stakeholder:
    require(actor, "catalog.view_catalog")
    return Stakeholder.objects.get(pk=stakeholder_id)


def process_get(*, actor: Any, key: str) -> Process:
    require(actor, "catalog.view_catalog")
    return Process.objects.select_related("owner").get(key=key)


def objective_get(*, actor: Any, objective_id: int) -> OrganisationObjective:
    require(actor, "catalog.view_catalog")
    return OrganisationObjective.objects.select_related("owner").get(pk=objective_id)
