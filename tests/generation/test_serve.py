"""`alain serve` (what `make run` runs): web process and qcluster together, stopped together."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "generation" / "samples" / "Qwen3-0.6B.md"

SERVE = [sys.executable, "manage.py", "alain", "serve", "--addr", "127.0.0.1:0"]

pytestmark = pytest.mark.cluster


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALAIN_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        ALAIN_MEDIA_ROOT=str(tmp_path / "media"),
        ALAIN_HF_CACHE_DIR=str(tmp_path / "hf"),
        ALAIN_Q_POLL="0.2",
        DJANGO_SETTINGS_MODULE="alain_site.settings",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    return env


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive


def _children_of(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", output)]


def test_serve_once_builds_the_sample_through_the_cluster_and_stops_both(tmp_path):
    env = _env(tmp_path)
    out_dir = tmp_path / "out"
    done = subprocess.run(
        [*SERVE, "--sample", str(SAMPLE), "--outDir", str(out_dir), "--no-execute", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [folder] = list(out_dir.iterdir())
    assert (folder / "notebook.ipynb").stat().st_size > 1000
    # django-q2 logs it through ALAIN's handler: a JSON line on stdout.
    processed = [
        json.loads(line) for line in done.stdout.splitlines() if "Processed 'generation.tasks.run_pipeline'" in line
    ]
    assert processed, "the run went through the cluster"
    assert processed[0]["logger"] == "django-q"
    pids = _children_of(done.stdout)
    assert len(pids) == 2
    assert _alive(pids) == [], "qcluster and the web process are gone"


def test_ctrl_c_stops_the_web_process_and_the_workers(tmp_path):
    env = _env(tmp_path)
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            SERVE,
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "serving on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "serving on" in log.read_text(), log.read_text()[-2000:]
        # Each child leads its own process group: the cluster's workers are in the qcluster's.
        groups = _children_of(log.read_text())
        workers: list[str] = []
        while len(workers) <= len(groups) and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [
                pid
                for group in groups
                for pid in subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
            ]
        assert len(workers) > len(groups), "the cluster runs with its worker processes"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        # Whatever happened, no child group outlives the test.
        for group in _children_of(log.read_text()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
    assert "web process and workers stopped" in log.read_text()
    assert _alive(_children_of(log.read_text())) == []
    assert _alive([int(pid) for pid in workers]) == [], "no qcluster process survives"
