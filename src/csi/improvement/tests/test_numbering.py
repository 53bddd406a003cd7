"""Numbers of register entries and initiatives when people create them at the same moment.

Found under load on PostgreSQL: of two entries raised at once, both read the same highest number and
the second was refused by the unique constraint (a 500 on the page, sometimes a 422 saying the number
exists). Here a second person raises an entry while the first one's transaction is still open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from csi.improvement.models import Opportunity

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_raising_entries_at_once_get_the_next_two_numbers(
    owner: Any, contributor: Any, make_opportunity: Callable[..., Any]
) -> None:
    first_open = threading.Event()
    second: dict[str, Any] = {}

    def raise_second() -> None:
        first_open.wait(timeout=30)
        try:
            second["entry"] = make_opportunity(actor=contributor, title="Printers jam on Mondays")
        except Exception as exc:  # the test reports what the second person got
            second["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=raise_second)
    thread.start()
    with transaction.atomic():
        first = make_opportunity(actor=owner, title="Email restores are slow")
        first_open.set()
        # Keep the first transaction open while the second person saves (on SQLite the second waits
        # for the write lock; on PostgreSQL for the numbering lock, or, without it, for the row).
        time.sleep(1)
    thread.join(timeout=60)

    assert "error" not in second, f"the second person's entry was refused: {second.get('error')!r}"
    assert {first.number, second["entry"].number} == {"CSI-0001", "CSI-0002"}
    assert Opportunity.objects.count() == 2


def test_numbers_are_given_inside_the_creating_transaction_only(db: Any) -> None:
    from csi.improvement.services.common import next_number

    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(Opportunity, "CSI")
