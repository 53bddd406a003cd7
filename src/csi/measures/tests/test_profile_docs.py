"""docs/profiles.md cannot drift: its complete example profile is saved and its example export imported
here, every stored value checked against a reading of the same export with the csv module, and every key
of the profile schema must be described on the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from csi.measures import profiles, selectors, services, store
from csi.measures.tests.conftest import CLI

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[4] / "docs" / "profiles.md"


def block(marker: str) -> str:
    """The fenced block that follows `<!-- example {marker}: ... -->` in the page."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example {marker}: [^>]*-->\s*```\w+\n(.*?)```", text, re.S)
    assert found, f"docs/profiles.md has no example {marker}"
    return found.group(1)


def test_every_key_of_the_profile_schema_is_described() -> None:
    text = DOC.read_text(encoding="utf-8")
    models: list[type[BaseModel]] = [
        profiles.ProfileSpec,
        profiles.FileFormat,
        profiles.FieldMap,
        profiles.Timestamps,
        profiles.States,
    ]
    for model in models:
        for name, info in model.model_fields.items():
            key = info.alias or name
            assert f"| `{key}` |" in text, f"docs/profiles.md does not describe {model.__name__}.{key}"


def test_the_example_profile_imports_the_example_export_as_the_page_says(make_source, import_bytes):
    profile, created = services.profile_save(actor=CLI, text=block("profile"))
    assert created and profile.key == "helpdesk-example"
    source = make_source(key="helpdesk", profile="helpdesk-example")
    export = block("export")
    result = import_bytes(source, export.encode(), name="helpdesk.csv")
    assert result.status == "committed", result.message
    con = store.ibis_connection()
    table = store.ticket_events(con, selectors.committed_batches(actor=CLI, source=source))
    rows = sorted(table.to_pyarrow().to_pylist(), key=lambda r: (r["ticket_id"], r["event_at"]))

    paris = ZoneInfo("Europe/Paris")
    values = {"1 - Critical": "P1", "1 - Urgent": "P1", "2 - High": "P2", "3 - Moderate": "P3"}
    expected = []
    for line in csv.DictReader(io.StringIO(export)):
        local = datetime.strptime(line["Updated"], "%d/%m/%Y %H:%M").replace(tzinfo=paris)
        priority = None if line["Priority"] in ("", "?") else line["Priority"]
        made = {"Yes": True, "No": False}.get(line["Made SLA"])
        expected.append(
            {
                "ticket_id": line["Number"],
                "event_at": local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
                "version": int(line["Mods"]),
                "state": line["Status"],
                "priority": values.get(priority, priority) if priority else None,
                "assignment_group": line["Group"],
                "channel": {"Phone": "phone", "E-mail": "email"}.get(line["Channel"]),
                "sla_flag": made,
                "category": "Major" if (line["Impact"], line["Urgency"]) == ("1", "1") else "Normal",
                "ticket_type": "incident",
            }
        )
    expected.sort(key=lambda r: (r["ticket_id"], r["event_at"]))
    assert [{key: row[key] for key in expected[0]} for row in rows] == expected
    # what the page says in words
    assert expected[0]["event_at"] == datetime(2024, 3, 1, 7, 0)
    assert [r["priority"] for r in expected if r["ticket_id"] == "INC3"] == ["Planning"]


def test_a_saved_profile_reads_back_the_same_and_compact() -> None:
    original = profiles.profile_from_text(block("profile"), "helpdesk.yaml")
    data = profiles.profile_to_data(original)
    assert data["spec"]["fields"]["ticket_id"] == "Number"  # a plain column stays short
    assert data["spec"]["fields"]["category"] == {
        "expression": '"Major" if impact == "1" and urgency == "1" else "Normal"'
    }
    again = profiles.ProfileDocument.model_validate(data)
    assert again == original
