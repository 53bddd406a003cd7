"""Import runs whose process died: found and marked interrupted, their leftovers removed.

An import run's row records the host and process that run it. A run still `running` whose process is
gone on this host was killed (kill -9, an out-of-memory kill, a server restart): it is marked
`interrupted` with a message, and what it left in the store's hidden folders is removed. Runs started on
another host are left alone (whether their process lives cannot be known here). This happens at the
next import of the source and, within a minute, by the `csi worker` job in `csi.measures.tasks`.
"""

from __future__ import annotations

from django.utils import timezone

from csi.measures import store
from csi.measures.choices import BatchStatus
from csi.measures.models import DataSource, ImportBatch

INTERRUPTED_MESSAGE = (
    "Interrupted: the importing process stopped before the run finished; nothing was stored."
)


def _live_among(source_id: int, batch_ids: set[int]) -> set[int]:
    return set(
        ImportBatch.objects.filter(
            source_id=source_id, pk__in=batch_ids, status__in=[BatchStatus.COMMITTED, BatchStatus.RUNNING]
        ).values_list("pk", flat=True)
    )


def recover_interrupted(source: DataSource | int) -> int:
    """Mark runs of `source` whose process has died as interrupted and remove what they left on disk;
    returns how many runs were marked. Safe to run at any time, from any number of processes."""
    source_id = source if isinstance(source, int) else source.pk
    count = 0
    for batch in ImportBatch.objects.filter(source_id=source_id, status=BatchStatus.RUNNING):
        if not store.process_alive(batch.host, batch.pid):
            count += ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
                status=BatchStatus.INTERRUPTED, message=INTERRUPTED_MESSAGE, finished_at=timezone.now()
            )
    store.sweep_orphans(source_id, lambda ids: _live_among(source_id, ids))
    return count


def recover_all_interrupted() -> int:
    """`recover_interrupted` for every source that has a running run; returns how many were marked."""
    sources = (
        ImportBatch.objects.filter(status=BatchStatus.RUNNING)
        .order_by()
        .values_list("source_id", flat=True)
        .distinct()
    )
    return sum(recover_interrupted(source_id) for source_id in list(sources))
