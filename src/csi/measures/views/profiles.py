"""Mapping profiles: the list, one profile's YAML, and the editor with its preview on a sample file."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from csi.accounts.http import AuthenticatedRequest
from csi.core.cli import dump_yaml
from csi.core.documents import DocumentErrors
from csi.core.errors import ConflictError
from csi.measures import selectors, services
from csi.measures.forms import RESERVED_KEYS, ProfileForm
from csi.measures.importer import ImportResult, import_file
from csi.measures.models import DataSource, MappingProfile
from csi.measures.profiles import BUILTIN_DIR, ProfileDocument, profile_from_text
from csi.measures.views import uploads
from csi.measures.views.runs import result_context, unexpected_error

logger = logging.getLogger(__name__)
EDITOR_PATH = "profile.yaml"  # the name problems quote, e.g. "profile.yaml, document 1, spec.fields"
PREVIEW_MAX_REJECTS = 10**12  # a preview shows the rejects; it never refuses
NEW_PROFILE = """\
apiVersion: csi-workbench/v1
kind: MappingProfile
metadata:
  name: my-desk-export
spec:
  name: My service desk export
  sourceKind: ticket_events
  format: {type: csv, delimiter: ",", encoding: utf-8}
  timestamps: {formats: ["iso"]}
  fields:
    ticket_id: Number
    event_at: Updated
    state: {column: State, optional: true}
    priority: {column: Priority, optional: true}
    category: {column: Category, optional: true}
  states: {new: [New], resolved: [Resolved], closed: [Closed]}
"""


def profile_yaml(profile: MappingProfile) -> str:
    """The profile as YAML: a built-in one as it ships (with its comments), others without defaults."""
    shipped = BUILTIN_DIR / f"{profile.key}.yaml"
    if profile.builtin and shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    document = ProfileDocument.model_validate(profile.document)
    return dump_yaml([document.model_dump(mode="json", by_alias=True, exclude_defaults=True)])


def _copy_yaml(profile: MappingProfile) -> str:
    document = ProfileDocument.model_validate(profile.document)
    data = document.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["metadata"]["name"] = f"{profile.key[:58]}-copy".replace("--", "-")
    data["spec"]["name"] = f"{document.spec.name[:190]} (copy)"
    return dump_yaml([data])


@login_required
def profile_list(request: AuthenticatedRequest) -> HttpResponse:
    profiles = selectors.profile_list(actor=request.user).annotate(source_count=Count("sources"))
    return render(
        request,
        "measures/profile_list.html",
        {"profiles": profiles, "can_manage": request.user.has_perm("measures.manage_sources")},
    )


@login_required
def profile_detail(request: AuthenticatedRequest, key: str) -> HttpResponse:
    profile = selectors.profile_get(actor=request.user, key=key)
    return render(
        request,
        "measures/profile_detail.html",
        {
            "profile": profile,
            "yaml": profile_yaml(profile),
            "sources": list(profile.sources.order_by("name")),
            "can_manage": request.user.has_perm("measures.manage_sources"),
        },
    )


def _require_manage(request: AuthenticatedRequest) -> None:
    if not request.user.has_perm("measures.manage_sources"):
        raise PermissionDenied("Only data managers add and change mapping profiles.")


@login_required
def profile_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new profile: blank, or a copy of another (?copy=KEY), previewed on a sample before saving."""
    _require_manage(request)
    text = NEW_PROFILE
    if copy_of := request.GET.get("copy"):
        text = _copy_yaml(selectors.profile_get(actor=request.user, key=copy_of[:63]))
    return _editor(request, None, text)


@login_required
def profile_edit(request: AuthenticatedRequest, key: str) -> HttpResponse:
    _require_manage(request)
    profile = selectors.profile_get(actor=request.user, key=key)
    if profile.builtin:
        messages.info(request, f"“{profile.name}” is built in: save your changes as a new profile.")
        return redirect(reverse("measures:profile_create") + f"?copy={profile.key}")
    return _editor(request, profile, profile_yaml(profile))


