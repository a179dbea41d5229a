"""What the browser tests share besides fixtures: the browser's launch line, axe, waiting.

Debian's Chromium only (`/usr/bin/chromium`, package `chromium`): Playwright drives it through
`executable_path` and never downloads a browser. Without it every browser test is skipped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Playwright's default is 30 s; a page of ours that takes more than 15 s is a failure anyway.
DEFAULT_TIMEOUT_MS = 15_000
PASSWORD = "a-long-Browser-test-passphrase-7"

try:
    import playwright.sync_api  # noqa: F401
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # pragma: no cover - dev extras missing
    Axe = None


def missing_browser_reason() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    if Axe is None:
        return "playwright / axe-playwright-python are not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian package `chromium`)"
    return ""


needs_chromium = pytest.mark.skipif(bool(missing_browser_reason()), reason=missing_browser_reason() or "ok")


# -- console ---------------------------------------------------------------------------------


@dataclass
class PageLog:
    """Everything a page said on its console, and the script errors it raised."""

    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, url)
    errors: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        location = message.location or {}
        self.console.append((message.type, message.text, location.get("url", "")))

    def on_page_error(self, error: Any) -> None:
        self.errors.append(str(error))

    def csp_violations(self) -> list[str]:
        return [text for _, text, _ in self.console if "Content Security Policy" in text]

    def console_errors(self) -> list[str]:
        return [f"{text} ({url})" if url else text for kind, text, url in self.console if kind == "error"]


# -- axe-core --------------------------------------------------------------------------------


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} WCAG 2.1 A/AA violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation.get("nodes", []):
            target = " ".join(str(part) for part in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def axe_violations(page: Any) -> list[dict]:
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def axe_check(page: Any) -> None:
    """Fail with a readable list (rule, impact, help, targets) unless the page has 0 violations."""
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


# -- waiting ---------------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.2,
    message: str = "",
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds.

    With a page open pass `sleep=lambda s: page.wait_for_timeout(s * 1000)`, so Playwright keeps
    dispatching the page's events while we wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message or f"condition not met within {timeout} s")
        sleep(interval)


def url_of(path: str) -> re.Pattern:
    """A pattern for `page.wait_for_url` matching exactly this path on the live server (any query)."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")
