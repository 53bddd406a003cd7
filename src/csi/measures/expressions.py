"""The safe expression language of service-mapping rules: checked here when a rule is saved (measures),
compiled to Ibis where tickets are assigned to services (`csi.analytics.rules`).

It sits in `measures`, below both users (DESIGN.md, convention 2): its fields are the measurement store's
ticket attributes (`csi.measures.schema`), and the rules that hold expressions are measures' records.

An expression is parsed with Python's `ast` (never evaluated) and only this grammar is accepted:

    expr     := expr "and" expr | expr "or" expr | "not" expr | "(" expr ")" | test
    test     := operand ("==" | "!=") operand          (at least one operand is a field)
              | field ("in" | "not in") ("[" | "(") constant, ... ("]" | ")")
              | field "." ("startswith" | "endswith" | "contains") "(" string ")"
    operand  := field | constant
    field    := a name in FIELDS (the ticket attributes and "state")
    constant := a string or a number (numbers are compared as their text: `urgency == 3` means "3")

Missing values follow two-valued logic, so a rule never depends on SQL's null semantics: a null field
equals nothing, differs from everything, is in no list, and starts with, ends with and contains nothing.
Everything else (attribute access, other calls, subscripts, lambdas, arithmetic, unknown names, ...) is
rejected with a `RuleError` saying what is not allowed and at which column.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from csi.measures import schema

FIELDS: tuple[str, ...] = (*schema.ATTRIBUTES, "state")
METHODS = ("startswith", "endswith", "contains")
MAX_EXPRESSION_LENGTH = 2000

Compiled = Callable[[ir.Table], ir.BooleanValue]

_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Constant: "a constant",
    ast.Name: "a field",
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.Call: "function calls",
    ast.BinOp: "arithmetic",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.Starred: "starred expressions",
    ast.Await: "await",
}


_OPERATORS: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
}


class RuleError(ValueError):
    """A rule or expression that is not allowed. `reason` says what; `line` and `column` (1-based, 0 when
    not tied to a position) say where in the expression's text; the message holds all three."""

    def __init__(self, reason: str, column: int = 0, line: int = 0) -> None:
        where = f"line {line}, column {column}" if line > 1 else f"column {column}"
        super().__init__(f"{reason} ({where})" if column else reason)
        self.reason, self.column, self.line = reason, column, line


def _fail(node: ast.AST, reason: str) -> RuleError:
    return RuleError(reason, getattr(node, "col_offset", -1) + 1, getattr(node, "lineno", 0))


def _describe(node: ast.AST) -> str:
    return _NODE_NAMES.get(type(node), f"{type(node).__name__} expressions")


def _field(node: ast.expr) -> str:
    if not isinstance(node, ast.Name):
        raise _fail(node, f"not allowed here: {_describe(node)} (expected a field name)")
    if node.id not in FIELDS:
        raise _fail(node, f"unknown field {node.id!r} (allowed: {', '.join(FIELDS)})")
    return node.id


def _constant(node: ast.expr) -> str:
    """A string or number constant, as the text fields are compared with."""
    sign = ""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = "-" if isinstance(node.op, ast.USub) else ""
        node = node.operand
        if not (isinstance(node, ast.Constant) and type(node.value) in (int, float)):
            raise _fail(node, "a sign is only allowed before a number")
    if not isinstance(node, ast.Constant):
        raise _fail(node, f"not allowed here: {_describe(node)} (expected a string or a number)")
    if type(node.value) not in (str, int, float):
        raise _fail(node, f"the constant {node.value!r} is not allowed: only strings and numbers are")
    return sign + str(node.value)


def _operand(node: ast.expr) -> tuple[str, str]:
    """("field", name) or ("constant", text)."""
    if isinstance(node, ast.Name):
        return "field", _field(node)
    if not isinstance(node, ast.Constant | ast.UnaryOp):
        raise _fail(node, f"not allowed here: {_describe(node)} (expected a field, a string or a number)")
    return "constant", _constant(node)


def _value(table: ir.Table, operand: tuple[str, str]) -> ir.Value:
    kind, text = operand
    return table[text] if kind == "field" else ibis.literal(text, type="string")


