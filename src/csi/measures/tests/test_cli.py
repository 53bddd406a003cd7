"""`csi measures` and `csi analytics` as a person runs them: the real command in a subprocess."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from csi.core.permissions import SystemActor
from csi.measures import services
from csi.measures.models import DataSource, ImportBatch, MappingProfile

LOG = (
    "ticket_id,event_at,state,priority,category,opened_at,resolved_at,closed_at,made_sla\n"
    "T1,2024-01-01T09:00:00Z,New,1 - Critical,Email,2024-01-01T09:00:00Z,,,\n"
    "T1,2024-01-01T10:00:00Z,Active,1 - Critical,Email,2024-01-01T09:00:00Z,,,true\n"
    "T1,2024-01-01T13:00:00Z,Resolved,1 - Critical,Email,2024-01-01T09:00:00Z,2024-01-01T13:00:00Z,,true\n"
    "T1,2024-01-02T09:00:00Z,Closed,1 - Critical,Email,2024-01-01T09:00:00Z,2024-01-01T13:00:00Z,2024-01-02T09:00:00Z,true\n"
    "T2,2024-01-01T11:00:00Z,New,4 - Low,Network,2024-01-01T11:00:00Z,,,\n"
    "T2,2024-01-03T11:00:00Z,Resolved,4 - Low,Network,2024-01-01T11:00:00Z,2024-01-03T11:00:00Z,,false\n"
    "T3,2024-01-02T08:00:00Z,New,4 - Low,Network,2024-01-02T08:00:00Z,,,\n"
)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_reports_counts_as_json_and_again_as_a_duplicate(cli, tmp_path):
    path = write(tmp_path, "log.csv", LOG)
    first = cli(
        "measures", "import", path, "--source", "desk", "--profile", "csi-event-log", "--json", check=True
    )
    data = json.loads(first.stdout)
    assert (data["status"], data["rows_read"], data["events"], data["tickets"], data["rejected"]) == (
        "committed",
        7,
        7,
        3,
        0,
    )
    again = cli("measures", "import", path, "--source", "desk", check=True)
    assert again.stdout.startswith("duplicate:") and f"batch #{data['batch_id']}" in again.stdout
    assert ImportBatch.objects.filter(status="committed").count() == 1
    assert DataSource.objects.get(key="desk").profile.key == "csi-event-log"


def test_rejected_import_exits_non_zero_and_its_report_downloads_as_csv(cli, tmp_path):
    # An existing source: a refused first import into a new one creates nothing (test_honest_runs).
    services.source_create(
        actor=SystemActor("test"),
        key="desk",
        name="desk",
        profile=MappingProfile.objects.get(key="csi-event-log"),
    )
    path = write(tmp_path, "bad.csv", LOG + "T4,yesterday,New,4 - Low,Email,,,,\n")
    result = cli("measures", "import", path, "--source", "desk", "--profile", "csi-event-log")
    assert result.returncode == 1
    assert "1 record(s) rejected, more than the 0 allowed; nothing was imported" in result.stderr
    assert "line 9, event_at: 'yesterday'" in result.stdout
    run = ImportBatch.objects.get()
    report = tmp_path / "rejects.csv"
    cli("measures", "rejects", str(run.pk), "-o", str(report), check=True)
    rows = list(csv.reader(io.StringIO(report.read_text())))
    assert rows[0] == ["line", "column", "value", "reason"]
    assert rows[1][:3] == ["9", "event_at", "yesterday"] and len(rows) == 2
    allowed = cli("measures", "import", path, "--source", "desk", "--max-rejects", "1", check=True)
    assert allowed.stdout.startswith("committed: 8 records read, 7 new events stored")


def test_dry_run_stores_nothing_and_a_new_source_needs_a_profile(cli, tmp_path):
    path = write(tmp_path, "log.csv", LOG)
    missing = cli("measures", "import", path, "--source", "new-one")
    assert missing.returncode == 1 and "name its profile (--profile)" in missing.stderr
    dry = cli(
        "measures", "import", path, "--source", "desk", "--profile", "csi-event-log", "--dry-run", check=True
    )
    assert (
        dry.stdout.startswith("dry-run: 7 records read, 7 new events to store")
        and "nothing was stored" in dry.stdout
    )
    assert not ImportBatch.objects.exists()


def test_profiles_add_list_show_and_refuse_bad_ones(cli, tmp_path):
    good = write(
        tmp_path,
        "p.yaml",
        "apiVersion: csi-workbench/v1\nkind: MappingProfile\nmetadata: {name: my-tool}\nspec:\n"
        "  name: My tool\n  sourceKind: ticket_events\n  fields: {ticket_id: Key, event_at: When}\n",
    )
    assert "Created profile my-tool." in cli("measures", "profile", "add", good, check=True).stdout
    listed = json.loads(cli("measures", "profile", "list", "--json", check=True).stdout)
    keys = {p["key"]: p["builtin"] for p in listed}
    assert keys["my-tool"] is False and keys["servicenow-incident-event-log"] is True
    assert "ticket_id: Key" in cli("measures", "profile", "show", "my-tool", check=True).stdout
    bad = write(tmp_path, "bad.yaml", Path(good).read_text().replace("event_at: When", "when: When"))
    result = cli("measures", "profile", "add", bad)
    assert (
        result.returncode == 1
        and "bad.yaml, document 1" in result.stderr
        and "unknown field(s) when" in result.stderr
    )
    builtin = write(tmp_path, "b.yaml", Path(good).read_text().replace("my-tool", "csi-event-log"))
    refused = cli("measures", "profile", "add", builtin)
    assert refused.returncode == 1 and "built-in profile" in refused.stderr
    assert MappingProfile.objects.filter(builtin=False).count() == 1


def test_analytics_tickets_and_backlog_from_the_command_line(cli, tmp_path):
    cli(
        "measures",
        "import",
        write(tmp_path, "log.csv", LOG),
        "--source",
        "desk",
        "--profile",
        "csi-event-log",
        check=True,
    )
    rows = json.loads(
        cli("analytics", "tickets", "--source", "desk", "--by", "priority", "--json", check=True).stdout
    )
    by_key = {r["key"]: r for r in rows}
    assert by_key["1 - Critical"]["tickets"] == 1 and by_key["1 - Critical"]["median_resolution_hours"] == 4.0
    assert by_key["4 - Low"]["tickets"] == 2 and by_key["4 - Low"]["resolved"] == 1
    assert by_key["4 - Low"]["median_resolution_hours"] == 48.0
    # the source's own SLA flag on each ticket's latest version: T1 true, T2 false, T3 none
    assert (
        by_key["1 - Critical"]["sla_flag_met_rate"] == 1.0 and by_key["4 - Low"]["sla_flag_met_rate"] == 0.0
    )
    backlog = json.loads(
        cli(
            "analytics",
            "backlog",
            "--source",
            "desk",
            "--at",
            "2024-01-02T08:30:00+00:00",
            "--json",
            check=True,
        ).stdout
    )
    assert backlog == [{"key": "all", "backlog": 3}]  # T1 closes at 09:00, T2 and T3 are open
    states = {
        r["state"]: r
        for r in json.loads(cli("analytics", "states", "--source", "desk", "--json", check=True).stdout)
    }
    # New: T1 1 h, T2 48 h (T3's only event is its final state: no sample, not a 0-hour one);
    # Active: T1 3 h; Resolved: T1 20 h (T2's Resolved is its last event: no sample)
    assert (states["New"]["tickets"], states["New"]["total_hours"], states["New"]["median_hours"]) == (
        2,
        49.0,
        24.5,
    )
    assert (states["Active"]["total_hours"], states["Resolved"]["total_hours"]) == (3.0, 20.0)
    assert states["Resolved"]["tickets"] == 1 and "Closed" not in states
    bad = cli("analytics", "tickets", "--source", "desk", "--by", "colour")
    assert bad.returncode == 1 and "cannot group by 'colour'" in bad.stderr
    unknown = cli("analytics", "tickets", "--source", "nope")
    assert unknown.returncode == 1 and "No data source 'nope'" in unknown.stderr


def test_rules_refuse_unsafe_expressions(cli, tmp_path, service):
    cli(
        "measures",
        "import",
        write(tmp_path, "log.csv", LOG),
        "--source",
        "desk",
        "--profile",
        "csi-event-log",
        check=True,
    )
    bad = cli(
        "measures",
        "rule",
        "add",
        "--source",
        "desk",
        "--service",
        service.key,
        "--expression",
        "__import__('os')",
    )
    assert bad.returncode == 1 and "expression" in bad.stderr
    good = cli(
        "measures",
        "rule",
        "add",
        "--source",
        "desk",
        "--service",
        service.key,
        "--field",
        "category",
        "--value",
        "Email",
        check=True,
    )
    assert "Added rule" in good.stdout
    assert service.key in cli("measures", "rule", "list", "--source", "desk", check=True).stdout


def test_a_partial_export_merges_and_replace_mode_tells_the_removed_count_first(cli, tmp_path):
    full = write(tmp_path, "full.csv", LOG)
    cli("measures", "import", full, "--source", "desk", "--profile", "csi-event-log", check=True)
    # T1's first two events again, and a new event for T3: merged, nothing of T1 or T2 removed.
    lines = LOG.splitlines(keepends=True)
    partial = write(
        tmp_path,
        "partial.csv",
        lines[0]
        + lines[1]
        + lines[2]
        + "T3,2024-01-04T08:00:00Z,Active,4 - Low,Network,2024-01-02T08:00:00Z,,,\n",
    )
    merged = cli("measures", "import", partial, "--source", "desk", check=True)
    assert "merge: 1 new events (1 tickets gain events), 2 already there" in merged.stdout
    batch = ImportBatch.objects.get(file_name="partial.csv")
    assert (batch.mode, batch.new_events, batch.seen_events, batch.gaining_tickets) == ("merge", 1, 2, 1)
    # Replace with T1's first two events only: its two later events would go; the dry run says so first.
    only = write(tmp_path, "only.csv", lines[0] + lines[1] + lines[2])
    dry = cli(
        "measures", "import", only, "--source", "desk", "--mode", "replace", "--dry-run", "--json", check=True
    )
    data = json.loads(dry.stdout)
    assert (
        data["status"],
        data["mode"],
        data["new_events"],
        data["seen_events"],
        data["removed_events"],
    ) == (
        "dry-run",
        "replace",
        0,
        2,
        2,
    )
    assert ImportBatch.objects.filter(status="committed").count() == 2
    done = cli("measures", "import", only, "--source", "desk", "--mode", "replace", check=True)
    assert "replace: 0 new events (0 tickets gain events), 2 already there, 2 were removed" in done.stdout
    runs = json.loads(cli("measures", "runs", "--source", "desk", "--json", check=True).stdout)
    assert (runs[0]["mode"], runs[0]["removed_events"]) == ("replace", 2)
    refused = cli("measures", "import", only, "--source", "desk", "--mode", "upsert")
    assert refused.returncode != 0 and "invalid choice: 'upsert'" in refused.stderr


def test_a_run_that_does_not_exist_is_a_clear_error(cli):
    for action in ("delete-batch", "rejects"):
        result = cli("measures", action, "99999")
        assert result.returncode != 0, action
        assert "No run #99999." in result.stderr and "Traceback" not in result.stderr + result.stdout
