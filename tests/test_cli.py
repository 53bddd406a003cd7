"""The `csi` command as a person runs it: a subprocess against the test database, then the API over HTTP."""

import json
import os
import subprocess
import urllib.request

import pytest

from csi.accounts.models import ApiToken, User
from csi.core.models import AuditEvent
from csi.core.pytest_plugin import csi_executable


def http_get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_help_lists_our_commands(cli):
    result = cli("--help", check=True)
    for command in ["serve", "worker", "demo", "createuser", "token"]:
        assert f"  {command} " in result.stdout
    for command in ["serve", "worker", "demo", "createuser", "token"]:
        assert cli(command, "--help", check=True).stdout.startswith("usage: csi " + command)


def test_createuser_token_then_api_call(cli, live_server):
    created = cli(
        "createuser",
        "olga",
        "--role",
        "service-owner",
        "--role",
        "contributor",
        "--password",
        "olgas-long-password-1",
        "--email",
        "olga@example.test",
        check=True,
    )
    assert "Created user olga" in created.stdout
    user = User.objects.get(username="olga")
    assert user.role_names == ["contributor", "service-owner"] and user.check_password(
        "olgas-long-password-1"
    )

    issued = cli("token", "create", "olga", "--name", "reporting", "--expires-days", "30", check=True)
    secret = issued.stdout.strip()
    assert secret.startswith("csi_") and "shown only now" in issued.stderr
    assert ApiToken.objects.get(user=user).name == "reporting"

    status, body = http_get(f"{live_server.url}/api/v1/me", secret)
    assert status == 200 and body["username"] == "olga"

    token_id = ApiToken.objects.get(user=user).pk
    revoked = cli("token", "revoke", str(token_id), check=True)
    assert "revoked" in revoked.stdout
    status, body = http_get(f"{live_server.url}/api/v1/me", secret)
    assert status == 401 and body["error"]["code"] == "not_authenticated"
    listed = json.loads(cli("token", "list", "olga", "--json", check=True).stdout)
    assert listed[0]["status"] == "revoked" and "digest" not in listed[0]
    assert AuditEvent.objects.filter(actor_label="cli").count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["createuser", "x", "--role", "emperor"], "invalid choice"),
        (["createuser", "bad name", "--role", "viewer", "--password", "long-enough-pass-1"], "username"),
        (["createuser", "weak", "--role", "viewer", "--password", "123"], "password"),
        (["createuser", "x"], "--role"),
        (["token", "create", "nobody"], "No user is called 'nobody'"),
        (["token", "revoke", "999"], "No token has id 999"),
    ],
)
def test_cli_bad_input_is_reported_and_changes_nothing(cli, args, message):
    before = (User.objects.count(), ApiToken.objects.count(), AuditEvent.objects.count())
    result = cli(*args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert (User.objects.count(), ApiToken.objects.count(), AuditEvent.objects.count()) == before


def test_createuser_duplicate_is_refused(cli):
    cli("createuser", "dup", "--role", "viewer", check=True)
    result = cli("createuser", "dup", "--role", "viewer")
    assert result.returncode != 0 and "already taken" in result.stderr
    assert User.objects.filter(username="dup").count() == 1


def test_demo_loads_the_organisation_is_idempotent_and_its_logins_work(cli, live_server):
    # One test, so the whole demo (the ServiceNow log imported and measured) is loaded once, then again.
    first = cli("demo", check=True)
    check_demo_organisation(first.stdout)
    check_demo_improvement()
    state = (
        User.objects.count(),
        AuditEvent.objects.count(),
        list(User.objects.values_list("password", flat=True)),
    )
    second = cli("demo", check=True)
    logins = first.stdout[first.stdout.index("Demo logins") :]
    assert second.stdout[second.stdout.index("Demo logins") :] == logins
    assert (
        "Catalog: 0 created, 0 updated" in second.stdout
        and "Standards: 0 created, 0 updated" in second.stdout
    )
    from csi.measures.models import ImportBatch

    assert ImportBatch.objects.count() == 1  # the same ticket data is not imported twice
    assert (
        User.objects.count(),
        AuditEvent.objects.count(),
        list(User.objects.values_list("password", flat=True)),
    ) == state
    rows = [line.split() for line in first.stdout.splitlines() if line.startswith("  ") and "demo-" in line]
    from csi.accounts.choices import Role

    assert len(rows) == len(Role)
    for username, password, *_ in rows:
        assert User.objects.get(username=username).check_password(password)


def check_demo_organisation(output: str) -> None:
    """What `csi demo` loaded, as its output `output` and the database show it."""
    assert "Catalog: " in output and "Standards: " in output
    from csi.catalog.models import Service
    from csi.standards.models import ServiceStandard

    demo = Service.objects.exclude(source__in=["backstage", "openslo"])
    assert demo.count() >= 15 and demo.values("category").distinct().count() >= 5
    desk = Service.objects.get(key="service-desk")
    assert desk.owner.username == "olivia.owner" and desk.stakeholder_links.count() >= 3
    assert desk.activities.count() >= 4 and desk.dependencies.exists()
    # the service desk's tickets are imported, mapped and measured against its standards
    from csi.analytics.models import AttainmentDay
    from csi.measures.models import ImportBatch

    batch = ImportBatch.objects.get(status="committed")
    assert batch.tickets > 0 and f"{batch.events} events of {batch.tickets} tickets" in output
    measured = AttainmentDay.objects.filter(standard__key="desk-p3-resolution")
    assert measured.exists() and 0 < sum(d.met for d in measured) < sum(d.tickets for d in measured)
    p2 = ServiceStandard.objects.get(key="desk-p2-resolution")
    assert p2.versions.count() == 2 and p2.current.calendar.key == "office-hours"
    priorities = {
        tuple(s.current.scope.get("priority", []))
        for s in ServiceStandard.objects.filter(key__startswith="desk-p")
    }
    assert ("1 - Critical",) in priorities and ("4 - Low",) in priorities


def check_demo_improvement() -> None:
    """The improvement part of the demo (checked on synthetic data in csi/demo/tests): on the real
    ServiceNow log when it is beside the project, with its figures in the register's descriptions."""
    from csi.analytics.models import AttainmentDay
    from csi.demo.tests.test_demo_improvement import (
        SERVICENOW_ZIP,
        check_initiatives,
        check_plans,
        check_register,
    )

    if not SERVICENOW_ZIP.exists():
        return
    check_plans()
    check_initiatives()
    entries = check_register()
    assert all("ServiceNow incident event log" in e.description for e in entries)
    days = AttainmentDay.objects.filter(tickets__gt=0).values_list("day", flat=True)
    first, last = days.order_by("day").first(), days.order_by("-day").first()
    assert f"from {first} to {last}" in entries[0].description


# What only some commands need: the whole API (every router and its schemas), the analytics engine,
# Arrow, the chart renderer. Loading them cost a second at the start of every command.
HEAVY = ("csi.api_root", "ibis", "duckdb", "pyarrow", "vl_convert", "scipy")


def modules_loaded(cli, *args: str) -> set[str]:
    """The modules `csi ARGS` imports, from Python's import-time report on stderr."""
    env = {**os.environ, "DATABASE_URL": cli.database_url, "PYTHONPROFILEIMPORTTIME": "1"}
    result = subprocess.run([csi_executable(), *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("register", "list"),
        ("plans", "list"),
        ("initiatives", "list"),
        ("catalog", "--help"),
        ("standards", "--help"),
        ("createuser", "--help"),
        ("token", "--help"),
    ],
)
def test_commands_start_without_loading_what_they_do_not_need(cli, args):
    loaded = modules_loaded(cli, *args)
    assert "django" in loaded  # the report was read
    assert not [m for m in HEAVY if m in loaded], (
        f"csi {' '.join(args)} loaded {[m for m in HEAVY if m in loaded]}"
    )
