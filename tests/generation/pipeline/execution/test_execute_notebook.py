"""Execution validation in the real sandbox: a demo manual, the stub endpoint, and hostile notebooks.

Each hostile notebook must be stopped and reported, and must leave the host unharmed: no files
written, no connection made, no secret read, no process left behind.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from generation.pipeline.execution import ExecutionResult, execute_notebook
from generation.pipeline.execution import sandbox as sandbox_module
from tests.generation.pipeline.test_assembly import demo_notebook

pytestmark = pytest.mark.notebook_exec

PROJECT_FILE = Path(__file__).resolve().parents[4] / "manage.py"
CANARY = "ALAIN_TEST_CANARY_SECRET"


def notebook(*sources: str):
    return new_notebook(cells=[new_markdown_cell("# A hostile manual"), *(new_code_cell(s) for s in sources)])


def codes(result: ExecutionResult, code: str) -> list[int | None]:
    return [f.cell_index for f in result.findings if f.code == code]


def text_of(result: ExecutionResult, index: int) -> str:
    outputs = result.notebook.cells[index].get("outputs", [])
    return "".join(str(out.get("text", "")) + str(out.get("evalue", "")) for out in outputs)


def assert_nothing_left(result: ExecutionResult) -> None:
    assert result.run_dir
    assert not Path(result.run_dir).exists()
    leftovers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if result.run_dir.encode() in cmdline:
                leftovers.append((entry.name, cmdline[:200]))
    assert leftovers == []


@pytest.fixture
def host_server() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on the host's loopback, recording every connection it accepts."""
    accepted: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            accepted.append(str(peer))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_it_runs_a_demo_manual_with_ask_answered_by_the_stub() -> None:
    nb = demo_notebook()
    result = execute_notebook(nb, cell_timeout=30, total_timeout=120)

    assert result.executed and result.sandboxed
    assert [f.code for f in result.findings if f.severity != "info"] == []
    install = next(
        i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("alain", {}).get("role") == "setup-install"
    )
    assert codes(result, "install-skipped") == [install]
    provider = next(i for i, c in enumerate(nb.cells) if c.metadata.get("alain", {}).get("role") == "provider-config")
    assert "Endpoint: http://127.0.0.1:8765/v1" in text_of(result, provider)
    assert "stub reply" in "".join(text_of(result, i) for i in result.cell_seconds)
    assert result.kernel_start_seconds is not None and result.seconds > result.kernel_start_seconds
    assert_nothing_left(result)


