"""Bad input that a new user's real files hold (issue 12): a file in another encoding than the profile's
says which one it looks like and where; an empty required value says "empty". Every refusal leaves the
database and the store as they were."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from csi.measures import services
from csi.measures.choices import BatchStatus
from csi.measures.models import DataSource, ImportBatch, ImportReject, MappingProfile
from csi.measures.tests.conftest import CLI

pytestmark = pytest.mark.django_db

HEADER = "ticket_id,event_at,state,category\n"
GOOD = HEADER + "T1,2024-01-01T10:00:00Z,New,Café\nT1,2024-01-01T11:00:00Z,Resolved,Café\n"


def state() -> tuple[Any, ...]:
    """The rows of the app database the importer writes, and every folder and file of the store."""
    root = Path(settings.DATA_DIR) / "measures"
    files = (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".spill" not in p.parts)
        if root.exists()
        else []
    )
    return DataSource.objects.count(), ImportBatch.objects.count(), ImportReject.objects.count(), files


def profile_with(encoding: str, key: str = "desk-text") -> MappingProfile:
    fields = "{ticket_id: ticket_id, event_at: event_at, state: state, category: {column: category, optional: true}}"
    text = (
        f"apiVersion: csi-workbench/v1\nkind: MappingProfile\nmetadata: {{name: {key}}}\nspec:\n"
        f"  name: Desk {encoding}\n  sourceKind: ticket_events\n  format: {{type: csv, encoding: {encoding}}}\n"
        f"  timestamps: {{formats: [iso]}}\n  fields: {fields}\n  states: {{new: [New], resolved: [Resolved]}}\n"
    )
    profile, _ = services.profile_save(actor=CLI, text=text)
    return profile


def source_reading(encoding: str) -> DataSource:
    profile = (
        profile_with(encoding) if encoding != "utf-8" else MappingProfile.objects.get(key="csi-event-log")
    )
    return services.source_create(actor=CLI, key="desk", name="Desk", profile=profile)


def refused(source: DataSource, import_bytes: Any, content: bytes) -> str:
    """Import as a dry run (nothing may change at all) and for real (only a failed run row is added);
    returns the message."""
    before = state()
    dry = import_bytes(source, content, dry_run=True)
    assert dry.status == "failed" and state() == before, dry.message
    result = import_bytes(source, content)
    assert result.status == "failed" and result.message == dry.message
    assert ImportBatch.objects.get(pk=result.batch_id).status == BatchStatus.FAILED
    assert state()[3] == before[3]  # no folder, not even the source's
    return result.message


MISMATCHES = {
    # case: (profile encoding, file bytes, what the message must say)
    "utf-16 le with a mark, read as utf-8": (
        "utf-8",
        codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"),
        ["export.csv, line 1", "UTF-16 little-endian", "set format.encoding: utf-16 in the profile"],
    ),
    "utf-16 be with a mark, read as utf-8": (
        "utf-8",
        codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be"),
        ["line 1", "UTF-16 big-endian", "format.encoding: utf-16"],
    ),
    "utf-32 with a mark, read as utf-8": (
        "utf-8",
        codecs.BOM_UTF32_LE + GOOD.encode("utf-32-le"),
        ["line 1", "UTF-32 little-endian", "format.encoding: utf-32"],
    ),
    "utf-16 without a mark, read as utf-8": (
        "utf-8",
        GOOD.encode("utf-16-le"),
        ["line 1", "every other byte is NUL", "UTF-16 little-endian without a byte order mark", "utf-16-le"],
    ),
    "utf-8 with a mark, read as latin-1": (
        "latin-1",
        codecs.BOM_UTF8 + GOOD.encode(),
        ["line 1", "byte order mark of UTF-8", "not iso8859-1 as the profile says", "format.encoding: utf-8"],
    ),
    "utf-8 without a mark, read as cp1252": (
        "cp1252",
        GOOD.encode(),
        ["export.csv, line 2: byte 0xC3 starts a UTF-8 character ('é')", "format.encoding: utf-8"],
    ),
    "latin-1, read as ascii": (
        "ascii",
        GOOD.encode("latin-1"),
        [
            "export.csv, line 2: byte 0xE9 is not valid ascii",
            "Latin-1 (ISO-8859-1)",
            "format.encoding: latin-1",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_a_file_in_another_encoding_is_refused_saying_which_and_where(case, import_bytes):
    encoding, content, expected = MISMATCHES[case]
    message = refused(source_reading(encoding), import_bytes, content)
    for part in expected:
        assert part in message, message


def test_the_suggested_encoding_reads_the_file(import_bytes):
    source = source_reading("utf-16")
    result = import_bytes(source, codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"))
    assert (result.status, result.events, result.preview[0][:1]) == ("committed", 2, ["T1"]), result.message
    assert "Café" in result.preview[0]


@pytest.mark.parametrize(
    ("text", "byte", "label", "encoding"),
    [
        ("Café", "0xE9", "Latin-1 (ISO-8859-1)", "latin-1"),
        ("l\u2019été", "0x92", "Windows-1252 (Western European)", "cp1252"),  # a curly apostrophe
    ],
)
def test_records_not_in_utf8_say_the_byte_line_and_the_encoding_they_look_like(
    text, byte, label, encoding, import_bytes
):
    source = source_reading("utf-8")
    content = (b"ticket_id,event_at,state,category\nT1,2024-01-01T10:00:00Z,New,ok\n") + (
        f"T2,2024-01-01T11:00:00Z,New,{text}\n".encode("cp1252")
    )
    before = state()
    result = import_bytes(source, content)
    assert result.status == "rejected" and state()[3] == before[3]
    (reject,) = result.rejects
    assert reject.line == 3
    assert reject.reason.startswith(f"not valid UTF-8: byte {byte} at character ")
    assert f"it looks like {label}: set format.encoding: {encoding} in the profile" in reject.reason
    assert f"The first record that is not valid UTF-8 is on line 3: it looks like {label}" in result.message


EMPTY = {
    # profile: (file, the reject's column and reason)
    "csi-event-log event_at": (
        "ticket_id,event_at,state\nT1,2024-01-01T10:00:00Z,New\nT2,,New\n",
        "event_at",
        "event_at is empty; a value is required",
    ),
    "csi-event-log ticket_id": (
        "ticket_id,event_at,state\nT1,2024-01-01T10:00:00Z,New\n,2024-01-01T10:00:00Z,New\n",
        "ticket_id",
        "ticket_id is empty; a value is required",
    ),
    "csi-metric-samples metric": (
        "metric,sampled_at,value\nlatency,2024-01-01T10:00:00Z,3\n,2024-01-01T10:00:00Z,4\n",
        "metric",
        "metric is empty; a value is required",
    ),
    "csi-metric-samples sampled_at": (
        "metric,sampled_at,value\nlatency,2024-01-01T10:00:00Z,3\nlatency,,4\n",
        "sampled_at",
        "sampled_at is empty; a value is required",
    ),
    "csi-survey-answers answered_at": (
        "answered_at,score\n2024-01-01T10:00:00Z,4\n,5\n",
        "answered_at",
        "answered_at is empty; a value is required",
    ),
    "csi-survey-answers score": (
        "answered_at,score\n2024-01-01T10:00:00Z,4\n2024-01-01T11:00:00Z,\n",
        "score",
        "score is empty; a value is required",
    ),
}


@pytest.mark.parametrize("case", sorted(EMPTY))
def test_an_empty_required_value_is_reported_as_empty(case, import_bytes):
    text, column, reason = EMPTY[case]
    profile = MappingProfile.objects.get(key=case.split()[0])
    source = services.source_create(actor=CLI, key="feed", name="Feed", profile=profile)
    before = state()
    result = import_bytes(source, text.encode())
    assert result.status == "rejected" and state()[3] == before[3]
    (reject,) = result.rejects
    assert (reject.line, reject.column, reject.value, reject.reason) == (3, column, "", reason)


def test_a_value_of_only_spaces_is_not_called_a_bad_date(import_bytes):
    source = source_reading("utf-8")
    result = import_bytes(
        source, b"ticket_id,event_at,state,resolved_at\nT1,  ,New,\nT2,2024-01-01T10:00:00Z,New,   \n"
    )
    reasons = sorted(r.reason for r in result.rejects)
    assert reasons == [
        "event_at holds only spaces; a value is required",
        "resolved_at holds only spaces; leave it empty or give a value",
    ]


def test_a_header_not_in_utf8_is_refused_as_such_not_as_missing_columns(import_bytes):
    source = source_reading("utf-8")
    content = "ticket_id,event_at,state,catégorie\nT1,2024-01-01T10:00:00Z,New,x\n".encode("latin-1")
    message = refused(source, import_bytes, content)
    assert message == (
        "export.csv, line 1: byte 0xE9 of the header is not valid UTF-8; it looks like Latin-1 (ISO-8859-1): "
        "set format.encoding: latin-1 in the profile"
    )


def test_json_not_in_utf8_says_the_line_and_what_it_looks_like(import_bytes):
    services.profile_save(
        actor=CLI,
        text="apiVersion: csi-workbench/v1\nkind: MappingProfile\nmetadata: {name: desk-json}\nspec:\n"
        "  name: Desk JSON\n  sourceKind: ticket_events\n  format: {type: ndjson}\n"
        "  fields: {ticket_id: id, event_at: at, state: state}\n",
    )
    source = services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="desk-json")
    )
    content = (
        b'{"id": "T1", "at": "2024-01-01T10:00:00Z", "state": "New"}\n'
        + '{"id": "T2", "at": "2024-01-01T11:00:00Z", "state": "Réglé"}\n'.encode("cp1252")
    )
    message = refused(source, import_bytes, content)
    assert message == (
        "export.csv, line 2: byte 0xE9 is not valid UTF-8; it looks like Latin-1 (ISO-8859-1): "
        "set format.encoding: latin-1 in the profile"
    )
    # ... and the advice works: the same file with the encoding set imports, the accent kept.
    services.profile_save(
        actor=CLI,
        text="apiVersion: csi-workbench/v1\nkind: MappingProfile\nmetadata: {name: desk-json}\nspec:\n"
        "  name: Desk JSON\n  sourceKind: ticket_events\n  format: {type: ndjson, encoding: latin-1}\n"
        "  fields: {ticket_id: id, event_at: at, state: state}\n",
    )
    source.refresh_from_db()
    result = import_bytes(source, content)
    assert (result.status, result.events) == ("committed", 2), result.message
    assert [row[:1] for row in result.preview] == [["T1"], ["T2"]] and "Réglé" in result.preview[1]
