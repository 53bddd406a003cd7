"""Baselines for the attainment benchmark: the report of `csi.analytics.attainment` written by hand.

`sql_attainment` is one DuckDB SQL script over the Parquet batch files and `pandas_attainment` the same
in vectorised pandas (no Python loop over tickets or events), each the way a competent analyst would write
it for this one report. Both give, per standard version and local day, the tickets whose clock stopped
that day, how many met the target and how many of those were near-breaches, following the definition in
`csi.analytics.attainment`'s docstring and the ticket facts of `csi.analytics.tickets`:

- a ticket's events are ordered by (event_at, line); its *latest version* is the row with the highest
  `version` (rows without one rank below), ties to the latest event_at, then the highest line;
- opened_at = the latest version's opened_at, else the first event_at;
- first_response_at = the first event_at whose state is set and not a "new" state;
- resolved_at = the latest version's resolved_at; else, when its state is resolved or closed, the
  event_at of the last move from an unfinished state into a finished one (events without state skipped);
- the ticket belongs to the service when one of the service's field rules matches its latest version,
  and counts for a version when it matches the scope and was opened in [effective_from, effective_to);
- its clock runs in business time from opened_at to the stop (first response or resolution), less the
  business part of its pauses (from each event in a pause state to the next event, or to the stop),
  clipped at zero; business time is B(b) - B(a) for the calendar's business offset B, precomputed as open
  intervals in Python (`csi.analytics.business.business_intervals`) and looked up with an ASOF join;
- met and near-breach compare the seconds with the threshold and threshold * warning% / 100;
- the day is the local date of the stop in the version's window time zone, from the day before the first
  ticket opened to the day after the last event (the range the real report covers).

Inputs are plain data: the targets (`VersionTarget`), the source's `TicketRules` and the service's
(field, values) rules. `python benchmarks/baselines.py pandas SPEC.pickle OUT.json` runs the pandas
baseline in a process of its own (the benchmark does, to measure its memory apart).
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from csi.analytics.attainment import VersionTarget
from csi.analytics.business import business_intervals
from csi.analytics.tickets import TicketRules
from csi.measures import store
from csi.measures.schema import LINE_BASE

STOP = {"response_time": "first_response_at", "resolution_time": "resolved_at"}
OPERATORS = {"lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}
ServiceRules = Sequence[tuple[str, Sequence[str]]]


@dataclass(frozen=True)
class Spec:
    """Everything a baseline needs, as plain (picklable) data."""

    paths: tuple[str, ...]
    targets: tuple[VersionTarget, ...]
    rules: TicketRules
    service_rules: tuple[tuple[str, tuple[str, ...]], ...]


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _day_range(zone: str, first: datetime, last: datetime) -> tuple[date, date]:
    """The local days the report covers: from the day before `first` to the day after `last` (naive UTC)."""
    tz = ZoneInfo(zone)
    return (
        first.replace(tzinfo=UTC).astimezone(tz).date() - timedelta(days=1),
        last.replace(tzinfo=UTC).astimezone(tz).date() + timedelta(days=1),
    )


def _calendar_key(calendar: Any) -> tuple[object, ...]:
    """A hashable key of a CalendarSpec (its periods are a dict)."""
    periods = tuple((day, tuple(spans)) for day, spans in sorted(calendar.periods.items()))
    return (calendar.time_zone, calendar.always_open, periods, tuple(sorted(calendar.holidays)))


def _clock_groups(targets: Sequence[VersionTarget]) -> list[list[VersionTarget]]:
    """Targets sharing a clock (calendar, pause states, metric), in first-seen order."""
    groups: dict[tuple[object, ...], list[VersionTarget]] = defaultdict(list)
    for target in targets:
        groups[(_calendar_key(target.calendar), target.pause_states, target.metric)].append(target)
    return list(groups.values())


def _scope_columns(spec: Spec) -> list[str]:
    names = {name for target in spec.targets for name, values in target.scope if values}
    names |= {name for name, _ in spec.service_rules}
    return sorted(names)


def totals(rows: list[dict[str, Any]]) -> dict[int, tuple[int, int, int]]:
    """Per version: (tickets, met, near_breached) summed over the days."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        counts = out[int(row["version_id"])]
        counts[0] += int(row["tickets"])
        counts[1] += int(row["met"])
        counts[2] += int(row["near_breached"])
    return {version: (t, m, n) for version, (t, m, n) in sorted(out.items())}


