"""The JSON Schemas under `prompts/schemas/` are generated from `prompts.specs`; this keeps them in step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prompts.specs import outline_schema, plan_schema, section_schema, wrapup_schema

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_VERSION = 1


def expected_schemas() -> dict[str, dict[str, Any]]:
    # plan, section and wrap-up are what teachers are asked for; outline is the combined
    # shape stored as outline.json.
    return {
        f"{name}.v{SCHEMA_VERSION}.json": schema
        for name, schema in (
            ("outline", outline_schema()),
            ("plan", plan_schema()),
            ("section", section_schema()),
            ("wrapup", wrapup_schema()),
        )
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schema_files() -> list[Path]:
    SCHEMAS_DIR.mkdir(exist_ok=True)
    written = []
    for name, schema in expected_schemas().items():
        path = SCHEMAS_DIR / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def stale_schema_files() -> list[str]:
    """Names of schema files that are missing or differ from the specs."""
    stale = []
    for name, schema in expected_schemas().items():
        path = SCHEMAS_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != render(schema):
            stale.append(name)
    return stale
