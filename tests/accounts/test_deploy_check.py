"""Production settings pass `manage.py check --deploy` with warnings as failures."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys

from django.conf import settings


def test_production_settings_pass_the_deploy_check(tmp_path):
    alphabet = string.ascii_letters + string.digits + string.punctuation.replace("'", "").replace('"', "")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "ALAIN_", "SECURE_", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(64)),
        ALAIN_HTTPS="1",
        ALLOWED_HOSTS="alain.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
