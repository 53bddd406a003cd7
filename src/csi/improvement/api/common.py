"""What the improvement endpoints share: path parameters, and turning the names a client sends (keys,
numbers, usernames, ids) into objects through the selectors, an unknown one being a 422 on its field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest
from ninja import Path

from csi.accounts import selectors as account_selectors
from csi.api.pagination import MAX_ID
from csi.catalog import selectors as catalog_selectors
from csi.improvement.models import Initiative, Opportunity, Plan
from csi.improvement.schemas.common import INITIATIVE_NUMBER, KEY, OPPORTUNITY_NUMBER
from csi.improvement.selectors import initiatives as initiative_selectors
from csi.improvement.selectors import plans as plan_selectors
from csi.improvement.selectors import register as register_selectors
from csi.measures import selectors as measures_selectors
from csi.standards import selectors as standards_selectors

T = TypeVar("T")

KeyPath = Path(..., pattern=KEY, max_length=63, description="The plan's key")
OpportunityPath = Path(..., pattern=OPPORTUNITY_NUMBER, max_length=20, description="CSI-0001")
InitiativePath = Path(..., pattern=INITIATIVE_NUMBER, max_length=20, description="INI-0001")
IdPath = Path(..., ge=1, le=MAX_ID)


def action_path(table: Mapping[str, Any]) -> Any:
    """The `{action}` path parameter: one of the transition table's actions (another answers 422)."""
    actions = list(table)
    return Path(
        ...,
        pattern="^(" + "|".join(actions) + ")$",
        max_length=max(len(a) for a in actions),
        description="One of: " + ", ".join(actions),
    )


def found(field: str, what: str, name: Any, read: Callable[[], T]) -> T:
    """`read()`, or a ValidationError on `field` when what it names does not exist."""
    try:
        return read()
    except (ObjectDoesNotExist, Http404):
        raise ValidationError({field: f"There is no {what} '{name}'."}) from None


def user(field: str, username: str | None) -> Any:
    if not username:
        return None
    return found(field, "user", username, lambda: account_selectors.user_get_by_username(username))


def service(request: HttpRequest, field: str, key: str | None) -> Any:
    if not key:
        return None
    return found(field, "service", key, lambda: catalog_selectors.service_get(actor=request.user, key=key))


def process(request: HttpRequest, field: str, key: str | None) -> Any:
    if not key:
        return None
    return found(field, "process", key, lambda: catalog_selectors.process_get(actor=request.user, key=key))


def standard(request: HttpRequest, field: str, key: str | None) -> Any:
    if not key:
        return None
    return found(
        field, "service standard", key, lambda: standards_selectors.standard_get(actor=request.user, key=key)
    )


def data_source(request: HttpRequest, field: str, key: str | None) -> Any:
    if not key:
        return None
    return found(
        field, "data source", key, lambda: measures_selectors.source_get(actor=request.user, key=key)
    )


def plan(request: HttpRequest, field: str, key: str | None) -> Plan | None:
    if not key:
        return None
    return found(field, "plan", key, lambda: plan_selectors.plan_get(actor=request.user, key=key))


def opportunity(request: HttpRequest, field: str, number: str | None) -> Opportunity | None:
    if not number:
        return None
    return found(
        field,
        "register entry",
        number,
        lambda: register_selectors.opportunity_get(actor=request.user, number=number),
    )


def initiative(request: HttpRequest, field: str, number: str | None) -> Initiative | None:
    if not number:
        return None
    return found(
        field,
        "initiative",
        number,
        lambda: initiative_selectors.initiative_get(actor=request.user, number=number),
    )


def required(value: T | None) -> T:
    """A lookup of a required field: it names something (the schema made sure it was sent)."""
    if value is None:
        raise ValidationError("A required field is missing.")
    return value


def resolve(data: dict[str, Any], readers: dict[str, Callable[[str, Any], Any]]) -> dict[str, Any]:
    """`data` with each field named in `readers` that was sent replaced by what it names."""
    result = dict(data)
    for field, read in readers.items():
        if field in result:
            result[field] = read(field, result[field])
    return result


def each(field: str, names: Iterable[str], read: Callable[[str, str], T]) -> list[T]:
    """Every name in `names` read; the first unknown one is a 422 on `field`."""
    return [read(field, name) for name in dict.fromkeys(names)]
