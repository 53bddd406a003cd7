"""Attainment of standards measured by metric samples (availability, custom metrics) and survey
answers (CSAT), per local day, as Ibis expressions.

A sample or answer counts for a service when one of its source's rules maps it there (by configuration
item for samples, by category for answers). Availability: a sample with `good` and `total` adds them
(good time slices or requests of all); a sample with only `value` adds one slice, good when the value is
1 (up). A period's availability is good / total in percent, compared with the threshold. A custom metric
counts the samples of that metric (`metric` = the standard's custom metric name) meeting the threshold.
CSAT: an answer is satisfied when its score meets the threshold (e.g. 4 or more); a period's figure is
the share of satisfied answers, compared with the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from csi.analytics.attainment import _days_table


@dataclass(frozen=True)
class RecordTarget:
    version_id: int
    service_key: str
    metric: str  # availability, csat or custom
    custom_metric: str
    comparator: str
    threshold: float
    window_time_zone: str
    effective_from: datetime
    effective_to: datetime | None


def _compare(value: ir.NumericValue, comparator: str, threshold: float) -> ir.BooleanValue:
    return {
        "lte": value <= threshold,
        "lt": value < threshold,
        "gte": value >= threshold,
        "gt": value > threshold,
    }[comparator]


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def record_days(
    con: ibis.BaseBackend,
    records: ir.Table,
    kind: str,
    rules: list[tuple[str, str, tuple[str, ...]]],
    targets: list[RecordTarget],
) -> list[dict[str, Any]]:
    """Per target and local day: `tickets` (slices, samples or answers counted), `met` (good ones),
    `near_breached` 0. `rules` are (service key, field, values)."""
    moment = "sampled_at" if kind == "metric_samples" else "answered_at"
    rows: list[dict[str, Any]] = []
    for target in targets:
        fields = [(field, values) for service, field, values in rules if service == target.service_key]
        if not fields or (kind == "metric_samples") == (target.metric == "csat"):
            continue
        condition = ibis.literal(False)
        for field, values in fields:
            condition |= records[field].isin(list(values)).fill_null(False)
        mine = records.filter(condition & (records[moment] >= _naive(target.effective_from)))
        if target.effective_to is not None:
            mine = mine.filter(mine[moment] < _naive(target.effective_to))
        if kind == "metric_samples":
            wanted = target.custom_metric if target.metric == "custom" else "availability"
            mine = mine.filter(mine.metric == wanted)
            if target.metric == "custom":
                weight, good = (
                    ibis.literal(1.0),
                    _compare(mine.value, target.comparator, target.threshold).cast("float64"),
                )
            else:
                has_pair = mine.total.notnull() & mine.good.notnull()
                weight = ibis.cases((has_pair, mine.total), else_=1.0)
                good = ibis.cases((has_pair, mine.good), else_=(mine.value >= 1).cast("float64"))
        else:
            weight, good = (
                ibis.literal(1.0),
                _compare(mine.score, target.comparator, target.threshold).cast("float64"),
            )
        measured = mine.select(at=mine[moment], weight=weight, good=good)
        span = con.to_pyarrow(
            measured.aggregate(first=measured.at.min(), last=measured.at.max())
        ).to_pylist()[0]
        if span["first"] is None:
            continue
        days = _days_table(target.window_time_zone, span["first"], span["last"])
        dated = measured.join(days, [measured.at >= days.day_from, measured.at < days.day_to])
        daily = dated.group_by("local_day").aggregate(total=dated.weight.sum(), good=dated.good.sum())
        for row in con.to_pyarrow(daily).to_pylist():
            rows.append(
                {
                    "version_id": target.version_id,
                    "day": row["local_day"],
                    "tickets": round(float(row["total"] or 0)),
                    "met": round(float(row["good"] or 0)),
                    "near_breached": 0,
                }
            )
    return rows