def _editor(request: AuthenticatedRequest, profile: MappingProfile | None, text: str) -> HttpResponse:
    form = ProfileForm(request.POST or None, request.FILES or None, initial={"text": text})
    context: dict[str, Any] = {"form": form, "profile": profile}
    if request.method != "POST":
        return render(request, "measures/profile_form.html", context)
    if not form.is_valid():
        return render(request, "measures/profile_form.html", context, status=422)
    if request.POST.get("action") == "preview":
        result = _preview(request, form)
        if result is not None:
            context.update(result_context(result))
            return render(request, "measures/profile_form.html", context)
        return render(request, "measures/profile_form.html", context, status=422)
    saved = _save(request, form, profile)
    if saved is None:
        return render(request, "measures/profile_form.html", context, status=422)
    return redirect("measures:profile_detail", key=saved.key)


def _parse(form: ProfileForm) -> ProfileDocument | None:
    try:
        return profile_from_text(form.cleaned_data["text"], EDITOR_PATH)
    except DocumentErrors as exc:
        for problem in exc.problems:
            form.add_error("text", f"{problem.where}: {problem.message}")
        return None


def _preview(request: AuthenticatedRequest, form: ProfileForm) -> ImportResult | None:
    """Read the sample with the profile as typed, storing nothing: the importer's dry run against a
    data source and profile that are never saved."""
    sample: UploadedFile | None = form.cleaned_data["sample"]
    document = _parse(form)
    if sample is None:
        form.add_error("sample", "Choose a sample file to preview the profile with.")
    if document is None or sample is None:
        return None
    profile = MappingProfile(
        key=document.metadata.name,
        name=document.spec.name,
        source_kind=document.spec.source_kind,
        document=document.model_dump(mode="json", by_alias=True),
    )
    # pk 0 is never a saved row: no batch belongs to it, so the dry run's duplicate check finds nothing.
    source = DataSource(
        pk=0,
        key="preview",
        name="Preview",
        kind=document.spec.source_kind,
        time_zone=form.cleaned_data["time_zone"] or "UTC",
        profile=profile,
    )
    token, path = uploads.save_upload(sample)
    try:
        return import_file(
            actor=request.user, source=source, path=path, dry_run=True, max_rejects=PREVIEW_MAX_REJECTS
        )
    except Exception:  # a profile the reader trips over: logged, reported, the server carries on
        logger.exception("Preview of profile %s on %s failed", document.metadata.name, path.name)
        form.add_error("sample", unexpected_error(request, "The sample could not be read with this profile"))
        return None
    finally:
        uploads.discard(token)


def _save(
    request: AuthenticatedRequest, form: ProfileForm, profile: MappingProfile | None
) -> MappingProfile | None:
    document = _parse(form)
    if document is None:
        return None
    key = document.metadata.name
    if key in RESERVED_KEYS:
        form.add_error("text", f"metadata.name: '{key}' is reserved; give the profile another name.")
        return None
    if (profile is None or key != profile.key) and MappingProfile.objects.filter(key=key).exists():
        form.add_error("text", f"metadata.name: a profile '{key}' exists already; give yours another name.")
        return None
    try:
        saved, created = services.profile_save(
            actor=request.user, text=form.cleaned_data["text"], path=EDITOR_PATH
        )
    except DocumentErrors as exc:
        for problem in exc.problems:
            form.add_error("text", f"{problem.where}: {problem.message}")
        return None
    except ConflictError as exc:
        form.add_error("text", f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return None
    except ValidationError as exc:
        for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
            for error in errors:
                form.add_error("text", f"{field}: {error}" if field and field != "__all__" else error)
        return None
    messages.success(request, f"Profile {saved.key} was {'created' if created else 'saved'}.")
    return saved


@login_required
@require_POST
def profile_delete(request: AuthenticatedRequest, key: str) -> HttpResponse:
    profile = selectors.profile_get(actor=request.user, key=key)
    try:
        services.profile_delete(actor=request.user, profile=profile)
    except ConflictError as exc:
        messages.error(request, exc.message)
        url = reverse("measures:profile_detail", kwargs={"key": profile.key})
    else:
        messages.success(request, f"Profile {profile.key} was deleted.")
        url = reverse("measures:profile_list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
