"""Who to tell when what a data source's analytics show may have changed.

Apart from `csi.measures.services` so that registering a hook (the analytics app does it when Django
starts) loads nothing heavy: the services import the profiles and with them pyarrow, which every `csi`
command would otherwise pay for at start.
"""

from __future__ import annotations

from collections.abc import Callable

# Called (on commit) with a source id whenever what its analytics show may have changed: a batch
# committed or deleted, a rule changed. The analytics app registers its rollup refresh here.
_data_changed_hooks: list[Callable[[int], None]] = []


def on_data_changed(hook: Callable[[int], None]) -> None:
    """Call `hook(source_id)` after every committed change of a source's data or mapping rules."""
    _data_changed_hooks.append(hook)


def notify_data_changed(source_id: int) -> None:
    """Call every registered hook with the source id, in the order they were registered."""
    for hook in _data_changed_hooks:
        hook(source_id)
