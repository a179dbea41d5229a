"""promtool accepts /metrics and the alert rules; the dashboard asks only for metrics that exist.

promtool comes from Debian's `prometheus` package, which `.ci/run` installs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from alain_site.observability.metrics import AlainCollector
from tests.observability.helpers import scrape
from tests.observability.test_metrics import finished_run

OBSERVABILITY = Path(__file__).resolve().parents[2] / "alain_site" / "observability"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool missing (Debian package prometheus)")
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "")


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)


@needs_promtool
@pytest.mark.django_db
def test_promtool_accepts_the_metrics_page_with_every_family_filled():
    finished_run()
    text = scrape()
    result = promtool("check", "metrics", stdin=text)
    # promtool prints lint problems (e.g. a counter not ending in _total) and exits non-zero.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "alain_runs_finished_total{" in text and "django_http_requests_total_by_view_transport_method_total" in text


@needs_promtool
def test_promtool_accepts_the_alert_rules_and_their_unit_tests_pass():
    checked = promtool("check", "rules", str(OBSERVABILITY / "prometheus" / "alerts.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout
    tested = promtool("test", "rules", str(OBSERVABILITY / "prometheus" / "alerts_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_dashboard_and_the_rules_name_only_metrics_alain_exports():
    families = {family.name for family in AlainCollector().describe()}
    known = {name + suffix for name in families for suffix in SUFFIXES}
    dashboard = json.loads((OBSERVABILITY / "grafana" / "alain.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = yaml.safe_load((OBSERVABILITY / "prometheus" / "alerts.yml").read_text())
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(dashboard["panels"]) >= 12
    for expr in exprs:
        for name in re.findall(r"\balain_[a-z_]+\b", expr):
            assert name in known, f"{name} is not an alain metric (in {expr[:80]})"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
