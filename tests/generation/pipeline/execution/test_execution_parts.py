"""The parts of execution validation that need no kernel: argv, install cells, findings, the stub."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from generation.pipeline.execution import is_install_cell, notebook_model
from generation.pipeline.execution import sandbox as sb
from generation.pipeline.execution.findings import build_outcome, strip_ansi
from generation.pipeline.execution.stub_openai import _reply_text, _sample

PROJECT_DIR = Path(__file__).resolve().parents[4]


@pytest.fixture
def paths():
    created = sb.SandboxPaths.create()
    yield created
    created.remove()


def test_the_kernel_argv_is_prlimit_then_bwrap_with_nothing_of_the_host_but_what_python_needs(
    paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALAIN_TEST_CANARY_SECRET", "canary-in-argv")
    argv = sb.kernel_argv(paths, sb.SandboxLimits(), model="acme/tiny")
    start = argv.index("prlimit")
    assert argv[argv.index("--", start) + 1] == "bwrap"
    bwrap = argv[argv.index("bwrap") :]
    sources = [bwrap[i + 1] for i, arg in enumerate(bwrap) if arg in ("--bind", "--ro-bind")]
    assert "/" not in sources
    assert str(PROJECT_DIR) not in sources and str(Path.home()) not in sources
    # Inside the project only the venv may be bound (read-only), never the code, .env or database.
    assert all(not s.startswith(f"{PROJECT_DIR}/") or s == str(Path(sys.prefix).resolve()) for s in sources)
    rw = [bwrap[i + 1] for i, arg in enumerate(bwrap) if arg == "--bind"]
    assert rw == [str(paths.run_dir)]
    for flag in ("--unshare-all", "--clearenv", "--die-with-parent", "--new-session"):
        assert flag in bwrap
    assert bwrap.index("--tmpfs") < bwrap.index(str(paths.files_dir))  # binds under /tmp stay visible
    assert "canary-in-argv" not in " ".join(argv)
    env = {bwrap[i + 1]: bwrap[i + 2] for i, arg in enumerate(bwrap) if arg == "--setenv"}
    assert env["OPENAI_API_KEY"] == sb.STUB_API_KEY and env["ALAIN_MODEL"] == "acme/tiny"
    assert env["OPENAI_BASE_URL"] == f"http://127.0.0.1:{sb.STUB_PORT}/v1"
    assert "ALAIN_DRY_RUN" not in env
    assert argv[-2:] == ["-f", "{connection_file}"]


def test_the_kernelspec_asks_for_message_interrupts(paths) -> None:
    sb.write_kernelspec(paths, ["prlimit", "--", "bwrap"])
    spec = json.loads((paths.kernel_dir / sb.KERNEL_NAME / "kernel.json").read_text())
    assert spec["interrupt_mode"] == "message"
    assert spec["argv"] == ["prlimit", "--", "bwrap"]


def test_it_says_plainly_when_bwrap_is_missing(paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sb.shutil, "which", lambda name: None)
    problem = sb.sandbox_problem(paths, sb.SandboxLimits())
    assert problem is not None and "bwrap" in problem and "bubblewrap" in problem


@pytest.mark.parametrize(
    ("source", "role", "expected"),
    [
        ("print('x')", "setup-install", True),
        ("%pip install -q openai==1.109.1\n%pip install -q ipywidgets==8.1.7", "", True),
        ("# install first\n!pip install requests\n\npip install numpy", "", True),
        ("!{sys.executable} -m pip install x", "", False),
        ("!python -m pip install x", "", True),
        ("%pip install x\nimport x", "", False),
        ("import os", "", False),
        ("", "", False),
    ],
)
def test_it_recognises_cells_that_only_install_packages(source: str, role: str, expected: bool) -> None:
    cell = new_code_cell(source, metadata={"alain": {"role": role}} if role else {})
    assert is_install_cell(cell) is expected
    assert is_install_cell(new_markdown_cell("%pip install x")) is False


def test_the_model_comes_from_the_notebook_and_is_cleaned_for_an_argv() -> None:
    nb = new_notebook(metadata={"alain": {"subject": "acme/tiny\x00\n-chat"}})
    assert notebook_model(nb) == "acme/tiny-chat"
    assert notebook_model(new_notebook()) == "validation-model"


def _nb(*sources: str, role: str = "step-code"):
    return new_notebook(cells=[new_code_cell(s, metadata={"alain": {"role": role}}) for s in sources])


def test_a_killed_worker_becomes_a_notebook_timeout_with_the_cells_that_did_not_run() -> None:
    nb = _nb("a = 1", "import time; time.sleep(99)", "b = 2")
    events = [
        {"event": "kernel-ready", "seconds": 1.0},
        {"event": "cell", "index": 0, "seconds": 0.1, "outputs": [], "execution_count": 1},
    ]
    outcome = build_outcome(
        nb, events, executable=[0, 1, 2], cell_timeout=60, total_timeout=10, worker_log="", worker_killed=True
    )
    assert [(f.code, f.cell_index) for f in outcome.findings] == [("notebook-timeout", 1), ("cell-not-run", 2)]
    assert outcome.notebook.cells[0].execution_count == 1


def test_a_worker_that_stops_without_finishing_is_a_crash_not_a_pass() -> None:
    outcome = build_outcome(
        _nb("a = 1"), [], executable=[0], cell_timeout=60, total_timeout=10, worker_log="boom", worker_killed=False
    )
    assert [f.code for f in outcome.findings] == ["execution-crashed"]
    assert "boom" in outcome.findings[0].message


def test_cell_errors_name_the_exception_strip_colours_and_mark_teacher_code_fixable() -> None:
    error = {
        "output_type": "error",
        "ename": "KeyError",
        "evalue": "'x'",
        "traceback": ["\x1b[31m-----\x1b[39m", "\x1b[31mKeyError\x1b[39m: 'x'"],
    }
    events = [{"event": "cell", "index": 0, "outputs": [error]}, {"event": "finished"}]
    outcome = build_outcome(
        _nb("{}['x']"), events, executable=[0], cell_timeout=60, total_timeout=10, worker_log="", worker_killed=False
    )
    (found,) = outcome.findings
    assert (found.code, found.severity, found.cell_index, found.fixable) == ("cell-error", "error", 0, True)
    assert found.message == "Cell 0 raised KeyError: 'x'\nKeyError: 'x'"
    assert strip_ansi("\x1b[38;5;28;01mimport\x1b[39;00m") == "import"


def test_the_stub_answers_schema_requests_with_the_smallest_valid_json() -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 6},
            "steps": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 1}}},
            },
            "kind": {"enum": ["tip", "note"]},
            "maybe": {"type": ["null", "boolean"]},
        },
        "required": ["title", "steps", "kind", "maybe"],
    }
    assert _sample(schema) == {"title": "stubxx", "steps": [{"n": 1}], "kind": "tip", "maybe": False}
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"schema": schema}},
    }
    assert json.loads(_reply_text(body))["kind"] == "tip"
    plain = {"messages": [{"role": "user", "content": "hello   there"}]}
    assert _reply_text(plain) == _reply_text(plain)
    assert _reply_text(plain).startswith("stub reply ") and _reply_text(plain).endswith("hello there")
