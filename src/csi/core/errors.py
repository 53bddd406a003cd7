"""Domain errors that every interface (UI, API, CLI) turns into its own form of the same message."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The request is valid but clashes with what is stored (a duplicate key, a stale state).

    The API answers 409; forms show the message on `field` when given.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TooMuchWork(ValidationError):
    """The request would do more work than the server allows (too many groups, too long a run); the
    message says the bound and how to narrow the request. A ValidationError keyed by `field`: the API
    answers 422, a form shows it on the field, the CLI prints it."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__({field: message})
        self.field = field
