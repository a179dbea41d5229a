"""`--database-tests-only` (tests/conftest.py): CI's PostgreSQL run keeps exactly the database tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def collected(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_it_keeps_the_tests_that_use_the_database_and_leaves_out_the_others():
    files = (
        "tests/generation/pipeline/test_runner.py",  # django_db, by a module mark
        "tests/providers/test_http.py",  # a fake teacher server, no database
        "tests/providers/test_governor.py",  # both kinds
    )
    everything = collected(*files)
    database = collected("--database-tests-only", *files)

    assert database < everything
    assert {t for t in everything if "test_runner.py" in t} <= database
    assert not {t for t in database if "test_http.py" in t}
    governor = {t for t in everything if "test_governor.py" in t}
    assert "tests/providers/test_governor.py::test_the_cap_holds_across_worker_processes" in database
    assert governor - database, "the governor's policy tests use no database"
