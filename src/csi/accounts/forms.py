"""Forms for signing in, users, roles and tokens. They validate input; the services do the writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from csi.accounts.choices import ROLE_DESCRIPTIONS, Role

ROLE_CHOICES = [(r.value, r.label) for r in Role]


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or password is wrong. Both are case-sensitive.",
    }


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", ROLE_CHOICES)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "A user may hold several roles.")
        super().__init__(**kwargs)


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @ . + - _ only.")
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to create an account that cannot sign in until a password is set.",
    )
    roles = RolesField()


class UserEditForm(forms.Form):
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    is_active = forms.BooleanField(required=False, label="Active (may sign in)")
    roles = RolesField()


class SetPasswordForm(forms.Form):
    new_password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), label="New password"
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'monitoring import job'.")
    expires_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Expires after (days)",
        help_text="Empty: never expires.",
    )


def role_descriptions() -> list[tuple[str, str, str]]:
    return [(r.value, r.label, ROLE_DESCRIPTIONS[r]) for r in Role]
