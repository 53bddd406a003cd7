"""The safe rule-expression language (measures.expressions) and service assignment (analytics.rules), on
a small hand-built facts table."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from csi.analytics import rules
from csi.analytics.rules import ServiceRule
from csi.measures import expressions
from csi.measures.expressions import RuleError

FACTS = pa.table(
    {
        "ticket_id": ["T1", "T2", "T3", "T4"],
        "priority": ["1 - Critical", "2 - High", None, "3 - Moderate"],
        "category": ["Network", "Database", "Network", None],
        "assignment_group": ["Net team", "DBA", "Net ops", "Service desk"],
        "urgency": ["3", "1", None, "2"],
        "state": ["Closed", "Active", "New", "Closed"],
    }
)


@pytest.fixture
def facts() -> ibis.Table:
    return ibis.memtable(FACTS)


def matching(facts: ibis.Table, text: str) -> list[str]:
    condition = expressions.parse_expression(text)(facts)
    return sorted(facts.filter(condition).ticket_id.to_pyarrow().to_pylist())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('priority == "1 - Critical"', ["T1"]),
        ('"1 - Critical" == priority', ["T1"]),
        ('category != "Network"', ["T2", "T4"]),  # a missing category differs from "Network"
        ('category == "Network" and state == "Closed"', ["T1"]),
        ('category == "Database" or state == "New"', ["T2", "T3"]),
        ('not (state == "Closed")', ["T2", "T3"]),
        ('not priority == "2 - High"', ["T1", "T3", "T4"]),
        ('state in ["Active", "New"]', ["T2", "T3"]),
        ('state in ("Active",)', ["T2"]),
        ('priority not in ["1 - Critical", "2 - High"]', ["T3", "T4"]),
        ("priority in []", []),
        ('assignment_group.startswith("Net")', ["T1", "T3"]),
        ('assignment_group.endswith("desk")', ["T4"]),
        ('priority.contains("High")', ["T2"]),
        ('not priority.contains("High")', ["T1", "T3", "T4"]),
        ("urgency == 3", ["T1"]),  # numbers compare as their text
        ("urgency in (1, 2)", ["T2", "T4"]),
        ("urgency != -1", ["T1", "T2", "T3", "T4"]),
        ("category == priority", []),
        (
            '(category == "Network" or category == "Database") and not (priority == "1 - Critical")',
            ["T2", "T3"],
        ),
        ('  state == "New"', ["T3"]),
    ],
)
def test_expressions_select_the_right_tickets(facts: ibis.Table, text: str, expected: list[str]) -> None:
    assert matching(facts, text) == expected


def test_missing_values_never_make_the_result_null(facts: ibis.Table) -> None:
    # T3 has no priority: each test on it is definitely false (or true when negated), never unknown.
    for text in ['priority == "x"', 'priority.startswith("1")', 'priority in ["1"]']:
        assert "T3" not in matching(facts, text)
        assert "T3" in matching(facts, f"not ({text})")


@pytest.mark.parametrize(
    ("text", "reason", "column"),
    [
        ('__import__("os").system("id")', "the method 'system' is not allowed", 1),
        ('__import__("os")', "function calls are not allowed", 1),
        ('open("/etc/passwd")', "function calls are not allowed", 1),
        ("priority.__class__", "not allowed: attribute access", 1),
        ('priority.__class__ == "x"', "attribute access", 1),
        ('priority.startswith.__self__ == "x"', "attribute access", 1),
        ('state == "a" and priority.lower() == "x"', "not allowed here: function calls", 18),
        ('priority.upper().startswith("A")', "not allowed here: function calls", 1),
        ('priority.format("x")', "the method 'format' is not allowed", 1),
        ('"{0.__class__}".format(priority) == "x"', "not allowed here: function calls", 1),
        ('priority[0] == "1"', "not allowed here: subscripts", 1),
        ("lambda: 1", "not allowed: lambda", 1),
        ('(lambda x: x)(priority) == "1"', "not allowed here: function calls", 1),
        ('owner == "x"', "unknown field 'owner'", 1),
        ('state == "x" or sla_flag == "true"', "unknown field 'sla_flag'", 17),
        ("priority == other", "unknown field 'other'", 13),
        ("priority", "alone is not a condition", 1),
        ('"x"', "alone is not a condition", 1),
        ("1 == 1", "needs a field on one side", 1),
        ("priority == True", "the constant True is not allowed", 13),
        ("priority == None", "the constant None is not allowed", 13),
        ('priority == b"x"', "the constant b'x' is not allowed", 13),
        ('priority < "2"', "the operator '<' is not allowed", 1),
        ('priority is "2"', "the operator 'is' is not allowed", 1),
        ('"a" == priority == "a"', "chained comparisons", 1),
        ('"1" in priority', "not allowed here: a constant (expected a field name)", 1),
        ("priority in category", "'in' needs a list of constants", 13),
        ("priority in [category]", "not allowed here: a field (expected a string or a number)", 14),
        ('priority + "x" == "y"', "not allowed here: arithmetic", 1),
        ('priority == ("a" if state else "b")', "conditional expressions", 14),
        ('priority == f"{state}"', "f-strings", 13),
        ('priority in {"a", "b"}', "'in' needs a list of constants", 13),
        ("priority.startswith(state)", "takes exactly one string", 21),
        ('priority.startswith("a", "b")', "takes exactly one string", 1),
        ('priority.startswith(prefix="a")', "takes exactly one string", 1),
        ('priority == -"a"', "a sign is only allowed before a number", 14),
        ('priority == "a" and', "syntax error", 20),
        ('priority = "a"', "syntax error", 10),
        ('state == "x"; import os', "syntax error", 13),
        ("", "empty", 0),
        ("   ", "empty", 0),
        ("(" * 300 + 'state == "x"' + ")" * 300, "", 0),
    ],
)
def test_rejected_expressions_say_what_and_where(text: str, reason: str, column: int) -> None:
    with pytest.raises(RuleError) as caught:
        expressions.check_expression(text)
    assert reason in caught.value.reason
    if column:
        assert caught.value.column == column
        assert f"(column {column})" in str(caught.value)


def test_column_counts_leading_spaces_and_long_text_is_refused() -> None:
    with pytest.raises(RuleError) as caught:
        expressions.check_expression('   owner == "x"')
    assert caught.value.column == 4
    with pytest.raises(RuleError, match="longer than"):
        expressions.check_expression(" or ".join(['state == "x"'] * 300))


def test_check_expression_accepts_valid_text() -> None:
    assert expressions.check_expression('state == "New" or priority.startswith("1")') is None


def test_service_rules_are_validated_on_construction() -> None:
    with pytest.raises(RuleError, match="unknown field 'owner'"):
        ServiceRule("svc", field="owner", values=("x",))
    with pytest.raises(RuleError, match="lists no values"):
        ServiceRule("svc", field="category", values=())
    with pytest.raises(RuleError, match="needs a field and values, or an expression"):
        ServiceRule("svc")
    with pytest.raises(RuleError, match="without a field"):
        ServiceRule("svc", values=("x",))
    with pytest.raises(RuleError, match="attribute access"):
        ServiceRule("svc", expression="priority.__class__")
    with pytest.raises(RuleError, match="needs a service"):
        ServiceRule("", field="category", values=("x",))


def test_assign_services_is_a_set_of_matching_pairs(facts: ibis.Table) -> None:
    assigned = rules.assign_services(
        facts,
        [
            ServiceRule("network", field="category", values=("Network",)),
            ServiceRule("network", expression='assignment_group.startswith("Net")'),  # same tickets again
            ServiceRule("databases", field="category", values=("Database",), expression='state == "New"'),
            ServiceRule("critical", expression='priority == "1 - Critical"'),
        ],
    )
    rows = assigned.to_pyarrow().to_pylist()
    assert rows == [
        {"ticket_id": "T1", "service": "critical"},
        {"ticket_id": "T1", "service": "network"},
        {"ticket_id": "T2", "service": "databases"},
        {"ticket_id": "T3", "service": "databases"},
        {"ticket_id": "T3", "service": "network"},
    ]  # T4 matches nothing and is absent


def test_field_rules_ignore_missing_values(facts: ibis.Table) -> None:
    assigned = rules.assign_services(facts, [ServiceRule("svc", field="priority", values=("3 - Moderate",))])
    assert assigned.to_pyarrow().to_pylist() == [{"ticket_id": "T4", "service": "svc"}]


def test_no_rules_assign_nothing(facts: ibis.Table) -> None:
    assigned = rules.assign_services(facts, [])
    result = assigned.to_pyarrow()
    assert result.num_rows == 0
    assert result.column_names == ["ticket_id", "service"]
