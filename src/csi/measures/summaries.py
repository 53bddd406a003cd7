"""One wording of what an import run did, for the CLI, the API and the pages.

A run that stored nothing (a dry run, a rejected, failed, interrupted or duplicate run) says "stored
nothing" first and never gives a count as stored: what passed the checks is "valid" (or, for a dry
run, "to store"). Only a committed run says "N stored"; a deleted one says its records were taken out.
"""

from __future__ import annotations


def run_summary(
    *,
    status: str,
    rows_read: int,
    valid: int,
    stored: int,
    tickets: int,
    rejected: int,
    repeated: int = 0,
    max_rejects: int | None = None,
    new_events: int = 0,
    seen_events: int = 0,
    removed_events: int = 0,
    mode: str = "merge",
) -> str:
    """One line: the status, then the counts in words that cannot be read as stored data when nothing
    was stored. `tickets` are the stored tickets of a committed run, the valid ones of a dry run."""
    repeats = f", {repeated} repeated kept once" if repeated else ""
    # A ticket-event run compared with its source (new + already held = the valid events) says what it
    # adds: "20000 stored" beside "0 new events" would contradict itself.
    compared = valid > 0 and new_events + seen_events == valid
    if status == "committed" and compared:
        return f"committed: {rows_read} records read, {_adds(new_events, seen_events, removed_events, mode, 'stored')}, {tickets} tickets, {rejected} rejected{repeats}"
    if status == "dry-run" and compared:
        return (
            f"dry-run: {rows_read} records read, {_adds(new_events, seen_events, removed_events, mode, 'to store')}, "
            f"{tickets} tickets, {rejected} rejected{repeats}; stored nothing"
        )
    if status == "committed":
        return f"committed: {rows_read} records read, {stored} stored, {tickets} tickets, {rejected} rejected{repeats}"
    if status == "deleted":
        return f"deleted: {stored} records were stored, then taken out of the store"
    if status == "dry-run":
        return (
            f"dry-run: {rows_read} records read, {valid} to store, {tickets} tickets, {rejected} rejected"
            f"{repeats}; stored nothing"
        )
    if status == "rejected":
        tolerated = f" ({max_rejects} tolerated)" if max_rejects is not None else ""
        return f"rejected: stored nothing; {rows_read} records read, {valid} valid, {rejected} rejected{tolerated}"
    if status == "running":
        return "running: nothing stored yet"
    read = f"; {rows_read} records read" if rows_read else ""
    return f"{status}: stored nothing{read}"


def _adds(new: int, seen: int, removed: int, mode: str, verb: str) -> str:
    """What a ticket-event run adds to its source: "N new events stored (M already held)"; in replace
    mode also the events it hides."""
    held = f" ({seen} already held)" if seen else ""
    if mode == "replace":
        return f"{new} new events {verb}{held}, {removed} removed (replace)"
    return f"{new} new events {verb}{held}"