def test_it_keeps_the_host_out_of_reach(host_server, monkeypatch: pytest.MonkeyPatch) -> None:
    port, accepted = host_server
    monkeypatch.setenv(CANARY, "canary-value-that-must-not-leak")
    outside = PROJECT_FILE.parent / "pwned-by-notebook.txt"
    nb = notebook(
        # 1: the stub endpoint answers the real openai client, plain and JSON-mode requests
        "import json, os, openai\n"
        "client = openai.OpenAI(base_url=os.environ['OPENAI_BASE_URL'])\n"
        "reply = client.chat.completions.create(model=os.environ['ALAIN_MODEL'], "
        "messages=[{'role': 'user', 'content': 'hello'}])\n"
        "print(reply.choices[0].message.content)\n"
        "schema = {'type': 'object', 'properties': {'a': {'type': 'string'}, 'n': {'type': 'integer'}}, "
        "'required': ['a', 'n'], 'additionalProperties': False}\n"
        "data = client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'j'}], "
        "response_format={'type': 'json_schema', 'json_schema': {'name': 'x', 'schema': schema, 'strict': True}})\n"
        "assert json.loads(data.choices[0].message.content) == {'a': 'stub', 'n': 0}\n"
        "assert json.loads(client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'j'}], "
        "response_format={'type': 'json_object'}).choices[0].message.content) == {}\n"
        "print([m.id for m in client.models.list()], os.environ['OPENAI_API_KEY'])",
        # 2: no host files: no passwd, no project
        f"import os\nassert not os.path.exists('/etc/passwd') or 'root:x:0' not in open('/etc/passwd').read()\n"
        f"assert not os.path.exists({str(PROJECT_FILE)!r})\nprint(sorted(os.listdir('/')))",
        # 3: no secrets: the environment is what the sandbox set, nothing more
        f"import os\nassert {CANARY!r} not in os.environ, 'canary leaked'\n"
        f"assert b'canary-value' not in open('/proc/self/environ', 'rb').read()\nprint(len(os.environ))",
        # 4: no writes outside the run dir. The project's own folder is not there at all; when it
        # lives under /tmp (a CI clone), a write lands in the sandbox's private /tmp, never on
        # the host, which the test checks afterwards.
        "import os\nfor path in ['/etc/x', '/usr/x', '/x', os.environ['PATH'].split(':')[0] + '/x']:\n"
        "    try:\n        open(path, 'w').write('x')\n    except OSError as exc:\n        print('refused', path, exc.strerror)\n"
        "    else:\n        raise AssertionError(f'wrote {path}')\n"
        f"try:\n    open({str(outside)!r}, 'w').write('x')\nexcept OSError:\n    print('project refused')\n"
        "else:\n    print('project write stayed private')\nopen('inside.txt', 'w').write('fine')",
        # 5: no network to the host (the test's own server, PostgreSQL) or beyond
        "import socket\n"
        f"for host, port in [('127.0.0.1', {port}), ('127.0.0.1', 5432), ('10.0.0.1', 80), ('1.1.1.1', 443)]:\n"
        "    try:\n        socket.create_connection((host, port), timeout=2).close()\n"
        "    except OSError as exc:\n        print('blocked', host, port, type(exc).__name__)\n"
        "    else:\n        raise AssertionError(f'reached {host}:{port}')",
        # 6 and 7: a failing cell is reported, and the cell after it still runs
        "raise ValueError('broken on purpose')",
        "import totally_missing_module_xyz",
    )
    # Notebook metadata and tags must not steer the run: another kernel, skipped or allowed errors.
    nb.metadata["kernelspec"] = {"name": "host-python", "display_name": "escape", "language": "python"}
    nb.cells[6].metadata["tags"] = ["skip-execution", "raises-exception"]
    nb.cells[6].metadata["execution"] = {"timeout": 0}

    result = execute_notebook(nb, cell_timeout=20, total_timeout=90)

    assert result.executed
    assert "stub reply" in text_of(result, 1)
    assert "validation-stub" in text_of(result, 1)
    errors = {f.cell_index: f for f in result.findings if f.severity == "error"}
    assert sorted(errors) == [6, 7], [f.message for f in result.findings]
    assert errors[6].code == "cell-error" and "ValueError: broken on purpose" in errors[6].message
    assert "\x1b[" not in errors[6].message
    assert errors[7].code == "missing-module" and "`totally_missing_module_xyz`" in errors[7].message
    assert "not available in the validation environment" in errors[7].message
    assert text_of(result, 4).count("refused ") == 4
    assert "project" in text_of(result, 4)
    assert text_of(result, 5).count("blocked") == 4
    assert accepted == []
    assert not outside.exists()
    assert os.environ[CANARY]  # the parent still has it; the kernel never did
    assert_nothing_left(result)


def test_an_endless_loop_times_out_and_the_next_cell_still_runs() -> None:
    result = execute_notebook(
        notebook("while True:\n    pass", "print('next cell ran')"), cell_timeout=2, total_timeout=40
    )

    assert codes(result, "cell-timeout") == [1]
    assert "next cell ran" in text_of(result, 2)
    assert codes(result, "cell-error") == []
    assert_nothing_left(result)


