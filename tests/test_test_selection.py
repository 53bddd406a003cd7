"""`--database-tests-only` (the second database run of .ci/run): it leaves out exactly the tests that
pytest-django keeps away from the test database, and the `browser` mark leaves out tests/e2e."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = """
import pytest

@pytest.mark.django_db
def test_marked():
    pass

def test_with_db_fixture(db):
    pass

def test_with_live_server(live_server):
    pass

def test_with_the_cli(cli):
    pass

def test_pure_function():
    pass
"""


def collected(tmp_path: Path, *options: str) -> list[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    config = ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), "-p", "no:xdist"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *config,
            "--collect-only",
            "-q",
            *options,
            str(tmp_path / "test_sample.py"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return sorted(line.split("::")[1] for line in result.stdout.splitlines() if "::" in line)


def test_database_tests_only_leaves_out_the_tests_that_cannot_reach_the_database(tmp_path: Path) -> None:
    assert collected(tmp_path, "--database-tests-only") == [
        "test_marked",
        "test_with_db_fixture",
        "test_with_live_server",
        "test_with_the_cli",
    ]
    assert len(collected(tmp_path)) == 5  # without the option, every test


def test_every_browser_test_carries_the_browser_mark() -> None:
    """`-m "not browser"` leaves out tests/e2e and nothing else, also for an e2e module without the mark."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q", "-m", "browser"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    selected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    assert selected == {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "e2e").glob("test_*.py")}
