"""Versioned prompt templates stored as files: `prompts/templates/<name>.v<N>.md`.

A template file has a `## system` part and a `## user` part; `$name` placeholders are filled
with `string.Template`, so braces or dollar signs inside card text are inserted verbatim.
The newest version of each prompt is used unless a version is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.md$")
_PART = re.compile(r"^## (system|user)\s*$", re.MULTILINE)


class PromptNotFound(LookupError):
    pass


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: int
    system: str
    user: str

    @property
    def label(self) -> str:
        return f"{self.name}.v{self.version}"

    def placeholders(self) -> set[str]:
        found = set()
        for text in (self.system, self.user):
            for match in Template.pattern.finditer(text):
                if name := match.group("named") or match.group("braced"):
                    found.add(name)
        return found

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with every placeholder filled; a missing value is an error, not a blank."""
        missing = self.placeholders() - values.keys()
        if missing:
            raise KeyError(f"prompt {self.label} needs values for: {', '.join(sorted(missing))}")
        return [
            {"role": "system", "content": Template(self.system).substitute(values).strip()},
            {"role": "user", "content": Template(self.user).substitute(values).strip()},
        ]


def _parse(path: Path, name: str, version: int) -> PromptTemplate:
    text = path.read_text(encoding="utf-8")
    parts = _PART.split(text)
    # parts: [preamble, "system", body, "user", body]
    sections = dict(zip(parts[1::2], parts[2::2], strict=False))
    if set(sections) != {"system", "user"}:
        raise ValueError(f"{path.name} must have one '## system' and one '## user' part")
    return PromptTemplate(name=name, version=version, system=sections["system"], user=sections["user"])


@cache
def available_prompts() -> dict[str, list[int]]:
    """Prompt names and their versions, oldest first."""
    found: dict[str, list[int]] = {}
    for path in TEMPLATES_DIR.glob("*.md"):
        if match := _FILE.match(path.name):
            found.setdefault(match["name"], []).append(int(match["version"]))
    return {name: sorted(versions) for name, versions in found.items()}


@cache
def load_prompt(name: str, version: int | None = None) -> PromptTemplate:
    versions = available_prompts().get(name)
    if not versions:
        raise PromptNotFound(f"no prompt named {name!r} in {TEMPLATES_DIR}")
    chosen = version if version is not None else versions[-1]
    if chosen not in versions:
        raise PromptNotFound(f"prompt {name!r} has no version {chosen} (has {versions})")
    return _parse(TEMPLATES_DIR / f"{name}.v{chosen}.md", name, chosen)
