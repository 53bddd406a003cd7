"""Evidence on CSI register entries: an analytics query run when it is attached, its rows frozen
(later imports or rule changes do not alter them), with a link to the live page.

Every function checks the actor's permission first, validates before it writes, runs in one
transaction and is audited in the entry's history, so a refused call changes nothing."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404
from django.urls import reverse

from csi.analytics import attainment as analytics_attainment
from csi.analytics import selectors as analytics_selectors
from csi.core.permissions import require
from csi.core.services import Actor, model_create, model_delete
from csi.improvement.models import Evidence, Opportunity
from csi.improvement.services.common import bump_version
from csi.improvement.services.register import _check_fields, _locked, _refuse_if_final, _user
from csi.standards import selectors as standards_selectors

EVIDENCE_PARAMS: dict[str, tuple[set[str], set[str]]] = {  # kind: (required, optional)
    "attainment": ({"standard_key"}, {"period"}),
    "tickets": ({"source_key"}, {"by", "start", "end"}),
    "pareto": ({"standard_key", "attribute"}, set()),
}


def _plain(value: Any) -> Any:
    """JSON-safe rows: dates and times as ISO text, decimals as text, NaN and infinities as null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _parsed(text: str | None) -> date | datetime | None:
    """A bound recorded by `_day` back as the date or time it names."""
    if text is None:
        return None
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def _day(params: dict[str, Any], name: str) -> str | None:
    """A date or time bound as ISO text (what the query records), or None when not given."""
    value = params.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: f"'{value}' is not a date (use YYYY-MM-DD)."}) from None
    return parsed.date().isoformat() if len(text) == 10 else parsed.isoformat()


def _standard_service_key(actor: Actor, key: Any) -> str:
    try:
        standard = standards_selectors.standard_get(actor=actor, key=str(key))
    except ObjectDoesNotExist:
        raise ValidationError({"standard_key": f"There is no standard '{key}'."}) from None
    return standard.service.key


def _evidence_query(actor: Actor, kind: str, params: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(query, title, link) for the evidence, validating every parameter before anything runs."""
    if kind not in EVIDENCE_PARAMS:
        raise ValueError(f"unknown evidence kind '{kind}' (use one of: {', '.join(EVIDENCE_PARAMS)})")
    required, optional = EVIDENCE_PARAMS[kind]
    _check_fields(params, required | optional)
    missing = sorted(name for name in required if params.get(name) in (None, ""))
    if missing:
        raise ValidationError(dict.fromkeys(missing, "This parameter is required."))
    if kind == "tickets":
        key = str(params["source_key"])
        by = params.get("by") or None
        query = {"source_key": key, "by": by, "start": _day(params, "start"), "end": _day(params, "end")}
        title = f"Tickets of {key}" + (f" by {by}" if by else "")
        title += (f" from {query['start']}" if query["start"] else "") + (
            f" to {query['end']}" if query["end"] else ""
        )
        return query, title, reverse("measures:source_detail", args=[key])
    standard_key = str(params["standard_key"])
    service_key = _standard_service_key(actor, standard_key)
    page = reverse("analytics:service", args=[service_key])
    if kind == "attainment":
        period = str(params.get("period") or "month")
        if period not in analytics_selectors.PERIODS:
            raise ValidationError({"period": f"Use one of: {', '.join(analytics_selectors.PERIODS)}."})
        query = {"standard_key": standard_key, "period": period}
        return (
            query,
            f"Attainment of {standard_key} per {period}",
            f"{page}?standard={standard_key}&period={period}",
        )
    attribute = str(params["attribute"])
    if attribute not in analytics_attainment.PARETO_ATTRIBUTES:
        raise ValidationError(
            {"attribute": f"Use one of: {', '.join(analytics_attainment.PARETO_ATTRIBUTES)}."}
        )
    query = {"standard_key": standard_key, "attribute": attribute}
    return (
        query,
        f"Breaches of {standard_key} by {attribute}",
        f"{page}?standard={standard_key}&attribute={attribute}",
    )


def _evidence_rows(actor: Actor, kind: str, query: dict[str, Any]) -> list[Any]:
    """The analytics selector's rows for the query, now, JSON-safe."""
    rows: list[Any]
    try:
        if kind == "attainment":
            rows = analytics_selectors.attainment_table(
                actor=actor, standard_key=query["standard_key"], period=query["period"]
            )
        elif kind == "pareto":
            rows = analytics_selectors.breach_pareto(
                actor=actor, standard_key=query["standard_key"], attribute=query["attribute"]
            )
        else:
            rows = analytics_selectors.tickets_report(
                actor=actor,
                source_key=query["source_key"],
                by=query["by"],
                start=_parsed(query["start"]),
                end=_parsed(query["end"]),
            )
    except Http404 as exc:
        raise ValidationError({"source_key": str(exc)}) from None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    plain: list[Any] = _plain(rows)
    return plain


@transaction.atomic
def evidence_attach(*, actor: Actor, opportunity: Opportunity, kind: str, params: dict[str, Any]) -> Evidence:
    """Run an analytics query now and attach its rows to the entry, frozen: `query` records what was
    asked, `result` the rows as they were (later imports or rule changes do not alter them), `link` the
    live page. Kinds: attainment (standard_key, period), tickets (source_key, by, start, end), pareto
    (standard_key, attribute). ValueError for an unknown kind, ValidationError for bad parameters,
    ConflictError once the entry is decided; nothing is stored then. Bumps the entry's version."""
    current = _locked(opportunity)
    require(actor, "improvement.change_opportunity", current)
    _refuse_if_final(current, "evidence stays")
    query, title, link = _evidence_query(actor, kind, params)
    rows = _evidence_rows(actor, kind, query)
    limit = Evidence._meta.get_field("title").max_length or 300
    evidence = model_create(
        actor=actor,
        model=Evidence,
        data={
            "opportunity": current,
            "kind": kind,
            "title": title[:limit],
            "query": {"kind": kind, **query},
            "result": rows,
            "link": link,
            "attached_by": _user(actor),
        },
        scope=current,
    )
    bump_version(current)
    return evidence


@transaction.atomic
def evidence_remove(*, actor: Actor, evidence: Evidence) -> None:
    """Detach evidence from an entry that is not decided yet (whoever may change the entry). Audited in
    the entry's history; bumps the entry's version."""
    current = _locked(evidence.opportunity)
    require(actor, "improvement.change_opportunity", current)
    _refuse_if_final(current, "evidence stays")
    model_delete(actor=actor, instance=evidence, scope=current)
    bump_version(current)
