"""Chart specs: each builder's spec renders offline to SVG with the expected marks and labels, and the
chart include escapes whatever the data holds."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string

from csi.analytics import charts

HOSTILE = "</script><script>alert(1)</script>"

ATTAINMENT_ROWS: list[dict[str, Any]] = [
    {"period": "2016-04", "attainment_percent": 97.0, "tickets": 120, "breached": 4},
    {"period": "2016-03", "attainment_percent": 88.0, "tickets": 131, "breached": 16},
    {"period": "2016-05", "attainment_percent": Decimal("93.5"), "tickets": 98, "breached": 6},
    {"period": "2016-06", "attainment_percent": None, "tickets": 0, "breached": 0},
]


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def marks(svg: str, mark: str) -> int:
    """How many marks of a kind the SVG's chart layers (not axes or legends) draw."""
    groups = re.findall(rf'<g class="mark-{mark} role-mark[^"]*"[^>]*>(.*?)</g>', svg, flags=re.DOTALL)
    return sum(len(re.findall(r"<(?:path|line|text)\b", group)) for group in groups)


def layer_values(spec: dict[str, Any], index: int = 0) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = spec["layer"][index]["data"]["values"]
    return values


def test_attainment_chart() -> None:
    spec = charts.attainment_chart(ATTAINMENT_ROWS, 95, "Resolution attainment P1")
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    assert spec["width"] == "container"
    values = layer_values(spec)
    assert [value["period"] for value in values] == ["2016-03", "2016-04", "2016-05", "2016-06"]
    assert [value["status"] for value in values] == ["Missed target", "Met target", "Within 5 points", None]
    json.dumps(spec)  # Decimal became a JSON number

    svg = charts.render_svg(spec)
    labels = texts(svg)
    assert svg.startswith("<svg") and 'width="640"' in svg
    assert "Resolution attainment P1" in labels
    assert {"2016-03", "2016-04", "2016-05", "2016-06"} <= set(labels)  # every period has its place
    assert "Target 95%" in labels
    assert {"Met target", "Within 5 points", "Missed target"} <= set(labels)  # a legend, not colour alone
    assert marks(svg, "rect") == 3  # the period without attainment draws no bar
    assert marks(svg, "rule") == 1
    assert charts.MISSED in svg and charts.MET in svg and charts.NEAR in svg


def test_attainment_near_band_is_a_parameter() -> None:
    spec = charts.attainment_chart(ATTAINMENT_ROWS, 95, "Attainment", near_points=10)
    assert [value["status"] for value in layer_values(spec)][:3] == [
        "Within 10 points",
        "Met target",
        "Within 10 points",
    ]


def test_duration_histogram() -> None:
    rows = [
        {"bucket_start_hours": start, "bucket_end_hours": start + 4, "tickets": tickets}
        for start, tickets in [(8, 40), (0, 50), (4, 81), (12, 7)]
    ]
    spec = charts.duration_histogram(rows, 8, "Resolution time, priority 2")
    assert [value["side"] for value in layer_values(spec)] == [
        "Within threshold",
        "Within threshold",
        "Over threshold",
        "Over threshold",
    ]
    svg = charts.render_svg(spec)
    labels = texts(svg)
    assert "Resolution time, priority 2" in labels and "Threshold 8 h" in labels
    assert "Duration (hours)" in labels and "Tickets" in labels
    assert marks(svg, "rect") == 4
    assert marks(svg, "rule") == 1


def test_backlog_chart() -> None:
    rows = [{"at": f"2024-01-{day:02d}", "backlog": 100 + 3 * day} for day in range(14, 0, -1)]
    spec = charts.backlog_chart(rows, "Open incidents")
    assert layer_values(spec)[0] == {"at": "2024-01-01", "backlog": 103}
    svg = charts.render_svg(spec)
    labels = texts(svg)
    assert "Open incidents" in labels and "Open tickets" in labels
    assert marks(svg, "line") == 1
    assert marks(svg, "symbol") == 14


def test_pareto_chart() -> None:
    rows = [
        {"value": "Network", "breaches": 5},
        {"value": "Email", "breaches": 40},
        {"value": "Printing", "breaches": 15},
    ]
    spec = charts.pareto_chart(rows, "Breaches by category")
    values = spec["data"]["values"]
    assert [value["value"] for value in values] == ["Email", "Printing", "Network"]
    assert [value["cumulative_percent"] for value in values] == [66.67, 91.67, 100.0]
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    svg = charts.render_svg(spec)
    labels = texts(svg)
    assert {"Breaches by category", "Email", "Printing", "Network", "Cumulative (%)"} <= set(labels)
    assert "100" in labels  # the second axis runs to 100 %
    assert marks(svg, "rect") == 3
    assert marks(svg, "line") == 1


