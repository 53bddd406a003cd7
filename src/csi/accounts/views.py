"""Pages for signing in, the profile with its API tokens, and user administration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from csi.accounts import selectors, services
from csi.accounts.choices import Role
from csi.accounts.forms import (
    LoginForm,
    SetPasswordForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    role_descriptions,
)
from csi.accounts.http import AuthenticatedRequest
from csi.accounts.models import ApiToken, User
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """What django-axes answers once a username and address have failed too often."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = f"Too many failed sign-ins for this account from your address. Try again in {minutes} minutes."
    return render(
        request, "accounts/login.html", {"form": LoginForm(request), "lockout": message}, status=429
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        user = cast(User, self.request.user)
        services.user_set_password(actor=user, user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "Your password was changed.")
        return redirect(self.success_url)


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    """The user's details, roles and API tokens; a new token's secret is shown here once."""
    new_secret = None
    form = TokenCreateForm()
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            days = form.cleaned_data["expires_days"]
            try:
                _, new_secret = services.token_create(
                    actor=request.user,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_at=timezone.now() + timedelta(days=days) if days else None,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                form = TokenCreateForm()
    context = {
        "tokens": selectors.token_list(actor=request.user),
        "token_form": form,
        "new_secret": new_secret,
        "roles": [
            (key, label, text) for key, label, text in role_descriptions() if key in request.user.role_names
        ],
    }
    status = 422 if form.errors else 200
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    try:
        token = selectors.token_get(actor=request.user, token_id=token_id)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc
    services.token_revoke(actor=request.user, token=token)
    if request.htmx:
        return render(request, "accounts/_token_row.html", {"token": token})
    messages.success(request, f"The token “{token.name}” was revoked.")
    if token.user_id != request.user.pk:
        return redirect("accounts:user_edit", user_id=token.user_id)
    return redirect("accounts:profile")


def _require_admin(request: HttpRequest) -> None:
    if not request.user.has_perm("accounts.manage_users"):
        raise PermissionDenied("Only administrators manage users and roles.")


@login_required
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    """All users, searchable and filterable by role. Administrators only."""
    _require_admin(request)
    search = request.GET.get("q", "").strip()[:150]
    role = request.GET.get("role", "")
    role = role if role in Role.values or role == "none" else ""
    if role == "none":
        users = selectors.users_without_role(actor=request.user)
        if search:
            users = users & selectors.user_list(actor=request.user, search=search)
    else:
        users = selectors.user_list(actor=request.user, search=search or None, role=role or None)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "role": role,
        "role_choices": [(r.value, r.label) for r in Role],
        "without_role": selectors.users_without_role(actor=request.user).count(),
    }
    template = (
        "accounts/_user_table.html"
        if request.htmx and request.htmx.target == "user-table"
        else "accounts/user_list.html"
    )
    return render(request, template, context)


@login_required
def user_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"User {user.username} was created.")
            return redirect("accounts:user_edit", user_id=user.pk)
    status = 422 if form.errors else 200
    return render(
        request, "accounts/user_form.html", {"form": form, "roles": role_descriptions()}, status=status
    )


@login_required
def user_edit(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """Edit a user's details, roles and password, and see or revoke their tokens."""
    _require_admin(request)
    try:
        user = selectors.user_get(actor=request.user, user_id=user_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc
    initial = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "roles": user.role_names,
    }
    form = UserEditForm(initial=initial)
    password_form = SetPasswordForm()
    if request.method == "POST" and "new_password" in request.POST:
        password_form = SetPasswordForm(request.POST)
        if password_form.is_valid():
            try:
                services.user_set_password(
                    actor=request.user, user=user, password=password_form.cleaned_data["new_password"]
                )
            except ValidationError as exc:
                password_form.add_error("new_password", exc.messages)
            else:
                messages.success(request, f"The password of {user.username} was set.")
                return redirect("accounts:user_edit", user_id=user.pk)
    elif request.method == "POST":
        form = UserEditForm(request.POST, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.user_update(
                        actor=request.user,
                        user=user,
                        email=data["email"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        is_active=data["is_active"],
                    )
                    services.user_set_roles(actor=request.user, user=user, roles=data["roles"])
            except (ValidationError, ConflictError) as exc:
                user.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, f"User {user.username} was saved.")
                return redirect("accounts:user_edit", user_id=user.pk)
    context = {
        "subject": user,
        "form": form,
        "password_form": password_form,
        "tokens": selectors.token_list(actor=request.user, user=user),
        "roles": role_descriptions(),
    }
    status = 422 if form.errors or password_form.errors else 200
    return render(request, "accounts/user_form.html", context, status=status)
