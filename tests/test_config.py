"""Configuration: every variable the code reads is documented, and the secret key is handled safely."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_lists_every_variable_the_code_reads():
    read = set()
    for path in (ROOT / "src" / "csi").rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text()
        read |= set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', text))
        read |= set(re.findall(r'environ\["([A-Z][A-Z0-9_]+)"\]', text))
        read |= set(re.findall(r'env_(?:bool|list)\(\s*"([A-Z][A-Z0-9_]+)"', text))
    read -= {"DJANGO_SETTINGS_MODULE"}
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    assert read, "the scan found no variables"
    assert read <= documented, f"undocumented: {sorted(read - documented)}"


def test_secret_key_is_generated_once_with_private_mode(tmp_path):
    env = {**os.environ, "CSI_DATA_DIR": str(tmp_path), "SECRET_KEY": ""}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "csi.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    first, second = run(), run()
    assert first == second and len(first) >= 50
    key_file = tmp_path / "secret_key"
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_database_follows_database_url_and_sqlite_uses_wal(db):
    from django.db import connection

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql"
        return
    assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
