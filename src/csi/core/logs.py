"""Log records shaped so that a search for real errors finds only real errors."""

from __future__ import annotations

import logging
from typing import Any

REFUSAL_ATTRIBUTE = "csi_refusal"


def note_refusal(request: Any, message: str) -> None:
    """Remember why `request` was refused, for the one line `OneLineRefusals` writes."""
    setattr(request, REFUSAL_ATTRIBUTE, message)


def _who(request: Any) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.get_username())
    return "anonymous"


class OneLineRefusals(logging.Filter):
    """On `django.request`: a 403 becomes one WARNING line naming the user, the method, the path and the
    refusal, without the traceback Django attaches to a PermissionDenied. Other records pass unchanged
    (a 500 keeps its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        exception = record.exc_info[1] if record.exc_info else None
        reason = getattr(request, REFUSAL_ATTRIBUTE, "") or (str(exception) if exception else "")
        record.msg = "Refused %s %s for %s: %s"
        record.args = (
            getattr(request, "method", "-"),
            getattr(request, "path", "-"),
            _who(request),
            (reason or "permission denied").replace("\n", " "),
        )
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