def normalised(rows: list[dict[str, Any]]) -> list[tuple[int, date, int, int, int]]:
    """Rows as sorted tuples (version_id, day, tickets, met, near_breached), for exact comparison."""
    return sorted(
        (int(r["version_id"]), r["day"], int(r["tickets"]), int(r["met"]), int(r["near_breached"]))
        for r in rows
    )


# --- DuckDB SQL -----------------------------------------------------------------------------------


def _lit(value: object) -> str:
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"
    return "'" + str(value).replace("'", "''") + "'"


def _in(column: str, values: Sequence[str]) -> str:
    return f"({column} IN ({', '.join(_lit(v) for v in values)}))" if values else "false"


def _target_condition(target: VersionTarget, prefix: str = "") -> str:
    parts = [f"{prefix}opened_at >= {_lit(_naive_utc(target.effective_from))}"]
    if target.effective_to is not None:
        parts.append(f"{prefix}opened_at < {_lit(_naive_utc(target.effective_to))}")
    parts += [_in(prefix + name, values) for name, values in target.scope if values]
    return " AND ".join(parts)


FACTS_SQL = """
CREATE OR REPLACE TEMP TABLE bl_facts AS
WITH ordered AS (
    SELECT {read},
        lag(state IGNORE NULLS) OVER w AS previous_state,
        lead(event_at) OVER w AS next_at
    FROM (SELECT * REPLACE ({line} AS line) FROM read_parquet({paths}, file_row_number = true))
    WINDOW w AS (PARTITION BY ticket_id ORDER BY event_at, line)
), per_ticket AS (
    SELECT ticket_id,
        min(event_at) AS first_event_at,
        max(event_at) AS last_event_at,
        arg_max({{'opened_at': opened_at, 'resolved_at': resolved_at, 'state': state{latest}}},
                (version IS NOT NULL, coalesce(version, 0), event_at, line)) AS latest,
        max(event_at) FILTER (WHERE {finished} AND NOT coalesce({was_finished}, false)) AS finished_entered_at,
        min(event_at) FILTER (WHERE state IS NOT NULL AND NOT {new}) AS first_response_at,
        list({{'state': state, 'from_at': event_at, 'to_at': next_at}}) FILTER (WHERE {paused}) AS pauses
    FROM ordered
    GROUP BY ticket_id
)
SELECT ticket_id, last_event_at,
    coalesce(latest.opened_at, first_event_at) AS opened_at,
    first_response_at,
    coalesce(latest.resolved_at, CASE WHEN {latest_finished} THEN finished_entered_at END) AS resolved_at,
    {columns}, pauses
FROM per_ticket
WHERE {service}
"""


def _offset(instant: str, calendar: str | None) -> str:
    """B(instant) in seconds: epoch seconds for 24 x 7, else from the ASOF-joined interval `calendar`."""
    if calendar is None:
        return f"epoch_us({instant}) / 1e6"
    return (
        f"coalesce({calendar}.cum_seconds + CAST(epoch_us(least({instant}, {calendar}.close_at)) "
        f"- epoch_us({calendar}.open_at) AS DOUBLE) / 1e6, 0.0)"
    )


def _asof(instant: str, calendar: str | None, alias: str) -> str:
    return "" if calendar is None else f" ASOF LEFT JOIN {calendar} {alias} ON {instant} >= {alias}.open_at"


