"""A small service-desk export and the profile that reads it with the profile language's features (value
maps, a derived field, a first-value default), plus an independent reading of the same text with the csv
module, from which the tests compute every expected figure."""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from datetime import datetime
from typing import Any

HOSTILE = "<script>alert('g')</script>"
EXPORT = f"""number,updated,status,priority,group,impact,urgency,channel
INC1,2024-03-01 08:00,New,3 - Moderate,Desk,1,1,Phone
INC1,2024-03-01 09:00,Active,1 - Critical,L2,1,1,Phone
INC1,2024-03-01 12:00,Resolved,1 - Critical,Desk,1,1,Phone
INC2,2024-03-02 08:00,New,,Desk,2,1,E-mail
INC2,2024-03-02 10:30,Resolved,2 - High,Desk,2,1,E-mail
INC3,2024-03-03 08:00,New,1 - Urgent,Desk,1,2,Fax
INC3,2024-03-03 09:00,Active,1 - Urgent,L3,1,2,Fax
INC3,2024-03-03 10:00,Active,1 - Urgent,{HOSTILE},1,2,Fax
INC4,2024-03-04 08:00,New,2 - High,L2,3,3,Phone
INC4,2024-03-05 08:00,Resolved,3 - Moderate,L2,3,3,Phone
"""
PRIORITIES = {"1 - Critical": "P1", "1 - Urgent": "P1", "2 - High": "P2"}  # others kept as they are
CHANNELS = {"Phone": "phone", "E-mail": "email"}  # others become null
PROFILE = """apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {name: helpdesk}
spec:
  name: Help desk export
  sourceKind: ticket_events
  timestamps: {formats: ["%Y-%m-%d %H:%M"]}
  fields:
    ticket_id: number
    event_at: updated
    state: status
    priority:
      column: priority
      values: {"1 - Critical": P1, "1 - Urgent": P1, "2 - High": P2}
      history: first
    assignment_group: group
    impact: impact
    urgency: urgency
    channel: {column: channel, values: {Phone: phone, E-mail: email}, unmapped: "null"}
    category: {expression: '"Major" if impact == "1" and urgency == "1" else "Normal"'}
  states: {new: [New], resolved: [Resolved], closed: [Closed]}
"""


def events() -> dict[str, list[dict[str, Any]]]:
    """Per ticket, its events in (time, line) order, mapped as the profile says, read with csv."""
    per_ticket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line, row in enumerate(csv.DictReader(io.StringIO(EXPORT)), start=2):
        priority = row["priority"] or None
        per_ticket[row["number"]].append(
            {
                "at": datetime.strptime(row["updated"], "%Y-%m-%d %H:%M"),
                "line": line,
                "state": row["status"],
                "priority": PRIORITIES.get(priority, priority) if priority else None,
                "assignment_group": row["group"],
                "channel": CHANNELS.get(row["channel"]),
                "category": "Major" if (row["impact"], row["urgency"]) == ("1", "1") else "Normal",
            }
        )
    for rows in per_ticket.values():
        rows.sort(key=lambda r: (r["at"], r["line"]))
    return per_ticket


def keys_of(history: str, column: str) -> dict[str, set[str | None]]:
    """Per ticket, the keys it counts under for `history` (last / first / ever) of `column`."""
    result = {}
    for ticket, rows in events().items():
        values = [r[column] for r in rows if r[column] is not None]
        if history == "last":
            result[ticket] = {rows[-1][column]}
        elif history == "first":
            result[ticket] = {values[0] if values else None}
        else:
            result[ticket] = set(values) or {None}
    return result


def resolution_hours() -> dict[str, float]:
    """Per resolved ticket: hours from its first event to its (single) Resolved event."""
    hours = {}
    for ticket, rows in events().items():
        resolved = [r["at"] for r in rows if r["state"] == "Resolved"]
        if resolved:
            hours[ticket] = (resolved[-1] - rows[0]["at"]).total_seconds() / 3600
    return hours


def tickets_per_key(history: str, column: str) -> dict[str | None, list[str]]:
    groups: dict[str | None, list[str]] = defaultdict(list)
    for ticket, keys in keys_of(history, column).items():
        for key in keys:
            groups[key].append(ticket)
    return dict(groups)


def state_hours() -> dict[str, list[float]]:
    """Per state, one sample per ticket that spent time in it: the hours from each of its events in that
    state to the ticket's next event, summed; a ticket's last event gives nothing."""
    per_state: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ticket, rows in events().items():
        for current, following in itertools.pairwise(rows):
            per_state[current["state"]][ticket] += (following["at"] - current["at"]).total_seconds() / 3600
    return {state: list(samples.values()) for state, samples in per_state.items()}
