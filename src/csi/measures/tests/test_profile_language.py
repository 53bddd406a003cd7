"""The profile language's value maps (unmapped keep / null / reject) and derived fields (a safe
expression compiled to quoted SQL): stored values, reject reports, and bad profiles refused at save with
the field's path, through the service, the API and the import itself."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest
from django.test import Client

from csi.catalog.tests.conftest import strategist  # noqa: F401 - shared fixture
from csi.core.documents import DocumentErrors
from csi.core.testing import assert_error_shape
from csi.measures import selectors, services, store
from csi.measures.derived import value_sql
from csi.measures.expressions import parse_expression
from csi.measures.models import MappingProfile
from csi.measures.readers import quote_ident
from csi.measures.tests.conftest import CLI

pytestmark = pytest.mark.django_db

EXPORT = """id,at,status,prio,impact,urgency,made
T1,2024-01-01T10:00:00Z,New,1 - Critical,1,1,Met
T2,2024-01-01T11:00:00Z,New,2 - High,1,2,Missed
T3,2024-01-01T12:00:00Z,New,Planning,3,3,
T4,2024-01-01T13:00:00Z,New,,2,1,Met
"""


def profile(priority: str, extra: str = "") -> str:
    return f"""apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {{name: mapped}}
spec:
  name: Mapped
  sourceKind: ticket_events
  fields:
    ticket_id: id
    event_at: at
    state: status
    priority: {priority}
    impact: impact
    urgency: urgency
    sla_flag: {{column: made, values: {{Met: "yes", Missed: "no"}}}}
{extra}"""


def stored(source: Any) -> dict[str, dict[str, Any]]:
    con = store.ibis_connection()
    table = store.ticket_events(con, selectors.committed_batches(actor=CLI, source=source))
    return {row["ticket_id"]: row for row in table.to_pyarrow().to_pylist()}


def expected(mapping: dict[str, str], unmapped: str) -> dict[str, Any]:
    """The priority each ticket should have, from the export read with the csv module."""
    result = {}
    for row in csv.DictReader(io.StringIO(EXPORT)):
        value = row["prio"] or None
        if value is not None and value not in mapping:
            value = value if unmapped == "keep" else None
        elif value is not None:
            value = mapping[value]
        result[row["id"]] = value
    return result


MAP = {"1 - Critical": "P1", "1 - Urgent": "P1", "2 - High": "P2"}
MAP_YAML = '{"1 - Critical": P1, "1 - Urgent": P1, "2 - High": P2}'


@pytest.mark.parametrize("unmapped", ["keep", "null"])
def test_value_maps_store_the_target_and_keep_or_null_the_rest(make_source, import_bytes, unmapped):
    services.profile_save(
        actor=CLI, text=profile(f'{{column: prio, values: {MAP_YAML}, unmapped: "{unmapped}"}}')
    )
    source = make_source(profile="mapped")
    result = import_bytes(source, EXPORT.encode())
    assert result.status == "committed", result.message
    rows = stored(source)
    assert {t: r["priority"] for t, r in rows.items()} == expected(MAP, unmapped)
    # A value map also feeds a typed field: Met/Missed become the booleans' accepted words
    assert {t: r["sla_flag"] for t, r in rows.items()} == {"T1": True, "T2": False, "T3": None, "T4": True}


def test_unmapped_reject_refuses_the_record_saying_why(make_source, import_bytes):
    services.profile_save(actor=CLI, text=profile(f"{{column: prio, values: {MAP_YAML}, unmapped: reject}}"))
    source = make_source(profile="mapped")
    refused = import_bytes(source, EXPORT.encode())
    assert refused.status != "committed" and stored(source) == {}
    (reject,) = refused.rejects
    assert (reject.line, reject.column, reject.value) == (4, "prio", "Planning")
    assert "not one of the values the profile maps" in reject.reason and "'2 - High'" in reject.reason
    allowed = import_bytes(source, EXPORT.encode(), max_rejects=1)
    assert allowed.status == "committed" and set(stored(source)) == {"T1", "T2", "T4"}


HOSTILE = "x'); DROP TABLE raw; --"


def test_a_derived_field_is_computed_from_the_other_fields_with_quoted_constants(make_source, import_bytes):
    expression = (
        f'"P1" if impact == "1" and urgency == "1" else "{HOSTILE}" if impact in ["1", "2"] '
        'and not urgency.startswith("3") else urgency'
    )
    text = profile(f"{{expression: {json.dumps(expression)}, history: first}}")  # JSON is YAML
    services.profile_save(actor=CLI, text=text)
    source = make_source(profile="mapped")
    result = import_bytes(source, EXPORT.encode())
    assert result.status == "committed", result.message
    computed = {}
    for row in csv.DictReader(io.StringIO(EXPORT)):
        impact, urgency = row["impact"], row["urgency"]
        if impact == "1" and urgency == "1":
            computed[row["id"]] = "P1"
        elif impact in ("1", "2") and not urgency.startswith("3"):
            computed[row["id"]] = HOSTILE
        else:
            computed[row["id"]] = urgency
    assert {t: r["priority"] for t, r in stored(source).items()} == computed


BAD = [
    ('{expression: \'__import__("os").system("id")\'}', "spec.fields.priority.expression", "gives a value"),
    (
        '{expression: \'"P1" if open("/etc/passwd") else "P2"\'}',
        "spec.fields.priority.expression",
        "function calls are not allowed",
    ),
    ("{expression: 'impact + urgency'}", "spec.fields.priority.expression", "gives a value"),
    ('{expression: \'"P1" if nothing == 1 else "P2"\'}', "spec.fields.priority.expression", "unknown field"),
    ('{expression: \'"P1" if impact ==  else "P2"\'}', "spec.fields.priority.expression", "syntax error"),
    ("{column: prio, expression: impact}", "spec.fields.priority", "either a `column` or an `expression`"),
    ("{column: prio, history: sometimes}", "spec.fields.priority.history", "'last', 'first' or 'ever'"),
    ("{column: prio, unmapped: drop}", "spec.fields.priority.unmapped", "'keep', 'null' or 'reject'"),
    ("{expression: impact, unmapped: reject}", "spec", "fields.priority.unmapped: reject needs a column"),
    (
        "{expression: category}\n    category: {expression: impact}",
        "spec",
        "uses the derived field(s) category",
    ),
    ("{column: prio, values: {a: [b]}}", "spec.fields.priority.values.a", "valid string"),
]


@pytest.mark.parametrize(("field", "where", "message"), BAD)
def test_a_bad_map_or_expression_is_refused_at_save_with_its_path(field, where, message):
    before = MappingProfile.objects.count()
    with pytest.raises(DocumentErrors) as caught:
        services.profile_save(actor=CLI, text=profile(field))
    problems = [(p.where, p.message) for p in caught.value.problems]
    assert any(w.endswith(where) and message in m for w, m in problems), problems
    assert MappingProfile.objects.count() == before


def test_history_only_for_attributes(make_source):
    text = profile("prio", extra="").replace("event_at: at", "event_at: {column: at, history: first}")
    with pytest.raises(DocumentErrors, match=r"fields.event_at.history"):
        services.profile_save(actor=CLI, text=text)


def test_the_api_refuses_a_bad_expression_naming_the_field(strategist, api):  # noqa: F811
    error = assert_error_shape(
        api(strategist).post(
            "/api/v1/profiles",
            {"yaml": profile("{expression: 'open(\"/etc/passwd\")'}")},
            content_type="application/json",
        ),
        422,
    )
    assert any("spec.fields.priority.expression" in where for where in error["fields"]), error
    assert not MappingProfile.objects.filter(key="mapped").exists()


CONDITIONS = [
    'priority == "1"',
    'priority != "1"',
    "priority == urgency",
    'priority in ["1", "2"]',
    'priority not in ["1"]',
    'category.startswith("Net")',
    'category.endswith("ail")',
    'category.contains("o")',
    'not (priority == "1" or category == "Email") and urgency != "3"',
    "urgency == 3",
]
ROWS = [
    {"priority": "1", "urgency": "1", "category": "Email"},
    {"priority": "2", "urgency": "3", "category": "Network"},
    {"priority": None, "urgency": None, "category": None},
    {"priority": "3", "urgency": "2", "category": "o'Reilly"},
]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_derived_conditions_mean_what_the_service_rules_mean(condition):
    """The SQL of a derived field's condition agrees, row by row and with nulls, with the service rules'
    Ibis compilation of the same condition (an independent implementation of the same grammar)."""
    data = pa.Table.from_pylist(ROWS, schema=pa.schema([(k, pa.string()) for k in ROWS[0]]))
    rule = parse_expression(condition)
    table = ibis.memtable(data)
    by_rules = table.select(matched=rule(table)).to_pyarrow().column("matched").to_pylist()
    con = duckdb.connect()
    con.register("rows_", data)
    sql = value_sql(f'"Y" if {condition} else "N"', quote_ident)
    by_sql = [row[0] == "Y" for row in con.execute(f"SELECT {sql} FROM rows_").fetchall()]
    assert by_sql == by_rules


def test_the_profile_editor_shows_where_an_expression_is_wrong(make_user):
    client = Client()
    client.force_login(make_user(roles=["service-strategy-manager"], username="editor"))
    text = profile('{expression: \'"P1" if prio == "1" else "<b>P2</b>"\'}')
    response = client.post("/measures/profiles/new/", {"text": text, "action": "save"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "spec.fields.priority.expression" in body and "unknown field &#x27;prio&#x27; (allowed:" in body
    assert "(column 9)" in body
    assert not MappingProfile.objects.filter(key="mapped").exists()
    good = profile('{expression: \'"P1" if impact == "1" else "<b>P2</b>"\'}')
    assert client.post("/measures/profiles/new/", {"text": good, "action": "save"}).status_code == 302
    detail = client.get("/measures/profiles/mapped/").content.decode()
    assert "&lt;b&gt;P2&lt;/b&gt;" in detail and "<b>P2</b>" not in detail