def _group_sql(
    number: int, members: list[VersionTarget], calendar: str | None, days: dict[str, tuple[date, date]]
) -> tuple[str, str]:
    """The measured rows (version_id, stop_at, met, near) of targets sharing a clock."""
    first = members[0]
    stop, pauses = STOP[first.metric], first.pause_states
    wanted = " OR ".join(f"({_target_condition(t)})" for t in members)
    g = f"g{number}"
    cal = {name: (None if calendar is None else f"{g}_{name}") for name in ("s", "e", "ps", "pe")}
    ctes = [
        f"""{g}_clock AS (
    SELECT f.*, {_offset("f.opened_at", cal["s"])} AS b_start, {_offset("f." + stop, cal["e"])} AS b_stop
    FROM bl_facts f{_asof("f.opened_at", calendar, cal["s"] or "")}{_asof("f." + stop, calendar, cal["e"] or "")}
    WHERE f.{stop} IS NOT NULL AND ({wanted})
)"""
    ]
    paused = "0.0"
    if pauses:
        ctes += [
            f"""{g}_pause AS (
    SELECT ticket_id, opened_at, {stop} AS stop_at, b_start, b_stop, p.from_at,
        coalesce(p.to_at, {stop}) AS to_at
    FROM (SELECT ticket_id, opened_at, {stop}, b_start, b_stop, unnest(pauses) AS p
          FROM {g}_clock WHERE pauses IS NOT NULL)
    WHERE {_in("p.state", pauses)}
)""",
            f"""{g}_paused AS (
    SELECT p.ticket_id, sum(greatest(0.0,
        least({_offset("p.to_at", cal["pe"])}, p.b_stop) - greatest({_offset("p.from_at", cal["ps"])}, p.b_start)
    )) AS paused
    FROM {g}_pause p{_asof("p.from_at", calendar, cal["ps"] or "")}{_asof("p.to_at", calendar, cal["pe"] or "")}
    WHERE p.to_at > p.opened_at AND p.from_at < p.stop_at
    GROUP BY p.ticket_id
)""",
        ]
        paused = "coalesce(q.paused, 0.0)"
    join = f" LEFT JOIN {g}_paused q USING (ticket_id)" if pauses else ""
    ctes.append(
        f"""{g}_seconds AS (
    SELECT c.*, greatest(0.0, (c.b_stop - c.b_start) - {paused}) AS seconds
    FROM {g}_clock c{join}
)"""
    )
    selects = []
    for target in members:
        near = target.threshold_seconds * target.warning_percent / 100.0
        met = f"seconds {OPERATORS[target.comparator]} {_lit(target.threshold_seconds)}"
        local_day = f"CAST(timezone({_lit(target.window_time_zone)}, timezone('UTC', {stop})) AS DATE)"
        start, end = days[target.window_time_zone]
        selects.append(
            f"SELECT * FROM (SELECT {target.version_id} AS version_id, {local_day} AS local_day, "
            f"({met}) AS met, ({met}) AND seconds >= {_lit(near)} AS near "
            f"FROM {g}_seconds WHERE {_target_condition(target)}) "
            f"WHERE local_day BETWEEN {_lit(start)} AND {_lit(end)}"
        )
    return ",\n".join(ctes), "\nUNION ALL\n".join(selects)


def sql_attainment(con: duckdb.DuckDBPyConnection, spec: Spec) -> list[dict[str, Any]]:
    """The attainment rows (version_id, day, tickets, met, near_breached) computed by DuckDB SQL."""
    rules, columns = spec.rules, _scope_columns(spec)
    service = " OR ".join(_in(f"latest.{name}", values) for name, values in spec.service_rules) or "true"
    all_pauses = sorted({state for t in spec.targets for state in t.pause_states})
    con.execute(
        FACTS_SQL.format(
            read=", ".join(
                ["ticket_id", "event_at", "line", "version", "state", "opened_at", "resolved_at", *columns]
            ),
            paths="[" + ", ".join(_lit(p) for p in spec.paths) + "]",
            line=store.LINE_SQL,
            latest="".join(f", '{c}': {c}" for c in columns),
            finished=_in("state", rules.finished_states),
            was_finished=_in("previous_state", rules.finished_states),
            new=_in("state", rules.new_states),
            paused=_in("state", all_pauses),
            latest_finished=_in("latest.state", rules.finished_states),
            columns=", ".join(f"latest.{c} AS {c}" for c in columns),
            service=service,
        )
    )
    row = con.execute(
        "SELECT min(opened_at), max(last_event_at), min(least(opened_at, first_response_at, resolved_at)), "
        "max(greatest(opened_at, first_response_at, resolved_at, last_event_at)) FROM bl_facts"
    ).fetchall()[0]
    first, last, low, high = row
    if first is None or last is None or not spec.targets:
        return []
    days = {t.window_time_zone: _day_range(t.window_time_zone, first, last) for t in spec.targets}
    calendars: dict[object, str | None] = {}
    ctes, selects = [], []
    for number, members in enumerate(_clock_groups(spec.targets)):
        calendar, key = members[0].calendar, _calendar_key(members[0].calendar)
        if key not in calendars:
            if calendar.always_open:
                calendars[key] = None
            else:
                name = f"bl_calendar_{len(calendars)}"
                con.register(
                    name, business_intervals(calendar, low.replace(tzinfo=UTC), high.replace(tzinfo=UTC))
                )
                calendars[key] = name
        group_ctes, group_select = _group_sql(number, members, calendars[key], days)
        ctes.append(group_ctes)
        selects.append(group_select)
    measured, with_ = "\nUNION ALL\n".join(selects), ",\n".join(ctes)
    query = f"""
WITH {with_}
SELECT version_id, local_day AS day, count(*) AS tickets,
    count(*) FILTER (WHERE met) AS met, count(*) FILTER (WHERE near) AS near_breached
FROM ({measured})
GROUP BY version_id, local_day
ORDER BY version_id, local_day
"""
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# --- pandas ---------------------------------------------------------------------------------------


