"""Bounds on the ad hoc analytics queries (they scan a source's measured data): how many groups a query
may answer and how long it may run. Both refuse with `TooMuchWork`, whose message says how to narrow the
request, so that no request comes near the web server's timeout (60 s)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import ibis.expr.types as ir
from django.conf import settings

from csi.core.errors import TooMuchWork

NARROW = "Narrow it: a shorter period (from/to), one service, or a group-by with fewer values (by)."


@contextmanager
def time_limit(con: Any) -> Iterator[None]:
    """Run the block's queries on `con` (an Ibis DuckDB backend) for at most
    CSI_ANALYTICS_TIME_LIMIT_SECONDS: past the deadline a watchdog interrupts DuckDB, again every 50 ms
    until the block ends (an interrupt that lands between two queries is lost), and the block's
    InterruptException is refused as `TooMuchWork`."""
    seconds = settings.CSI_ANALYTICS_TIME_LIMIT_SECONDS
    done = threading.Event()

    def watchdog() -> None:
        if done.wait(seconds):
            return
        while not done.is_set():
            con.con.interrupt()
            done.wait(0.05)

    thread = threading.Thread(target=watchdog, name="analytics-time-limit", daemon=True)
    thread.start()
    try:
        yield
    except duckdb.InterruptException as exc:
        raise TooMuchWork(
            f"This question takes longer than {seconds:g} s, and was stopped. {NARROW}"
        ) from exc
    finally:
        done.set()
        thread.join()


def check_groups(con: Any, keys: ir.Column, *, field: str = "by") -> None:
    """Refuse when `keys` holds more distinct values than CSI_ANALYTICS_MAX_GROUPS (counted once, which
    costs far less than the per-group figures)."""
    limit = settings.CSI_ANALYTICS_MAX_GROUPS
    groups = int(con.execute(keys.nunique()))
    if groups > limit:
        raise TooMuchWork(
            f"Grouped by '{keys.get_name()}' this answers {groups:,} groups; the most is {limit:,}. {NARROW}",
            field=field,
        )


def check_rows(rows: list[Any], *, field: str = "by") -> list[Any]:
    """`rows` unless there are more than CSI_ANALYTICS_MAX_GROUPS of them (then refused)."""
    limit = settings.CSI_ANALYTICS_MAX_GROUPS
    if len(rows) > limit:
        raise TooMuchWork(f"This answers {len(rows):,} groups; the most is {limit:,}. {NARROW}", field=field)
    return rows
