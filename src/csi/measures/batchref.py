"""A committed batch as the measurement store's reader needs it (kept light: no DuckDB or Arrow)."""

from __future__ import annotations

from typing import NamedTuple


class BatchRef(NamedTuple):
    """A committed batch as the reader needs it: `mode` (merge or replace), `seen_in` (the batches whose
    copies of its already-visible events it refers to) and `rebased` (a replace batch imported before it
    has since been deleted, so its events may repeat earlier ones)."""

    source_id: int
    batch_id: int
    mode: str = "merge"
    seen_in: tuple[int, ...] = ()
    rebased: bool = False
