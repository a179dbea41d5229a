"""Every environment variable the settings read is documented in `.env.example` and the README."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ = re.compile(r"env_(?:str|int|float|bool|list)\(\s*\"([A-Z0-9_]+)\"")


def test_every_setting_read_from_the_environment_is_documented():
    settings_source = (ROOT / "alain_site" / "settings.py").read_text()
    names = set(READ.findall(settings_source))
    assert {"DATABASE_URL", "ALAIN_TASK_TIMEOUT", "ALAIN_RUN_MAX_DELIVERIES"} <= names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    missing_example = sorted(n for n in names if not re.search(rf"^#?\s*{n}=", example, re.MULTILINE))
    missing_readme = sorted(n for n in names if f"`{n}`" not in readme)
    assert missing_example == [], f".env.example lacks {missing_example}"
    assert missing_readme == [], f"README's settings table lacks {missing_readme}"
