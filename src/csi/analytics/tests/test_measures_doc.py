"""docs/measures.md defines every figure the analytics API answers: a figure added to a schema without
its definition fails here, so the reference cannot drift from the product."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ninja import Schema

import csi
from csi.analytics import schemas

DOC = Path(csi.__file__).parents[2] / "docs" / "measures.md"
# Columns that name what a row is about rather than a figure of it.
IDENTIFIERS = {
    "key",
    "state",
    "standard",
    "standard_name",
    "service",
    "version",
    "metric",
    "period_start",
    "day",
    "window_start",
    "window_end",
}
FIGURE_SCHEMAS = (
    schemas.TicketFiguresOut,
    schemas.StateTimeOut,
    schemas.BacklogOut,
    schemas.AttainmentRowOut,
    schemas.ErrorBudgetOut,
    schemas.ServiceDayOut,
    schemas.DurationBucketOut,
)
SECTIONS = (
    "resolution",
    "lifetime",
    "reopen",
    "reassignment",
    "first-contact resolution",
    "backlog",
    "time in state",
    "attainment",
    "error budget",
    "burn rate",
    "arrivals",
    "sla_flag",
    "near-breach",
    "business time",
    "pauses",
    "percentiles",
)


@pytest.fixture(scope="module")
def doc() -> str:
    if not DOC.is_file():
        pytest.skip("docs/measures.md is not beside the package (installed from a wheel)")
    return DOC.read_text(encoding="utf-8")


def figures(schema: type[Schema]) -> list[str]:
    return [name for name in schema.model_fields if name not in IDENTIFIERS]


@pytest.mark.parametrize("schema", FIGURE_SCHEMAS, ids=lambda s: s.__name__)
def test_the_doc_defines_every_figure_column(doc, schema):
    named = set(re.findall(r"`([a-z0-9_]+)`", doc))
    missing = [name for name in figures(schema) if name not in named]
    assert not missing, f"docs/measures.md does not define {', '.join(missing)} of {schema.__name__}"


def test_the_doc_covers_every_kind_of_figure(doc):
    lowered = doc.lower()
    assert [s for s in SECTIONS if s not in lowered] == []


def test_the_ticket_summary_columns_are_in_its_table(doc):
    """Each ticket-summary column has a row of its own in section 3's table (not only a mention)."""
    rows = set(re.findall(r"^\| `([a-z0-9_]+)`", doc, flags=re.MULTILINE))
    rows |= {
        n for pair in re.findall(r"^\| `([a-z0-9_]+)`, `([a-z0-9_]+)`", doc, flags=re.MULTILINE) for n in pair
    }
    assert [name for name in schemas.TicketFiguresOut.model_fields if name not in rows] == []
