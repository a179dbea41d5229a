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
