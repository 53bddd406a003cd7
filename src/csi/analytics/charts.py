"""Chart specifications: Vega-Lite v6 as plain dicts, built from plain rows (lists of dicts).

One spec, two outputs: pages put it in the `includes/_chart.html` include (the browser draws it with
the vendored vega-embed, see static/csi/charts.js) and PDF reports turn it into SVG with `render_svg`,
offline. The `$schema` URL only names the Vega-Lite version; nothing ever fetches it. Data is always
inline, so neither output reads anything from the network.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import vl_convert

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
HEIGHT = 240
SVG_WIDTH = 640  # "container" width has no container in a PDF

# Status colours with a legend (the colour is never the only cue) and at least 3:1 contrast on white.
MET = "#2e7d32"
NEAR = "#b26a00"
MISSED = "#c62828"
BAR = "#1565c0"
LINE = "#424242"
TARGET = "#212121"

_ID = re.compile(r"[A-Za-z][\w-]*")


def attainment_chart(
    rows: Iterable[Mapping[str, Any]], target_percent: float, title: str, *, near_points: float = 5.0
) -> dict[str, Any]:
    """Bars of attainment per period, coloured by status against the target: met (at or above),
    near (below by at most `near_points`), missed; a dashed rule marks the target.

    Rows: {period: "2016-03", attainment_percent, tickets, breached}, drawn in period order; a
    period with no attainment (None) shows no bar."""
    target = float(target_percent)
    statuses = ("Met target", f"Within {near_points:g} points", "Missed target")
    values = []
    for row in sorted(rows, key=lambda row: str(row["period"])):
        attainment = _number(row.get("attainment_percent"))
        status = None
        if attainment is not None:
            status = statuses[0 if attainment >= target else 1 if attainment >= target - near_points else 2]
        values.append(
            {
                "period": str(row["period"]),
                "attainment_percent": attainment,
                "tickets": _number(row.get("tickets")),
                "breached": _number(row.get("breached")),
                "status": status,
            }
        )
    bars = {
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "title": "Period",
                # Every period gets its place, also one without a bar.
                "scale": {"domain": [value["period"] for value in values]},
                "axis": {"labelAngle": 0 if len(values) <= 12 else -40},
            },
            "y": {
                "field": "attainment_percent",
                "type": "quantitative",
                "title": "Attainment (%)",
                "scale": {"domain": [0, 100]},
            },
            "color": {
                "field": "status",
                "type": "nominal",
                "title": "Status",
                "scale": {"domain": list(statuses), "range": [MET, NEAR, MISSED]},
                "legend": {"orient": "bottom"},
            },
            "tooltip": [
                {"field": "period", "title": "Period"},
                {
                    "field": "attainment_percent",
                    "type": "quantitative",
                    "title": "Attainment (%)",
                    "format": ".1f",
                },
                {"field": "tickets", "type": "quantitative", "title": "Tickets"},
                {"field": "breached", "type": "quantitative", "title": "Breached"},
                {"field": "status", "title": "Status"},
            ],
        },
    }
    return _spec(title, [bars, *_rule("y", target, f"Target {target:g}%")])


def duration_histogram(
    rows: Iterable[Mapping[str, Any]], threshold_hours: float, title: str
) -> dict[str, Any]:
    """Tickets per duration bucket, buckets from the threshold on in the "over" colour, and a dashed
    rule at the threshold. Rows: {bucket_start_hours, bucket_end_hours, tickets}."""
    threshold = float(threshold_hours)
    values = []
    for row in sorted(rows, key=lambda row: float(row["bucket_start_hours"])):
        start = float(row["bucket_start_hours"])
        values.append(
            {
                "bucket_start_hours": start,
                "bucket_end_hours": float(row["bucket_end_hours"]),
                "tickets": _number(row.get("tickets")),
                "side": "Over threshold" if start >= threshold else "Within threshold",
            }
        )
    bars = {
        "data": {"values": values},
        "mark": {"type": "bar", "binSpacing": 1},
        "encoding": {
            "x": {
                "field": "bucket_start_hours",
                "bin": "binned",
                "type": "quantitative",
                "title": "Duration (hours)",
            },
            "x2": {"field": "bucket_end_hours"},
            "y": {"field": "tickets", "type": "quantitative", "title": "Tickets"},
            "color": {
                "field": "side",
                "type": "nominal",
                "title": None,
                "scale": {"domain": ["Within threshold", "Over threshold"], "range": [BAR, MISSED]},
                "legend": {"orient": "bottom"},
            },
            "tooltip": [
                {"field": "bucket_start_hours", "type": "quantitative", "title": "From (hours)"},
                {"field": "bucket_end_hours", "type": "quantitative", "title": "To (hours)"},
                {"field": "tickets", "type": "quantitative", "title": "Tickets"},
            ],
        },
    }
    return _spec(title, [bars, *_rule("x", threshold, f"Threshold {threshold:g} h")])


def backlog_chart(rows: Iterable[Mapping[str, Any]], title: str) -> dict[str, Any]:
    """Open tickets over time, a line with points. Rows: {at: ISO date or datetime (UTC), backlog}."""
    values: list[dict[str, Any]] = [
        {"at": _iso(row["at"]), "backlog": _number(row.get("backlog"))} for row in rows
    ]
    values.sort(key=lambda value: str(value["at"]))
    line = {
        "data": {"values": values},
        "mark": {"type": "line", "point": {"color": BAR}, "color": BAR},
        "encoding": {
            "x": {"field": "at", "type": "temporal", "title": "Date", "scale": {"type": "utc"}},
            "y": {"field": "backlog", "type": "quantitative", "title": "Open tickets"},
            "tooltip": [
                {
                    "field": "at",
                    "type": "temporal",
                    "title": "Date",
                    "format": "%Y-%m-%d",
                    "formatType": "utc",
                },
                {"field": "backlog", "type": "quantitative", "title": "Open tickets"},
            ],
        },
    }
    return _spec(title, [line])


def pareto_chart(rows: Iterable[Mapping[str, Any]], title: str) -> dict[str, Any]:
    """Breaches per value (a category, group, service...), largest first, with the cumulative share
    as a line on a second axis (0-100 %). Rows: {value, breaches}."""
    ranked: list[dict[str, Any]] = [
        {"value": str(row["value"]), "breaches": _number(row.get("breaches")) or 0} for row in rows
    ]
    ranked.sort(key=lambda row: (-row["breaches"], row["value"]))
    total = sum(row["breaches"] for row in ranked)
    running = 0.0
    for row in ranked:
        running += row["breaches"]
        row["cumulative_percent"] = round(100 * running / total, 2) if total else 0.0
    x = {
        "field": "value",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelAngle": -40, "labelLimit": 140},
    }
    bars = {
        "mark": {"type": "bar", "color": BAR},
        "encoding": {
            "x": x,
            "y": {"field": "breaches", "type": "quantitative", "title": "Breaches"},
            "tooltip": [
                {"field": "value", "title": "Value"},
                {"field": "breaches", "type": "quantitative", "title": "Breaches"},
                {
                    "field": "cumulative_percent",
                    "type": "quantitative",
                    "title": "Cumulative (%)",
                    "format": ".1f",
                },
            ],
        },
    }
    line = {
        "mark": {"type": "line", "point": {"color": NEAR}, "color": NEAR},
        "encoding": {
            "x": x,
            "y": {
                "field": "cumulative_percent",
                "type": "quantitative",
                "title": "Cumulative (%)",
                "scale": {"domain": [0, 100]},
                "axis": {"orient": "right"},
            },
        },
    }
    spec = _spec(title, [bars, line])
    spec["data"] = {"values": ranked}
    spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


def trend_chart(
    rows: Iterable[Mapping[str, Any]], title: str, *, value_title: str = "Value"
) -> dict[str, Any]:
    """A measure per period as a line, with its least-squares trend as a dashed line.

    Rows: {period, value}; a period is a date, an ISO date or datetime, or a month "2016-03"."""
    values: list[dict[str, Any]] = [
        {"period": _iso(row["period"]), "value": _number(row.get("value"))} for row in rows
    ]
    values.sort(key=lambda value: str(value["period"]))
    x = {"field": "period", "type": "temporal", "title": "Period", "scale": {"type": "utc"}}
    y = {"field": "value", "type": "quantitative", "title": value_title, "scale": {"zero": False}}
    measured = {
        "mark": {"type": "line", "point": {"color": BAR}, "color": BAR},
        "encoding": {
            "x": x,
            "y": y,
            "tooltip": [
                {
                    "field": "period",
                    "type": "temporal",
                    "title": "Period",
                    "format": "%Y-%m-%d",
                    "formatType": "utc",
                },
                {"field": "value", "type": "quantitative", "title": value_title},
            ],
        },
    }
    trend = {
        "transform": [{"filter": "isValid(datum.value)"}, {"regression": "value", "on": "period"}],
        "mark": {"type": "line", "color": LINE, "strokeDash": [6, 4]},
        "encoding": {"x": x, "y": y},
    }
    spec = _spec(title, [measured, trend])
    spec["data"] = {"values": values, "format": {"parse": {"period": "date"}}}
    return spec


def chart_context(
    chart_id: str,
    spec: Mapping[str, Any],
    title: str,
    description: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> dict[str, Any]:
    """What `includes/_chart.html` expects as `chart`: the element ids, the spec (its description set
    to `description`, which the SVG and the page use as the chart's accessible description), and the
    same figures as a table (columns, rows), the chart's text alternative. The first column labels
    each row."""
    if not _ID.fullmatch(chart_id):
        raise ValueError(
            f"chart id {chart_id!r} must start with a letter and hold only letters, digits, _ and -"
        )
    full = copy.deepcopy(dict(spec))
    if description:
        full["description"] = description
    return {
        "id": chart_id,
        "spec_id": f"{chart_id}-spec",
        "spec": full,
        "title": title,
        "description": description,
        "table": {"columns": list(columns), "rows": [list(row) for row in rows]},
    }


def render_svg(spec: Mapping[str, Any], *, width: int = SVG_WIDTH) -> str:
    """The spec drawn as an SVG document by vl-convert (embedded Deno, no browser). "container"
    widths become `width` pixels. No URL may be loaded (`allowed_base_urls=[]`): the data is inline."""
    drawn = copy.deepcopy(dict(spec))
    if drawn.get("width") == "container":
        drawn["width"] = width
    svg: str = vl_convert.vegalite_to_svg(drawn, vl_version=vl_convert_version(), allowed_base_urls=[])
    return svg


@functools.cache
def vl_convert_version() -> str:
    """The newest Vega-Lite 6 that vl-convert bundles (6.4 in vl-convert 1.9; the browser runs the
    vendored 6.5.0, which reads the same specs)."""
    versions = [version for version in vl_convert.get_vegalite_versions() if version.startswith("6.")]
    if not versions:
        raise RuntimeError("the installed vl-convert-python bundles no Vega-Lite 6")
    return max(versions, key=lambda version: tuple(int(part) for part in version.split(".")))


def _spec(title: str, layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "layer": layers,
    }


def _rule(channel: str, at: float, label: str) -> list[dict[str, Any]]:
    """A dashed line at `at` on the x or y channel, labelled at its end."""
    data = {"values": [{"at": at, "label": label}]}
    position = {channel: {"field": "at", "type": "quantitative"}}
    if channel == "y":
        text_mark = {"type": "text", "align": "right", "baseline": "bottom", "x": "width", "dx": -2, "dy": -3}
    else:
        text_mark = {"type": "text", "align": "left", "baseline": "top", "y": 0, "dx": 4}
    return [
        {
            "data": data,
            "mark": {"type": "rule", "color": TARGET, "strokeDash": [6, 4], "size": 2},
            "encoding": position,
        },
        {
            "data": data,
            "mark": {**text_mark, "color": TARGET, "fontWeight": "bold"},
            "encoding": {**position, "text": {"field": "label"}},
        },
    ]


def _number(value: Any) -> float | int | None:
    """A JSON number for the spec (Decimal and NumPy numbers are not JSON); None stays None."""
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return int(value)  # also turns a bool into 0 or 1
    if isinstance(value, Decimal):
        return float(value)
    item = getattr(value, "item", None)  # a NumPy scalar gives its Python number
    return _number(item()) if callable(item) else float(value)


def _iso(value: Any) -> str:
    """A date for Vega (parsed as UTC): datetimes to ISO-8601, months "2016-03" to their first day."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{text}-01"
    return text