def test_a_memory_bomb_is_stopped_and_reported() -> None:
    result = execute_notebook(
        notebook("blocks = []\nwhile True:\n    blocks.append(bytearray(256 * 1024 * 1024))", "print('survived')"),
        cell_timeout=20,
        total_timeout=40,
        memory_mb=1024,
    )

    reported = [(f.code, f.cell_index) for f in result.findings if f.severity == "error"]
    assert ("kernel-died", 1) in reported or ("cell-error", 1) in reported
    if ("cell-error", 1) in reported:
        assert "MemoryError" in next(f.message for f in result.findings if f.code == "cell-error")
        assert "survived" in text_of(result, 2)
    assert_nothing_left(result)


def test_a_fork_bomb_hits_the_process_limit_and_leaves_nothing_behind() -> None:
    bomb = (
        "import os, time\nparent = os.getpid()\nwhile True:\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n"
        "        if os.getpid() != parent:\n            os._exit(0)\n        raise\n"
        "    if pid == 0:\n        time.sleep(0.2)  # every child forks too, slowed a little"
    )
    result = execute_notebook(notebook(bomb, "print('kernel still answers')"), cell_timeout=20, total_timeout=40)

    error = next(f for f in result.findings if f.cell_index == 1)
    assert error.code == "cell-error" and "BlockingIOError" in error.message
    # The bomb keeps the process table full until the sandbox ends, so the next cell runs but may
    # itself fail to start a thread: what matters is that the kernel answered it.
    assert 2 in result.cell_seconds
    assert_nothing_left(result)


def test_a_hundred_megabytes_of_output_is_capped_and_reported() -> None:
    result = execute_notebook(
        notebook("for _ in range(100):\n    print('x' * 1_000_000)", "print('after the flood')"),
        cell_timeout=30,
        total_timeout=60,
    )

    assert codes(result, "output-too-large") == [1]
    kept = sum(len(str(out)) for cell in result.notebook.cells for out in cell.get("outputs", []))
    assert kept < 6_000_000
    assert "truncated" in text_of(result, 1)
    assert "after the flood" in text_of(result, 2)
    assert_nothing_left(result)


def test_a_kernel_that_kills_itself_is_reported_with_the_cells_that_did_not_run() -> None:
    result = execute_notebook(
        notebook("print('before')", "import os\nos.kill(os.getpid(), 9)", "print('after')", "x = 1"),
        cell_timeout=20,
        total_timeout=40,
    )

    assert codes(result, "kernel-died") == [2]
    assert codes(result, "cell-not-run") == [3, 4]
    assert "before" in text_of(result, 1)
    assert_nothing_left(result)


def test_the_notebook_wall_clock_limit_stops_a_cell_that_ignores_interrupts() -> None:
    started = time.monotonic()
    result = execute_notebook(
        notebook(
            "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(300)",
            "print('never')",
        ),
        cell_timeout=60,
        total_timeout=6,
    )

    assert codes(result, "notebook-timeout") == [1]
    assert codes(result, "cell-not-run") == [2]
    assert time.monotonic() - started < 30
    assert_nothing_left(result)


def test_it_refuses_to_run_without_a_sandbox_unless_explicitly_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = sandbox_module.shutil.which
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None if name == "bwrap" else real_which(name))
    nb = notebook("print('ran')")

    refused = execute_notebook(nb, cell_timeout=10, total_timeout=30)
    assert not refused.executed
    assert [(f.code, f.severity) for f in refused.findings] == [("sandbox-unavailable", "error")]
    assert "bwrap" in refused.findings[0].message and "not executed" in refused.findings[0].message
    assert refused.notebook.cells[1].get("outputs") == []

    allowed = execute_notebook(nb, cell_timeout=10, total_timeout=30, allow_unsandboxed=True)
    assert allowed.executed and not allowed.sandboxed
    assert "explicit opt-in" in allowed.sandbox
    assert codes(allowed, "unsandboxed") == [None]
    assert "ran" in text_of(allowed, 1)
    assert_nothing_left(allowed)
