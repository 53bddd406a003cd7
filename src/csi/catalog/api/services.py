"""Endpoints for services: CRUD, lifecycle transitions, dependencies."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import Pagination
from csi.catalog import selectors, services
from csi.catalog.api.common import with_user_fields
from csi.catalog.models import Service, ServiceDependency
from csi.catalog.schemas import (
    KEY,
    DependencyGraphOut,
    DependencyIn,
    DependencyOut,
    ServiceFilter,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)

router = Router(tags=["services"])
KeyPath = Path(..., pattern=KEY, max_length=63)


@router.get("/services", response={200: list[ServiceOut], **ERROR_RESPONSES}, summary="List services")
@paginate(Pagination)
def service_list(request: HttpRequest, filters: Query[ServiceFilter]):
    """The catalog, filtered by search text, category, lifecycle status, tier and owner, and ordered."""
    owner_id = None
    if filters.owner:
        owner_id = with_user_fields({"owner": filters.owner}, "owner")["owner"].pk
    return selectors.service_list(
        actor=request.user,
        search=filters.search,
        category=filters.category,
        status=filters.status,
        tier=filters.tier,
        owner_id=owner_id,
        ordering=filters.ordering,
    )


@router.post("/services", response={201: ServiceOut, **ERROR_RESPONSES}, summary="Create a service")
def service_create(request: HttpRequest, payload: ServiceIn):
    """Create a service in the pipeline. Administrators and the service strategy manager."""
    data = with_user_fields(payload.dict(), "owner")
    return Status(201, services.service_create(actor=request.user, data=data))


@router.get("/services/{key}", response={200: ServiceOut, **ERROR_RESPONSES}, summary="Get a service")
def service_get(request: HttpRequest, key: str = KeyPath):
    return selectors.service_get(actor=request.user, key=key)


@router.patch("/services/{key}", response={200: ServiceOut, **ERROR_RESPONSES}, summary="Update a service")
def service_update(request: HttpRequest, key: str = KeyPath, *, payload: ServicePatch):
    """Change the fields sent. Its owner may edit a service; only catalog managers change owner or key."""
    service = selectors.service_get(actor=request.user, key=key)
    data = with_user_fields(payload.dict(exclude_unset=True), "owner")
    return services.service_update(actor=request.user, service=service, data=data)


@router.delete(
    "/services/{key}", response={204: None, **ERROR_RESPONSES}, summary="Delete a pipeline service"
)
def service_delete(request: HttpRequest, key: str = KeyPath):
    """Only a service still in the pipeline can be deleted; retire a live one."""
    services.service_delete(actor=request.user, service=selectors.service_get(actor=request.user, key=key))
    return Status(204, None)


def _transition(verb: str, summary: str) -> None:
    @router.post(
        f"/services/{{key}}/{verb.replace('_', '-')}",
        response={200: ServiceOut, **ERROR_RESPONSES},
        summary=summary,
        operation_id=f"service_{verb}",
    )
    def transition(request: HttpRequest, key: str = KeyPath):
        service = selectors.service_get(actor=request.user, key=key)
        return services.service_transition(actor=request.user, service=service, verb=verb)


_transition("go_live", "Put a pipeline service live")
_transition("retire", "Retire a service")
_transition("reinstate", "Bring a retired service back live")


@router.get(
    "/services/{key}/dependencies",
    response={200: DependencyGraphOut, **ERROR_RESPONSES},
    summary="A service's dependency graph",
)
def dependency_graph(request: HttpRequest, key: str = KeyPath):
    """Upstream (what the service depends on) and downstream (what depends on it), transitively."""
    graph = selectors.service_dependency_graph(
        actor=request.user, service=selectors.service_get(actor=request.user, key=key)
    )
    return {
        "upstream": [
            {"key": n.service.key, "name": n.service.name, "depth": n.depth} for n in graph.upstream
        ],
        "downstream": [
            {"key": n.service.key, "name": n.service.name, "depth": n.depth} for n in graph.downstream
        ],
        "edges": graph.edges,
    }


def _dependency_out(dependency: ServiceDependency) -> dict[str, object]:
    return {
        "id": dependency.pk,
        "service": dependency.service.key,
        "depends_on": dependency.depends_on.key,
        "description": dependency.description,
    }


@router.post(
    "/services/{key}/dependencies",
    response={201: DependencyOut, **ERROR_RESPONSES},
    summary="Add a dependency",
)
def dependency_add(request: HttpRequest, key: str = KeyPath, *, payload: DependencyIn):
    """Record that the service depends on another. A dependency that would close a cycle is a 409."""
    service = selectors.service_get(actor=request.user, key=key)
    try:
        depends_on = selectors.service_get(actor=request.user, key=payload.depends_on)
    except Service.DoesNotExist as exc:
        raise ValidationError({"depends_on": f"No service has the key '{payload.depends_on}'."}) from exc
    dependency = services.dependency_add(
        actor=request.user, service=service, depends_on=depends_on, description=payload.description
    )
    return Status(201, _dependency_out(dependency))


@router.delete(
    "/services/{key}/dependencies/{depends_on}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a dependency",
)
def dependency_remove(request: HttpRequest, key: str = KeyPath, depends_on: str = KeyPath):
    service = selectors.service_get(actor=request.user, key=key)
    dependency = selectors.dependency_get(actor=request.user, service=service, depends_on_key=depends_on)
    services.part_delete(actor=request.user, part=dependency)
    return Status(204, None)
