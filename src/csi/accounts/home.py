"""The accounts app's contribution to the home page's to-do list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from csi.accounts.models import ApiToken, User
from csi.core.home import ActionItem

EXPIRY_WARNING = timedelta(days=14)


def account_actions(user: Any) -> Iterator[ActionItem]:
    if not user.groups.exists() and not user.is_superuser:
        yield ActionItem(
            title="You hold no role yet",
            detail="Without a role you can only read. Ask an administrator to give you the role you work in.",
            url=reverse("accounts:profile"),
            link_text="See your profile",
            urgency="high",
        )
    soon = timezone.now() + EXPIRY_WARNING
    expiring = ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now(), expires_at__lte=soon
    )
    for token in expiring:
        days = max(0, (token.expires_at - timezone.now()).days) if token.expires_at else 0
        yield ActionItem(
            title=f"API token “{token.name}” expires in {days} day{'s' if days != 1 else ''}",
            detail="Create a replacement and switch the tool that uses it before it stops working.",
            url=reverse("accounts:profile"),
            link_text="Manage your tokens",
        )
    if user.has_perm("accounts.manage_users"):
        count = User.objects.filter(is_active=True, groups__isnull=True, is_superuser=False).count()
        if count:
            yield ActionItem(
                title=f"{count} user{'s' if count != 1 else ''} without a role",
                detail="They can sign in but do nothing. Give each the role they work in.",
                url=reverse("accounts:user_list") + "?role=none",
                link_text="Assign roles",
                urgency="high",
            )
