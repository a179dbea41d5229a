import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from generation.models import Run, RunStatus
from tests.generation.factories import SAMPLE_CARD

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = Path(__file__).resolve().parents[2] / "generation" / "samples" / "Qwen3-0.6B.md"


def generate(*args, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("alain", "generate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def exit_code_of(*args):
    with pytest.raises(CommandError) as info:
        generate(*args)
    return info.value.returncode, str(info.value)


def test_it_generates_the_bundled_sample_with_the_demo_teacher(tmp_path):
    out, err = generate("--source", str(SAMPLE), "--outDir", str(tmp_path), "--provider", "demo")
    folder = Path(out.strip())
    assert folder.parent == tmp_path
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {
        "notebook.ipynb",
        "validation.md",
        "metrics.json",
        "manifest.json",
        "research.json",
        "outline.json",
    } <= names
    assert any(name.startswith("sections/") for name in names)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["teacher"]["demo"] is True
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json"}
    assert "[alain] outline: started" in err
    run = Run.objects.get()
    assert run.status == RunStatus.SUCCEEDED


def test_it_prints_a_json_summary_when_asked(tmp_path):
    out, _ = generate("--source", str(SAMPLE), "--outDir", str(tmp_path), "--provider", "demo", "--json")
    summary = json.loads(out)
    assert summary["exit_code"] == 0
    assert summary["run"]["status"] == "succeeded"
    assert set(summary["run"]["stage_timings_ms"]) >= {"research", "outline", "sections", "publish"}


def test_text_on_stdin_is_a_source(tmp_path, monkeypatch):
    out, _ = generate(
        "--text", "-", "--outDir", str(tmp_path), "--provider", "demo", stdin=SAMPLE_CARD, monkeypatch=monkeypatch
    )
    assert (Path(out.strip()) / "notebook.ipynb").exists()
    assert Run.objects.get().source_kind == "text"


@pytest.mark.parametrize(
    ("args", "code", "sentence"),
    [
        (["--maxSections", "99"], 2, "max sections must be between"),
        (["--language", "English"], 2, "ISO code"),
        (["--provider", "nope"], 2, "nope"),
    ],
)
def test_usage_errors_exit_2_with_a_sentence_and_store_nothing(tmp_path, args, code, sentence):
    returncode, message = exit_code_of("--source", str(SAMPLE), "--outDir", str(tmp_path / "o"), *args)
    assert returncode == code
    assert sentence in message
    assert Run.objects.count() == 0
    assert not (tmp_path / "o").exists()


def test_source_errors_exit_3(tmp_path):
    binary = tmp_path / "card.md"
    binary.write_bytes(b"\x00\x01\x02binary")
    cases = [
        ["--model", "https://huggingface.co/datasets/squad/squad"],
        ["--model", "https://huggingface.co.evil.com/org/name"],
        ["--source", str(tmp_path / "missing.md")],
        ["--source", str(binary)],
    ]
    for args in cases:
        returncode, message = exit_code_of(*args, "--outDir", str(tmp_path / "o"), "--provider", "demo")
        assert returncode == 3, (args, message)
        assert message.startswith("Source error:")
    assert Run.objects.count() == 0
    assert not (tmp_path / "o").exists()


def test_a_remote_teacher_without_a_key_exits_4_and_names_the_variable(tmp_path, settings):
    settings.ALAIN = {**settings.ALAIN, "OPENAI_API_KEY": ""}
    returncode, message = exit_code_of("--source", str(SAMPLE), "--outDir", str(tmp_path), "--provider", "openai")
    assert returncode == 4
    assert "OPENAI_API_KEY" in message


def test_an_unreachable_teacher_exits_4_and_records_the_failed_run(tmp_path, settings):
    settings.ALAIN = {**settings.ALAIN, "HTTP_MAX_ATTEMPTS": 2, "HTTP_BACKOFF_BASE_SECONDS": 0.0}
    returncode, message = exit_code_of(
        "--source",
        str(SAMPLE),
        "--outDir",
        str(tmp_path),
        "--provider",
        "local",
        "--baseUrl",
        "http://127.0.0.1:9/v1",
        "--teacherModel",
        "teacher",
    )
    assert returncode == 4
    assert "outline" in message
    run = Run.objects.get()
    assert (run.status, run.error_stage, run.error_kind) == (RunStatus.FAILED, "outline", "teacher")
    assert not any(tmp_path.iterdir()), "a failed run before publish writes no folder"


def test_providers_lists_the_catalog_without_keys_and_probes_each(settings, teacher_server):
    canary = "sk-canary-" + "Z3k8" * 8
    settings.ALAIN = {
        **settings.ALAIN,
        "OPENAI_API_KEY": canary,
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "LOCAL_BASE_URL": teacher_server.base_url,
    }
    out = io.StringIO()
    call_command("alain", "providers", "--json", stdout=out)
    assert canary not in out.getvalue()
    entries = {entry["key"]: entry for entry in json.loads(out.getvalue())}
    assert set(entries) == {"openai", "poe", "local", "demo"}
    assert entries["openai"]["has_key"] is True
    assert entries["local"]["probe"]["ok"] is True
    assert entries["openai"]["probe"]["ok"] is False
    assert entries["poe"]["probe"]["ok"] is False
    assert "POE_API_KEY" in entries["poe"]["probe"]["message"]
    assert "latency_ms" not in entries["poe"]["probe"], "a provider without a key is never contacted"


def test_providers_prints_one_readable_line_per_provider():
    out = io.StringIO()
    call_command("alain", "providers", "--no-probe", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if not line.startswith(" ")]
    assert len(lines) == 4
    assert any(line.startswith("demo") and "configured" in line for line in lines)


def test_an_unmigrated_database_is_a_usage_error_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr("generation.cli.unapplied_migrations", lambda: ["generation.0002_new"])
    returncode, message = exit_code_of("--source", str(SAMPLE), "--outDir", str(tmp_path), "--provider", "demo")
    assert returncode == 2
    assert "run `manage.py migrate`" in message
    assert Run.objects.count() == 0
    with pytest.raises(CommandError) as retried:
        call_command("alain", "retry", "some-run", "--outDir", str(tmp_path))
    assert retried.value.returncode == 2 and "run `manage.py migrate`" in str(retried.value)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_one_bar_line_on_a_terminal_and_plain_lines_otherwise():
    from generation.cli import Progress

    terminal = FakeTerminal()
    bar = Progress(stream=terminal)
    bar("outline", "started")
    bar("outline", "done in 1.0 s")
    bar.close()
    text = terminal.getvalue()
    assert "\r\x1b[2K[#-------] 2/8 outline: started" in text
    assert "[##------] 2/8 outline: done in 1.0 s" in text
    assert text.endswith("\n") and text.count("\n") == 1

    plain = io.StringIO()
    Progress(stream=plain)("outline", "started")
    assert plain.getvalue() == "[alain] outline: started\n"


def test_retry_resumes_a_failed_run_from_its_failed_stage(tmp_path, settings, teacher_server):
    settings.ALAIN = {**settings.ALAIN, "HTTP_MAX_ATTEMPTS": 1, "JSON_MAX_ATTEMPTS": 1}
    teacher_server.stop()  # unreachable: the run fails in the outline stage
    returncode, message = exit_code_of(
        "--source",
        str(SAMPLE),
        "--outDir",
        str(tmp_path),
        "--provider",
        "local",
        "--baseUrl",
        teacher_server.base_url,
        "--teacherModel",
        "teacher",
        "--no-execute",
    )
    run = Run.objects.get()
    assert returncode == 4 and f"manage.py alain retry {run.tutorial_id}" in message

    # The teacher is reachable again, now as the demo teacher behind the same run.
    Run.objects.filter(pk=run.pk).update(teacher_provider="demo", teacher_base_url="")
    out, err = io.StringIO(), io.StringIO()
    call_command("alain", "retry", run.tutorial_id, "--outDir", str(tmp_path), stdout=out, stderr=err)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.completed_stages[0] == "research"
    assert "reusing what is done (research)" in err.getvalue()
    assert (Path(out.getvalue().strip()) / "notebook.ipynb").exists()


def test_retry_refuses_unknown_and_successful_runs(tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("alain", "retry", "no-such-run", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 2
    generate("--source", str(SAMPLE), "--outDir", str(tmp_path), "--provider", "demo", "--no-execute")
    with pytest.raises(CommandError) as info:
        call_command("alain", "retry", Run.objects.get().tutorial_id, stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 2 and "only a failed or cancelled run can be retried" in str(info.value)
