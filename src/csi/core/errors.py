"""Domain errors that every interface (UI, API, CLI) turns into its own form of the same message."""

from __future__ import annotations


class ConflictError(Exception):
    """The request is valid but clashes with what is stored (a duplicate key, a stale state).

    The API answers 409; forms show the message on `field` when given.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