def _compile_compare(node: ast.Compare) -> Compiled:
    if len(node.ops) != 1:
        raise _fail(node, "chained comparisons are not allowed: combine them with 'and'")
    operator, right = node.ops[0], node.comparators[0]
    if isinstance(operator, ast.In | ast.NotIn):
        name = _field(node.left)
        if not isinstance(right, ast.List | ast.Tuple):
            raise _fail(right, '\'in\' needs a list of constants, such as ["a", "b"]')
        options = tuple(_constant(item) for item in right.elts)
        negate = isinstance(operator, ast.NotIn)

        def member(table: ir.Table) -> ir.BooleanValue:
            found = table[name].isin(options).fill_null(False) if options else ibis.literal(False)
            return ~found if negate else found

        return member
    if not isinstance(operator, ast.Eq | ast.NotEq):
        symbol = _OPERATORS.get(type(operator), type(operator).__name__)
        raise _fail(node, f"the operator {symbol!r} is not allowed (use ==, !=, in, not in)")
    left_operand, right_operand = _operand(node.left), _operand(right)
    if left_operand[0] == right_operand[0] == "constant":
        raise _fail(node, "a comparison needs a field on one side")
    equal = isinstance(operator, ast.Eq)

    def compare(table: ir.Table) -> ir.BooleanValue:
        # IS NOT DISTINCT FROM: a null field equals nothing but another null field.
        same = _value(table, left_operand).identical_to(_value(table, right_operand))
        return same if equal else ~same

    return compare


def _compile_call(node: ast.Call) -> Compiled:
    function = node.func
    if not isinstance(function, ast.Attribute):
        raise _fail(node, "function calls are not allowed, only field.startswith/endswith/contains(...)")
    if function.attr not in METHODS:
        raise _fail(function, f"the method {function.attr!r} is not allowed (allowed: {', '.join(METHODS)})")
    name = _field(function.value)
    if node.keywords or len(node.args) != 1:
        raise _fail(node, f"{function.attr}() takes exactly one string")
    argument = node.args[0]
    if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
        raise _fail(argument, f"{function.attr}() takes exactly one string")
    text, method = argument.value, function.attr

    def call(table: ir.Table) -> ir.BooleanValue:
        column = table[name]
        result = getattr(column, method)(text)
        return result.fill_null(False)

    return call


def _compile(node: ast.expr) -> Compiled:
    """A compiled test that is never null (two-valued), or a RuleError."""
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value) for value in node.values]
        conjunction = isinstance(node.op, ast.And)

        def combine(table: ir.Table) -> ir.BooleanValue:
            result = parts[0](table)
            for part in parts[1:]:
                result = (result & part(table)) if conjunction else (result | part(table))
            return result

        return combine
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand)
        return lambda table: ~inner(table)
    if isinstance(node, ast.Compare):
        return _compile_compare(node)
    if isinstance(node, ast.Call):
        return _compile_call(node)
    if isinstance(node, ast.Name | ast.Constant):
        raise _fail(node, 'a field or constant alone is not a condition: compare it, e.g. priority == "1"')
    raise _fail(node, f"not allowed: {_describe(node)}")


def parse_expression(text: str) -> Compiled:
    """Check `text` against the grammar above and return a function table -> never-null boolean Ibis
    expression over a table holding the FIELDS columns (the ticket facts). Raises RuleError."""
    if not text or not text.strip():
        raise RuleError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise RuleError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    source = text.lstrip()
    lead = len(text) - len(source)  # columns are reported in the text as given
    try:
        tree = ast.parse(source, mode="eval")
        return _compile(tree.body)
    except SyntaxError as error:
        line = error.lineno or 1
        lines = source.splitlines() or [""]
        # Python reports offset 0 when the text ends too early: point just past its end.
        offset = error.offset or len(lines[min(line, len(lines)) - 1]) + 1
        column = offset + (lead if line == 1 and "\n" not in text[:lead] else 0)
        raise RuleError(f"syntax error: {error.msg}", column, line) from None
    except RuleError as error:
        shift = lead if error.line == 1 and "\n" not in text[:lead] else 0
        raise RuleError(error.reason, error.column + shift if error.column else 0, error.line) from None
    except (RecursionError, MemoryError, ValueError):
        raise RuleError("the expression is too deeply nested or malformed") from None


def check_expression(text: str) -> None:
    """Raise RuleError when `text` is not a valid expression (for form validation); else return None."""
    parse_expression(text)
