"""Assigning tickets to catalog services with rules. The expression language the rules may use (its
grammar, `RuleError`, `parse_expression`) is `csi.measures.expressions`, below both measures and analytics."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from csi.measures.expressions import FIELDS, RuleError, check_expression, parse_expression


@dataclass(frozen=True)
class ServiceRule:
    """Assigns the service keyed `service` to every ticket whose `field` value is one of `values`, or for
    which `expression` is true (either part may be absent, not both). Validated on construction."""

    service: str
    field: str | None = None
    values: tuple[str, ...] = ()
    expression: str | None = None

    def __post_init__(self) -> None:
        if not self.service:
            raise RuleError("a rule needs a service")
        if self.field is not None and self.field not in FIELDS:
            raise RuleError(f"unknown field {self.field!r} (allowed: {', '.join(FIELDS)})")
        if self.field is not None and not self.values:
            raise RuleError(f"the rule on {self.field!r} lists no values")
        if self.field is None and self.values:
            raise RuleError("values are given without a field")
        if self.expression is not None:
            check_expression(self.expression)
        if self.field is None and self.expression is None:
            raise RuleError("a rule needs a field and values, or an expression")

    def matches(self, table: ir.Table) -> ir.BooleanValue:
        """A never-null boolean over `table`: true for the tickets this rule assigns."""
        tests: list[ir.BooleanValue] = []
        if self.field is not None:
            tests.append(table[self.field].isin(self.values).fill_null(False))
        if self.expression is not None:
            tests.append(parse_expression(self.expression)(table))
        result = tests[0]
        for test in tests[1:]:
            result = result | test
        return result


def assign_services(facts: ir.Table, rules: list[ServiceRule]) -> ir.Table:
    """Columns ticket_id, service, sorted: one row per (ticket, service) whose rules match the ticket
    (a service's rules are OR-ed; each pair appears once); tickets no rule matches are absent."""
    services: dict[str, list[ServiceRule]] = {}
    for rule in rules:
        services.setdefault(rule.service, []).append(rule)
    parts = []
    for service, service_rules in services.items():
        condition = service_rules[0].matches(facts)
        for rule in service_rules[1:]:
            condition = condition | rule.matches(facts)
        parts.append(
            facts.filter(condition).select("ticket_id", service=ibis.literal(service, type="string"))
        )
    if not parts:
        return facts.filter(ibis.literal(False)).select("ticket_id", service=ibis.literal("", type="string"))
    return ibis.union(*parts, distinct=True).order_by(["ticket_id", "service"])
