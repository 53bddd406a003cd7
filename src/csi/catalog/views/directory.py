"""Pages of the catalog-wide directories: stakeholders, processes, organisation objectives, skills."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from csi.accounts.http import AuthenticatedRequest
from csi.catalog import selectors, services
from csi.catalog.choices import StakeholderKind
from csi.catalog.forms import ObjectiveForm, ProcessForm, StakeholderForm
from csi.catalog.imports import catalog_import
from csi.catalog.imports.csv_io import services_csv_import
from csi.catalog.models import OrganisationObjective, Process, Stakeholder
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors
from csi.core.views import import_page


@login_required
def stakeholder_list(request: AuthenticatedRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    kind = kind if kind in StakeholderKind.values else ""
    stakeholders = selectors.stakeholder_list(actor=request.user, search=search or None, kind=kind or None)
    return render(
        request,
        "catalog/stakeholder_list.html",
        {
            "stakeholders": stakeholders,
            "search": search,
            "kind": kind,
            "kinds": StakeholderKind.choices,
            "can_add": request.user.has_perm("catalog.manage_stakeholders"),
        },
    )


@login_required
def process_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "catalog/process_list.html",
        {
            "processes": selectors.process_list(actor=request.user),
            "can_add": request.user.has_perm("catalog.add_process"),
        },
    )


@login_required
def objective_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "catalog/objective_list.html",
        {
            "objectives": selectors.objective_list(actor=request.user),
            "can_add": request.user.has_perm("catalog.manage_objectives"),
        },
    )


@login_required
def skill_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "catalog/skill_list.html", {"skills": selectors.skill_list(actor=request.user)})


def _edit(
    request: AuthenticatedRequest,
    *,
    form_class: type[ModelForm],
    instance: Model | None,
    permitted: bool,
    save: Callable[[dict[str, Any]], Model],
    title: str,
    back: str,
) -> HttpResponse:
    if not permitted:
        raise PermissionDenied("You may not change this.")
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = (
            {name: form.cleaned_data[name] for name in form.changed_data}
            if instance
            else dict(form.cleaned_data)
        )
        try:
            if instance is not None:
                instance.refresh_from_db()
            save(data)
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(back)
    status = 422 if request.method == "POST" and form.errors else 200
    return render(
        request, "catalog/directory_form.html", {"form": form, "title": title, "back": back}, status=status
    )


def _get(model: type[Model], **lookup: Any) -> Any:
    try:
        return model.objects.get(**lookup)  # type: ignore[attr-defined]
    except model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise Http404 from exc


@login_required
def stakeholder_form(request: AuthenticatedRequest, stakeholder_id: int | None = None) -> HttpResponse:
    selectors.stakeholder_list(actor=request.user)  # read permission
    instance = _get(Stakeholder, pk=stakeholder_id) if stakeholder_id else None
    return _edit(
        request,
        form_class=StakeholderForm,
        instance=instance,
        permitted=request.user.has_perm("catalog.manage_stakeholders"),
        save=(lambda data: services.stakeholder_update(actor=request.user, stakeholder=instance, data=data))
        if instance
        else (lambda data: services.stakeholder_create(actor=request.user, data=data)),
        title=f"Stakeholder {instance}" if instance else "New stakeholder",
        back="/catalog/stakeholders/",
    )


@login_required
def process_form(request: AuthenticatedRequest, key: str | None = None) -> HttpResponse:
    instance = _get(Process, key=key) if key else None
    permitted = (
        request.user.has_perm("catalog.change_process", instance)
        if instance
        else request.user.has_perm("catalog.add_process")
    )
    return _edit(
        request,
        form_class=ProcessForm,
        instance=instance,
        permitted=permitted,
        save=(lambda data: services.process_update(actor=request.user, process=instance, data=data))
        if instance
        else (lambda data: services.process_create(actor=request.user, data=data)),
        title=f"Process {instance}" if instance else "New process",
        back="/catalog/processes/",
    )


@login_required
def objective_form(request: AuthenticatedRequest, objective_id: int | None = None) -> HttpResponse:
    instance = _get(OrganisationObjective, pk=objective_id) if objective_id else None
    return _edit(
        request,
        form_class=ObjectiveForm,
        instance=instance,
        permitted=request.user.has_perm("catalog.manage_objectives"),
        save=(lambda data: services.objective_update(actor=request.user, objective=instance, data=data))
        if instance
        else (lambda data: services.objective_create(actor=request.user, data=data)),
        title=f"Objective {instance}" if instance else "New organisation objective",
        back="/catalog/objectives/",
    )


@login_required
def catalog_import_page(request: AuthenticatedRequest) -> HttpResponse:
    return import_page(
        request,
        title="Import into the catalog",
        permission="catalog.import_catalog",
        yaml_importer=catalog_import,
        csv_importer=services_csv_import,
        accept=".yaml,.yml,.csv",
        explanation="Backstage catalog-info.yaml (Component, System, Resource, Domain, Group, User), CSI Workbench "
        "catalog YAML (as exported), or a CSV list of services. Services are matched by key: known ones are updated.",
        back_url="/catalog/",
    )
