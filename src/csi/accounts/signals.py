"""Sign-ins and sign-outs go into the audit trail, like every other change of state."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from csi.core.services import audit_record


@receiver(user_logged_in, dispatch_uid="csi_audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, verb="login", obj=user)


@receiver(user_logged_out, dispatch_uid="csi_audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, verb="logout", obj=user)
