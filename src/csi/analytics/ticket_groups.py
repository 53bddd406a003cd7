"""Group keys of the ticket reports: which value of a ticket's history a group counts.

`by` names a ticket attribute (or state), optionally prefixed with the history to use: `priority` (the
profile's default for the field, else the latest version's value), `last:priority`, `first:priority`
(the first non-null value by (event_at, line)), `ever:assignment_group` (every value the ticket ever
had: it counts once in each such group, so the groups overlap), or `service` (the service rules'
assignment, from the latest version). Plain Ibis operations only (aggregates, distinct, a left join).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from csi.measures import schema

# Which value of a ticket's history a group key counts: `last` (the latest version's), `first` (the
# first non-null one by (event_at, line)), `ever` (each value it ever had: the ticket is in every group).
HISTORIES = ("last", "first", "ever")
HISTORY_ATTRIBUTES = (*schema.ATTRIBUTES, "state")


def group_keys(*, service: bool = True) -> tuple[str, ...]:
    """Every `by` a ticket report accepts: each attribute (and state) bare, `first:`, `ever:` and
    `last:`-prefixed, and `service` (the rules' assignment, from the latest version only)."""
    keys = [
        *HISTORY_ATTRIBUTES,
        *(f"{history}:{name}" for history in HISTORIES for name in HISTORY_ATTRIBUTES),
    ]
    return (*keys, "service") if service else tuple(keys)


def parse_group(by: str, default_history: str = "last") -> tuple[str, str]:
    """(history, column) of a group key: `priority` (`default_history`), `first:priority`,
    `ever:assignment_group`, `last:priority`; `service` only as itself. A ValueError says what to use."""
    history, _, column = by.rpartition(":")
    history = history or default_history
    allowed = (*HISTORY_ATTRIBUTES, "service")
    if history not in HISTORIES or column not in allowed or (column == "service" and ":" in by):
        raise ValueError(
            f"cannot group by {by!r}: use an attribute ({', '.join(allowed)}), optionally as "
            "first:<attribute> (its first value) or ever:<attribute> (every value it ever had)"
        )
    return history, column


def history_values(events: ir.Table, history: str, column: str) -> ir.Table:
    """Columns ticket_id, _key (text): per ticket its first non-null `column` value by (event_at, line)
    (`first`, one row per ticket that has one), or each distinct non-null value (`ever`)."""
    present = events.filter(events[column].notnull())
    if history == "first":
        order = ibis.struct({"event_at": present.event_at, "line": present.line})
        return present.group_by("ticket_id").aggregate(_key=present[column].argmin(order).cast("string"))
    return present.select("ticket_id", _key=present[column].cast("string")).distinct()


def keyed(
    facts: ir.Table, by: str | None, events: ir.Table | None = None, default_history: str = "last"
) -> ir.Table:
    """facts with a string `key` (see `parse_group`): "all" when by is None; the latest version's value
    for `last`; else from `events` (`history_values`): a ticket without any value has a null key, and
    with `ever` a ticket has one row per value it ever had (so the groups overlap)."""
    if by is None:
        return facts.mutate(key=ibis.literal("all"))
    history, column = parse_group(by, default_history)
    if history == "last":
        if column not in facts.columns:
            raise ValueError(f"cannot group tickets by {by!r}: not a column of the ticket facts")
        return facts.mutate(key=facts[column].cast("string"))
    if events is None:
        raise ValueError(f"grouping by {by!r} needs the events")
    values = history_values(events, history, column)
    joined = facts.left_join(values, facts.ticket_id == values.ticket_id).drop("ticket_id_right")
    return joined.mutate(key=joined._key).drop("_key")