def test_pareto_chart_without_breaches() -> None:
    spec = charts.pareto_chart([{"value": "Email", "breaches": 0}], "Nothing breached")
    assert spec["data"]["values"][0]["cumulative_percent"] == 0.0
    assert "Nothing breached" in texts(charts.render_svg(spec))


def test_trend_chart() -> None:
    rows = [{"period": f"2016-{month:02d}", "value": 80 + month} for month in range(1, 13)]
    spec = charts.trend_chart(rows, "Attainment trend", value_title="Attainment (%)")
    assert spec["data"]["values"][0] == {"period": "2016-01-01", "value": 81}
    assert {"regression": "value", "on": "period"} in spec["layer"][1]["transform"]
    svg = charts.render_svg(spec)
    labels = texts(svg)
    assert {"Attainment trend", "Attainment (%)", "2016"} <= set(labels)
    assert marks(svg, "line") == 2  # the measured line and its trend
    assert 'stroke-dasharray="6,4"' in svg


def test_render_svg_reads_nothing_from_the_network() -> None:
    spec = {"$schema": charts.SCHEMA, "data": {"url": "https://example.com/data.csv"}, "mark": "bar"}
    with pytest.raises(ValueError, match="not allowed"):
        charts.render_svg(spec)


def test_render_svg_keeps_the_spec() -> None:
    spec = charts.backlog_chart([{"at": "2024-01-01", "backlog": 1}], "Backlog")
    charts.render_svg(spec, width=300)
    assert spec["width"] == "container"


def test_chart_context() -> None:
    spec = charts.backlog_chart([{"at": "2024-01-01", "backlog": 4}], "Backlog")
    context = charts.chart_context(
        "backlog-1", spec, "Backlog", "Open tickets per day", ["Date", "Open"], [("2024-01-01", 4)]
    )
    assert context["id"] == "backlog-1" and context["spec_id"] == "backlog-1-spec"
    assert context["spec"]["description"] == "Open tickets per day"
    assert "description" not in spec  # the caller's spec is left alone
    assert context["table"] == {"columns": ["Date", "Open"], "rows": [["2024-01-01", 4]]}
    with pytest.raises(ValueError, match="chart id"):
        charts.chart_context("not an id", spec, "Backlog", "", [], [])


def test_include_renders_spec_container_and_table() -> None:
    spec = charts.attainment_chart(ATTAINMENT_ROWS, 95, "Attainment")
    context = charts.chart_context(
        "attainment",
        spec,
        "Attainment",
        "Per month",
        ["Period", "Attainment (%)"],
        [["2016-03", 88.0], ["2016-04", 97.0]],
    )
    html = render_to_string("includes/_chart.html", {"chart": context})
    assert '<script id="attainment-spec" type="application/json">' in html
    assert '<div class="chart" id="attainment" data-chart="attainment-spec"></div>' in html
    assert "<summary>Data: Attainment</summary>" in html
    assert '<th scope="col">Attainment (%)</th>' in html
    assert '<th scope="row">2016-03</th><td>88.0</td>' in html
    assert json.loads(script_json(html, "attainment-spec")) == json.loads(json.dumps(context["spec"]))


def test_include_escapes_hostile_values() -> None:
    rows = [{"value": HOSTILE, "breaches": 3}, {"value": "Email", "breaches": 1}]
    spec = charts.pareto_chart(rows, f"Breaches {HOSTILE}")
    context = charts.chart_context(
        "pareto", spec, f"Title {HOSTILE}", f"About {HOSTILE}", ["Value", "Breaches"], [[HOSTILE, 3]]
    )
    html = render_to_string("includes/_chart.html", {"chart": context})
    assert HOSTILE not in html
    assert "<script>alert" not in html
    assert html.count("</script>") == 1  # only the end of the JSON element itself
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)" in html
    assert '<th scope="row">&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</th>' in html
    assert "Data: Title &lt;/script&gt;" in html
    spec_back = json.loads(script_json(html, "pareto-spec"))
    assert spec_back["data"]["values"][0]["value"] == HOSTILE  # escaped for HTML, intact as data
    assert spec_back["description"] == f"About {HOSTILE}"


def script_json(html: str, element_id: str) -> str:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, flags=re.DOTALL
    )
    assert match
    return match.group(1)