def _events_frame(pd: Any, np: Any, path: str, wanted: list[str]) -> Any:
    """One batch file's events; a row whose `line` is stored null has its line from its position."""
    frame = pd.read_parquet(path, columns=[*wanted, LINE_BASE])
    positions = np.arange(len(frame), dtype="int64")
    frame["line"] = frame["line"].fillna(frame[LINE_BASE] + positions).astype("int64")
    return frame.drop(columns=[LINE_BASE])


def pandas_attainment(spec: Spec) -> list[dict[str, Any]]:
    """The attainment rows computed with pandas (vectorised: groupby, shift, merge_asof)."""
    import numpy as np
    import pandas as pd

    rules, columns = spec.rules, _scope_columns(spec)
    finished, new = list(rules.finished_states), list(rules.new_states)
    all_pauses = sorted({state for t in spec.targets for state in t.pause_states})
    wanted = ["ticket_id", "event_at", "line", "version", "state", "opened_at", "resolved_at", *columns]
    ev = pd.concat([_events_frame(pd, np, p, wanted) for p in spec.paths], ignore_index=True)
    # Integer ticket numbers: sorting, grouping and joining on them is much cheaper than on the text.
    ev["ticket_id"] = pd.factorize(ev["ticket_id"])[0]
    ev["state"] = ev["state"].astype("category")
    ev = ev.sort_values(["ticket_id", "event_at", "line"], ignore_index=True)
    by_ticket = ev.groupby("ticket_id", sort=False)

    # Latest version per ticket: nulls first, then the highest version, latest event_at, highest line.
    latest = (
        ev.sort_values(["ticket_id", "version", "event_at", "line"], na_position="first")
        .drop_duplicates("ticket_id", keep="last")
        .set_index("ticket_id")
    )
    facts = latest[["opened_at", "resolved_at", "state", *columns]].copy()
    facts["first_event_at"] = by_ticket["event_at"].min()
    facts["last_event_at"] = by_ticket["event_at"].max()

    stated = ev[ev["state"].notna()]
    previous = stated.groupby("ticket_id", sort=False)["state"].shift()
    entering = stated["state"].isin(finished) & ~previous.isin(finished)
    facts["finished_entered_at"] = stated["event_at"].where(entering).groupby(stated["ticket_id"]).max()
    responding = stated["event_at"].where(~stated["state"].isin(new))
    facts["first_response_at"] = responding.groupby(stated["ticket_id"]).min()
    facts["opened_at"] = facts["opened_at"].fillna(facts["first_event_at"])
    fallback = facts["finished_entered_at"].where(facts["state"].isin(finished))
    facts["resolved_at"] = facts["resolved_at"].fillna(fallback)
    in_service = pd.Series(False, index=facts.index)
    for name, values in spec.service_rules:
        in_service |= facts[name].isin(list(values))
    facts = facts[in_service]

    ev["next_at"] = by_ticket["event_at"].shift(-1)
    pauses = ev.loc[ev["state"].isin(all_pauses), ["ticket_id", "state", "event_at", "next_at"]]
    pauses = pauses.rename(columns={"event_at": "from_at"})
    del ev, by_ticket, stated, previous, latest

    first, last = facts["opened_at"].min(), facts["last_event_at"].max()
    if pd.isna(first) or not spec.targets:
        return []
    instants = facts[["opened_at", "first_response_at", "resolved_at", "last_event_at"]]
    low, high = instants.min().min().to_pydatetime(), instants.max().max().to_pydatetime()
    one_us = np.timedelta64(1, "us")
    epoch = pd.Timestamp("1970-01-01")

    intervals: dict[object, pd.DataFrame] = {}

    def offsets(values: pd.Series, calendar: Any) -> pd.Series:
        """B(t) for a timestamp column (no nulls), in seconds."""
        if calendar.always_open:
            return (values - epoch) / one_us / 1e6
        key = _calendar_key(calendar)
        if key not in intervals:
            table = business_intervals(calendar, low.replace(tzinfo=UTC), high.replace(tzinfo=UTC))
            intervals[key] = table.to_pandas().astype({"open_at": values.dtype, "close_at": values.dtype})
        left = pd.DataFrame({"at": values}).sort_values("at")
        found = pd.merge_asof(left, intervals[key], left_on="at", right_on="open_at").set_index(left.index)
        inside = (np.minimum(found["at"], found["close_at"]) - found["open_at"]) / one_us / 1e6
        return (found["cum_seconds"] + inside).fillna(0.0).reindex(values.index)

    def meets(seconds: pd.Series, target: VersionTarget) -> pd.Series:
        threshold = target.threshold_seconds
        return {
            "lte": seconds <= threshold,
            "lt": seconds < threshold,
            "gte": seconds >= threshold,
            "gt": seconds > threshold,
        }[target.comparator]

    def selected(frame: pd.DataFrame, target: VersionTarget) -> pd.Series:
        keep = frame["opened_at"] >= _naive_utc(target.effective_from)
        if target.effective_to is not None:
            keep &= frame["opened_at"] < _naive_utc(target.effective_to)
        for name, values in target.scope:
            if values:
                keep &= frame[name].isin(list(values))
        return keep

    measured = []
    for members in _clock_groups(spec.targets):
        calendar, pause_states, stop = members[0].calendar, members[0].pause_states, STOP[members[0].metric]
        chosen = facts[facts[stop].notna()]
        keep = pd.Series(False, index=chosen.index)
        for target in members:
            keep |= selected(chosen, target)
        clock = chosen.loc[keep, ["opened_at", stop, *columns]].copy()
        clock["b_start"] = offsets(clock["opened_at"], calendar)
        clock["b_stop"] = offsets(clock[stop], calendar)
        seconds = clock["b_stop"] - clock["b_start"]
        if pause_states:
            mine = pauses[pauses["state"].isin(list(pause_states))].join(
                clock[["opened_at", stop, "b_start", "b_stop"]], on="ticket_id", how="inner"
            )
            mine["to_at"] = mine["next_at"].fillna(mine[stop])
            mine = mine[(mine["to_at"] > mine["opened_at"]) & (mine["from_at"] < mine[stop])]
            overlap = np.minimum(offsets(mine["to_at"], calendar), mine["b_stop"]) - np.maximum(
                offsets(mine["from_at"], calendar), mine["b_start"]
            )
            paused = overlap.clip(lower=0.0).groupby(mine["ticket_id"]).sum()
            seconds = seconds - paused.reindex(clock.index).fillna(0.0)
        clock["seconds"] = seconds.clip(lower=0.0)
        for target in members:
            rows = clock[selected(clock, target)]
            met = meets(rows["seconds"], target)
            near = met & (rows["seconds"] >= target.threshold_seconds * target.warning_percent / 100.0)
            local = rows[stop].dt.tz_localize("UTC").dt.tz_convert(target.window_time_zone)
            day = local.dt.tz_localize(None).dt.normalize()
            start, end = _day_range(target.window_time_zone, first.to_pydatetime(), last.to_pydatetime())
            frame = pd.DataFrame({"day": day, "met": met, "near": near})
            frame = frame[(frame["day"] >= pd.Timestamp(start)) & (frame["day"] <= pd.Timestamp(end))]
            daily = frame.groupby("day").agg(
                tickets=("met", "size"), met=("met", "sum"), near_breached=("near", "sum")
            )
            daily["version_id"] = target.version_id
            measured.append(daily.reset_index())
    if not measured:
        return []
    result = pd.concat(measured, ignore_index=True)
    return [
        {
            "version_id": int(r.version_id),
            "day": r.day.date(),
            "tickets": int(r.tickets),
            "met": int(r.met),
            "near_breached": int(r.near_breached),
        }
        for r in result.itertuples(index=False)
    ]


def _main(argv: list[str]) -> None:
    """`baselines.py pandas SPEC.pickle OUT.json`: run the pandas baseline, write its rows and timing."""
    if len(argv) != 3 or argv[0] != "pandas":
        raise SystemExit("usage: baselines.py pandas SPEC.pickle OUT.json")
    spec = pickle.loads(Path(argv[1]).read_bytes())  # noqa: S301 - written by the benchmark itself
    started = time.perf_counter()
    rows = pandas_attainment(spec)
    seconds = time.perf_counter() - started
    Path(argv[2]).write_text(json.dumps({"seconds": seconds, "rows": rows}, default=str))


if __name__ == "__main__":
    _main(sys.argv[1:])
