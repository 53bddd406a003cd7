"""Derived fields of a mapping profile: a ticket attribute computed from other fields of the same row
with a safe expression, compiled to DuckDB SQL for `csi.measures.mapping`.

The language is the service-mapping rules' (`csi.measures.expressions`) with values around it:

    value     := constant | field | value "if" condition "else" value | "(" value ")"
    condition := a rule expression (==, !=, in, not in, startswith, endswith, contains, and, or, not)
    field     := a ticket attribute or "state" (its value on the same row, after null markers and value
                 maps; a field the profile does not map is null)

    priority: {expression: '"P1" if impact == "1" and urgency == "1" else "P2" if impact == "1" else "P3"'}

The text is parsed with Python's `ast` and never evaluated; the SQL is built from the checked tree only,
with every constant a quoted literal and every field a quoted identifier, so no text of the profile
reaches the SQL unquoted. Conditions keep the rules' two-valued logic (a null field equals nothing).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from csi.measures.expressions import (
    FIELDS,
    MAX_EXPRESSION_LENGTH,
    RuleError,
    _compile,
    _constant,
    _fail,
)

DERIVABLE: tuple[str, ...] = FIELDS
Columns = Callable[[str], str]  # field name -> its SQL (a quoted column, or NULL when unmapped)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parse(text: str) -> ast.expr:
    """The checked tree of a value expression, or a RuleError saying what and at which column."""
    if not text or not text.strip():
        raise RuleError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise RuleError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    source = text.lstrip()
    lead = len(text) - len(source)
    try:
        tree = ast.parse(source, mode="eval").body
        _check_value(tree)
        return tree
    except SyntaxError as error:
        line = error.lineno or 1
        lines = source.splitlines() or [""]
        offset = error.offset or len(lines[min(line, len(lines)) - 1]) + 1
        raise RuleError(f"syntax error: {error.msg}", offset + (lead if line == 1 else 0), line) from None
    except RuleError as error:
        shift = lead if error.line <= 1 else 0
        raise RuleError(error.reason, error.column + shift if error.column else 0, error.line) from None
    except (RecursionError, MemoryError, ValueError):
        raise RuleError("the expression is too deeply nested or malformed") from None


def _check_value(node: ast.expr) -> None:
    if isinstance(node, ast.IfExp):
        _compile(node.test)  # the rules' checks: raises RuleError
        _check_value(node.body)
        _check_value(node.orelse)
        return
    if isinstance(node, ast.Name):
        if node.id not in FIELDS:
            raise _fail(node, f"unknown field {node.id!r} (allowed: {', '.join(FIELDS)})")
        return
    if isinstance(node, ast.Constant | ast.UnaryOp) and not (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        _constant(node)
        return
    raise _fail(
        node,
        "an expression gives a value: a string, a number, a field, or 'A if condition else B' "
        '(e.g. "P1" if urgency == "1" else priority)',
    )


def check_value_expression(text: str) -> None:
    """Raise RuleError (a ValueError) when `text` is not a valid value expression."""
    _parse(text)


def fields_of(text: str) -> set[str]:
    """The fields a valid value expression reads."""
    return {node.id for node in ast.walk(_parse(text)) if isinstance(node, ast.Name)}


def value_sql(text: str, column: Columns) -> str:
    """The DuckDB SQL (VARCHAR) of a valid value expression; `column` gives each field's SQL."""
    return _value(_parse(text), column)


def _value(node: ast.expr, column: Columns) -> str:
    if isinstance(node, ast.IfExp):
        return (
            f"(CASE WHEN {_condition(node.test, column)} THEN {_value(node.body, column)} "
            f"ELSE {_value(node.orelse, column)} END)"
        )
    if isinstance(node, ast.Name):
        return f"CAST({column(node.id)} AS VARCHAR)"
    return _literal(_constant(node)) + "::VARCHAR"


def _operand(node: ast.expr, column: Columns) -> str:
    return f"CAST({column(node.id)} AS VARCHAR)" if isinstance(node, ast.Name) else _literal(_constant(node))


def _condition(node: ast.expr, column: Columns) -> str:
    """A checked condition as never-null SQL (the rules' two-valued logic)."""
    if isinstance(node, ast.BoolOp):
        joiner = " AND " if isinstance(node.op, ast.And) else " OR "
        return "(" + joiner.join(_condition(value, column) for value in node.values) + ")"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return f"(NOT {_condition(node.operand, column)})"
    if isinstance(node, ast.Compare):
        operator, right = node.ops[0], node.comparators[0]
        left = _operand(node.left, column)
        if isinstance(operator, ast.In | ast.NotIn):
            items = right.elts if isinstance(right, ast.List | ast.Tuple) else []
            options = [_literal(_constant(item)) for item in items]
            found = f"coalesce({left} IN ({', '.join(options)}), false)" if options else "false"
            return f"(NOT {found})" if isinstance(operator, ast.NotIn) else found
        same = "IS NOT DISTINCT FROM" if isinstance(operator, ast.Eq) else "IS DISTINCT FROM"
        return f"({left} {same} {_operand(right, column)})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        function = {"startswith": "starts_with", "endswith": "ends_with", "contains": "contains"}[
            node.func.attr
        ]
        text = _constant(node.args[0])  # checked: one string
        return f"coalesce({function}({_operand(node.func.value, column)}, {_literal(text)}), false)"
    raise _fail(node, "not a condition")  # unreachable after _parse's checks
