"""The service list, the service page with its parts, and the service form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from csi.accounts.http import AuthenticatedRequest
from csi.accounts.models import User
from csi.catalog import selectors, services
from csi.catalog.choices import LIFECYCLE_TRANSITIONS
from csi.catalog.forms import (
    ActivityForm,
    DependencyForm,
    PackageForm,
    ProcessLinkForm,
    RaciForm,
    RiskForm,
    RoleForm,
    RoleSkillForm,
    ServiceFilterForm,
    ServiceForm,
    StakeholderLinkForm,
    TimelineForm,
    ToolForm,
)
from csi.catalog.models import (
    DeliveryRole,
    DeliveryTimeline,
    PortfolioRisk,
    Service,
    ServiceActivity,
    ServiceDependency,
    ServiceLevelPackage,
    ServiceProcess,
    ServiceStakeholder,
    ServiceTool,
)
from csi.catalog.sections import service_sections
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors
from csi.core.models import AuditEvent
from csi.core.services import scope_of

# kind -> (model, form, section anchor): the parts added and removed from the service page
PARTS: dict[str, tuple[type[Any], type[BaseForm], str]] = {
    "packages": (ServiceLevelPackage, PackageForm, "offer"),
    "timelines": (DeliveryTimeline, TimelineForm, "offer"),
    "risks": (PortfolioRisk, RiskForm, "portfolio"),
    "tools": (ServiceTool, ToolForm, "delivery"),
    "roles": (DeliveryRole, RoleForm, "delivery"),
    "activities": (ServiceActivity, ActivityForm, "delivery"),
    "stakeholders": (ServiceStakeholder, StakeholderLinkForm, "stakeholders"),
    "dependencies": (ServiceDependency, DependencyForm, "dependencies"),
    "processes": (ServiceProcess, ProcessLinkForm, "delivery"),
}


def _service(request: AuthenticatedRequest, key: str) -> Service:
    try:
        return selectors.service_get(actor=request.user, key=key)
    except Service.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def service_list(request: AuthenticatedRequest) -> HttpResponse:
    """The catalog: search, filter by category, status, tier and owner, sort, page."""
    owners = list(
        User.objects.filter(owned_services__isnull=False)
        .distinct()
        .order_by("username")
        .values_list("pk", "username")
    )
    form = ServiceFilterForm(
        request.GET or None, categories=selectors.service_categories(actor=request.user), owners=owners
    )
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "search": data["q"] or None,
            "category": data["category"] or None,
            "status": data["status"] or None,
            "tier": data["tier"],
            "owner_id": data["owner"],
            "ordering": data["sort"] or "name",
        }
    page = Paginator(selectors.service_list(actor=request.user, **filters), 25).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_add": request.user.has_perm("catalog.add_service"),
    }
    template = (
        "catalog/_service_table.html"
        if request.htmx and request.htmx.target == "service-table"
        else "catalog/service_list.html"
    )
    return render(request, template, context)


def _detail_context(
    request: AuthenticatedRequest, service: Service, forms: dict[str, BaseForm] | None = None
) -> dict[str, Any]:
    can_edit = request.user.has_perm("catalog.change_service", service)
    blank: dict[str, BaseForm] = {}
    if can_edit:
        for kind, (_, form_class, _) in PARTS.items():
            blank[kind] = form_class(prefix=kind)
        blank["raci"] = RaciForm(service=service, prefix="raci")
        blank["role_skill"] = RoleSkillForm(service=service, prefix="skill")
    blank.update(forms or {})
    stakeholders = selectors.service_stakeholders(actor=request.user, service=service)
    risks = list(service.risks.all())
    delivery = selectors.service_delivery_model(actor=request.user, service=service)
    history = AuditEvent.objects.filter(scope=scope_of(service)).select_related("actor")[:20]
    return {
        "service": service,
        "can_edit": can_edit,
        "can_delete": request.user.has_perm("catalog.delete_service", service),
        "transitions": LIFECYCLE_TRANSITIONS.get(service.lifecycle_status, {}).values(),
        "forms": blank,
        "packages": service.packages.all(),
        "timelines": service.timelines.all(),
        "risks": risks,
        "risk_matrix": selectors.risk_matrix(risks),
        "stakeholders": stakeholders,
        "stakeholder_map": selectors.stakeholder_map(stakeholders),
        "graph": selectors.service_dependency_graph(actor=request.user, service=service),
        "direct_dependencies": service.dependencies.select_related("depends_on"),
        "delivery": delivery,
        "role_skills": [(role, delivery.skills.get(role.pk, [])) for role in delivery.roles],
        "history": history,
        "sections": [(s, s.context(request, service)) for s in service_sections()],
        "scores": range(1, 6),
    }


@login_required
def service_detail(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """Everything about one service: overview, offer, stakeholders and map, dependencies, delivery model,
    portfolio with its risk matrix, what other apps add (standards...), and its history."""
    service = _service(request, key)
    return render(request, "catalog/service_detail.html", _detail_context(request, service))


@login_required
def service_create(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("catalog.add_service"):
        raise PermissionDenied("Only administrators and the service strategy manager add services.")
    return _service_form(request, None)


@login_required
def service_edit(request: AuthenticatedRequest, key: str) -> HttpResponse:
    service = _service(request, key)
    if not request.user.has_perm("catalog.change_service", service):
        raise PermissionDenied("Only the service's owner and catalog managers edit it.")
    return _service_form(request, service)


def _service_form(request: AuthenticatedRequest, service: Service | None) -> HttpResponse:
    can_assign = request.user.has_perm("catalog.assign_service_owner")
    form = ServiceForm(request.POST or None, instance=service, can_assign=can_assign)
    validate_only = request.htmx and request.POST.get("_validate")
    if request.method == "POST" and form.is_valid() and not validate_only:
        data = (
            {name: form.cleaned_data[name] for name in form.changed_data}
            if service
            else dict(form.cleaned_data)
        )
        try:
            if service is None:
                service = services.service_create(actor=request.user, data=data)
                messages.success(request, f"Service {service.name} was created in the pipeline.")
            else:
                service.refresh_from_db()
                service = services.service_update(actor=request.user, service=service, data=data)
                messages.success(request, "Your changes were saved.")
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            return redirect("catalog:service_detail", key=service.key)
    if validate_only:
        # HTMX inline validation: only the error slots are sent back, swapped out of band.
        touched = {name for name, value in request.POST.items() if value} | {request.htmx.trigger_name or ""}
        return render(request, "catalog/_form_errors_oob.html", {"form": form, "touched": touched})
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "catalog/service_form.html", {"form": form, "service": service}, status=status)


@login_required
@require_POST
def service_transition(request: AuthenticatedRequest, key: str, verb: str) -> HttpResponse:
    service = _service(request, key)
    try:
        services.service_transition(actor=request.user, service=service, verb=verb)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{service.name} is now {service.get_lifecycle_status_display().lower()}.")
    return redirect("catalog:service_detail", key=service.key)


@login_required
@require_POST
def service_delete(request: AuthenticatedRequest, key: str) -> HttpResponse:
    service = _service(request, key)
    try:
        services.service_delete(actor=request.user, service=service)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:service_detail", key=service.key)
    messages.success(request, f"Service {service.name} was deleted.")
    return redirect("catalog:service_list")


@login_required
@require_POST
def part_add(request: AuthenticatedRequest, key: str, kind: str) -> HttpResponse:
    """Add a part (package, timeline, risk, tool, role, activity, stakeholder, dependency, process) from
    the service page; on an error the page comes back with the form and its messages."""
    service = _service(request, key)
    if kind not in PARTS and kind not in {"raci", "role_skill"}:
        raise Http404
    if not request.user.has_perm("catalog.change_service", service):
        raise PermissionDenied("Only the service's owner and catalog managers change it.")
    if kind == "raci":
        form: BaseForm = RaciForm(request.POST, service=service, prefix="raci")
        anchor = "delivery"
    elif kind == "role_skill":
        form = RoleSkillForm(request.POST, service=service, prefix="skill")
        anchor = "delivery"
    else:
        _, form_class, anchor = PARTS[kind]
        form = form_class(request.POST, prefix=kind)
    if form.is_valid():
        try:
            _save_part(request, service, kind, form.cleaned_data)
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(f"{service_url(service)}#{anchor}")
    return render(
        request, "catalog/service_detail.html", _detail_context(request, service, {kind: form}), status=422
    )


def service_url(service: Service) -> str:
    return reverse("catalog:service_detail", kwargs={"key": service.key})


def _save_part(request: AuthenticatedRequest, service: Service, kind: str, data: dict[str, Any]) -> None:
    actor = request.user
    if kind == "dependencies":
        services.dependency_add(
            actor=actor, service=service, depends_on=data["depends_on"], description=data["description"]
        )
    elif kind == "processes":
        services.service_process_link(
            actor=actor, service=service, process=data["process"], notes=data["notes"]
        )
    elif kind == "raci":
        services.raci_set(
            actor=actor, activity=data["activity"], role=data["role"], letter=data["letter"] or None
        )
    elif kind == "role_skill":
        services.role_skill_set(actor=actor, role=data["role"], skill_name=data["skill"], level=data["level"])
    else:
        services.part_create(actor=actor, service=service, model=PARTS[kind][0], data=data)


@login_required
@require_POST
def part_delete(request: AuthenticatedRequest, key: str, kind: str, part_id: int) -> HttpResponse:
    service = _service(request, key)
    if kind not in PARTS:
        raise Http404
    model, _, anchor = PARTS[kind]
    try:
        part = selectors.part_get(actor=request.user, service=service, model=model, part_id=part_id)
    except model.DoesNotExist as exc:
        raise Http404 from exc
    services.part_delete(actor=request.user, part=part)
    messages.success(request, "Removed.")
    return redirect(f"{service_url(service)}#{anchor}")
