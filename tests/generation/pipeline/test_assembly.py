"""The notebook builder: contract order, markdown share, safety of teacher text, determinism."""

from __future__ import annotations

import ast
import itertools
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from packaging.requirements import Requirement

from generation.pipeline import assembly
from generation.pipeline.assembly import NotebookMeta, build_notebook, markdown_share, notebook_to_bytes
from generation.pipeline.research.snapshot import ResearchSnapshot
from prompts import limits
from prompts.content_rules import find_placeholders, is_comment_only, python_parse_error
from prompts.specs import OutlineSpec, SectionSpec
from providers.base import CompletionRequest
from providers.demo import DemoTeacher

HOSTILE = 'He said "hi"; \'\'\' """ \\ "); import os; os.system("x") #\nnew line'
SECRET_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9]{8,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{8,}"),
    re.compile(r"AKIA[0-9A-Z]{12}"),
]


def make_research(**overrides: Any) -> ResearchSnapshot:
    data: dict[str, Any] = {
        "source_kind": "hf",
        "mode": "standard",
        "repo_id": "acme/tiny-chat-1b",
        "revision_sha": "0123456789abcdef0123456789abcdef01234567",
        "subject": "acme/tiny-chat-1b",
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "license": "apache-2.0",
        "parameters": 1_100_000_000,
        "condensation": {"method": "none", "original_tokens": 100, "kept_tokens": 100},
        "references": [
            {"title": "Model page", "url": "https://huggingface.co/acme/tiny-chat-1b", "kind": "model"},
            {"title": "Paper [v2] *draft*", "url": "https://arxiv.org/abs/2401.00001", "kind": "paper"},
            {"title": "Bad scheme", "url": "javascript:alert(1)", "kind": "other"},
            {"title": "Local file", "url": "file:///etc/passwd", "kind": "other"},
        ],
        "quality": {"score": 72, "thin": False},
    }
    data.update(overrides)
    return ResearchSnapshot.model_validate(data)


def make_section(number: int, blocks: int, *, text: str = "") -> SectionSpec:
    return SectionSpec(
        title=f"Section number {number} {text}".strip(),
        explanation=f"This explains step {number} in enough words to be useful. {text}",
        prerequisites=[f"Finish step {number - 1}"] if number > 1 else [],
        code=[
            {
                "intro": f"Block {i} of step {number}. {text}",
                "code": f"value_{number}_{i} = {number} * {i}\nprint(value_{number}_{i})",
            }
            for i in range(1, blocks + 1)
        ],
        callouts=[{"kind": "tip", "text": f"A useful tip. {text}"}, {"kind": "warning", "text": "Mind the limits."}],
        takeaway=f"Remember step {number}. {text}",
    )


def make_outline(steps: int, *, text: str = "") -> OutlineSpec:
    return OutlineSpec(
        title=f"Manual for a tiny model {text}".strip(),
        overview=f"An overview long enough to pass the schema checks. {text}",
        audience=f"Developers {text}",
        reading_time_minutes=20,
        objectives=[f"Objective {i} {text}" for i in range(1, 4)],
        prerequisites=["Python 3.9 or newer"],
        steps=[
            {"title": f"Section number {i} {text}".strip(), "goal": "Learn it", "key_points": ["point"]}
            for i in range(1, steps + 1)
        ],
        exercises=[
            {
                "title": f"Exercise one {text}",
                "difficulty": "easy",
                "task": "Do the first thing.",
            },
            {"title": "Exercise two", "difficulty": "hard", "task": "Do the second thing."},
        ],
        assessment=[
            {
                "question": f"Question {i}? {text}",
                "answer": f"Yes {text}",
                "distractors": ["No", "Maybe"],
                "explanation": f"Because {i}. {text}",
            }
            for i in range(1, 5)
        ],
        summary=f"A summary that is long enough for the schema. {text}",
        next_steps=["Read more"],
        troubleshooting=[{"problem": "It fails", "fix": "Fix it"}, {"problem": f"Slow {text}", "fix": "Wait"}],
    )


def make_meta(**overrides: Any) -> NotebookMeta:
    data: dict[str, Any] = {
        "tutorial_id": "tut-123",
        "version": 1,
        "difficulty": "beginner",
        "language": "en",
        "source": {"kind": "hf", "ref": "acme/tiny-chat-1b", "revision": "0123456"},
        "teacher": {"provider": "openai", "model": "gpt-test", "demo": False},
        "prompt_versions": {"outline": "outline.v1", "section": "section.v1"},
    }
    data.update(overrides)
    return NotebookMeta(**data)


def build(steps: int = 3, blocks: int = 1, *, text: str = "", research: ResearchSnapshot | None = None, **meta: Any):
    sections = [make_section(i, blocks, text=text) for i in range(1, steps + 1)]
    return build_notebook(
        outline=make_outline(steps, text=text),
        sections=sections,
        research=research or make_research(),
        meta=make_meta(**meta),
    )


def demo_notebook(*, language: str = "en", difficulty: str = "intermediate", max_sections: int = 5):
    research = make_research(generation_config={"temperature": 0.6}, notes=["Card read from the offline cache."])
    teacher = DemoTeacher()
    context = {
        "research": research.model_dump(mode="json"),
        "difficulty": difficulty,
        "language": language,
        "max_sections": max_sections,
    }

    def ask(stage: str, **extra: Any) -> str:
        request = CompletionRequest(
            messages=[], model="demo", max_tokens=100, stage=stage, context={**context, **extra}
        )
        return teacher.complete(request).text

    plan = json.loads(ask("outline"))
    outline = OutlineSpec.model_validate({**plan, **json.loads(ask("wrapup", outline=plan))})
    sections = [
        SectionSpec.model_validate_json(ask("section", outline=outline.model_dump(mode="json"), section_index=i))
        for i in range(len(outline.steps))
    ]
    meta = make_meta(
        difficulty=difficulty, language=language, teacher={"provider": "demo", "model": "demo", "demo": True}
    )
    return build_notebook(outline=outline, sections=sections, research=research, meta=meta)


def code_cells(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def markdown_cells(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def assert_contract_rules(nb) -> None:
    """Every rule the validators check, in one place for the layouts below."""
    nbformat.validate(nb)
    assert limits.MARKDOWN_SHARE_MIN <= markdown_share(nb) <= limits.MARKDOWN_SHARE_MAX
    for cell in nb.cells:
        assert find_placeholders(cell.source) == [], cell.id
    for source in code_cells(nb):
        assert python_parse_error(source) is None, source
        assert not is_comment_only(source)
        assert "!pip" not in source
        assert not re.search(r"(?<![\w.])input\(", source)
        assert not re.search(r"['\"](/home/|/Users/|/tmp/|[A-Z]:\\\\)", source)
    headings = [
        int(m.group(1)) for text in markdown_cells(nb) for m in re.finditer(r"^## Step (\d+):", text, re.MULTILINE)
    ]
    assert headings == list(range(1, len(headings) + 1))
    text = notebook_to_bytes(nb).decode("utf-8")
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text)


# --- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "blocks"), list(itertools.product(range(limits.STEPS_MIN, limits.STEPS_MAX + 1), (1, 2, 3)))
)
def test_it_meets_every_rule_for_all_step_and_block_counts(steps: int, blocks: int) -> None:
    nb = build(steps, blocks)
    assert_contract_rules(nb)
    assert markdown_share(nb) == pytest.approx(assembly.planned_markdown_share(code_blocks_per_step=[blocks] * steps))


def test_the_planned_share_stays_in_range_for_mixed_block_counts() -> None:
    for steps in range(limits.STEPS_MIN, 6):
        for pattern in itertools.product((1, 2, 3), repeat=steps):
            share = assembly.planned_markdown_share(code_blocks_per_step=pattern)
            assert 4 / 7 - 1e-9 <= share <= 2 / 3 + 1e-9


def test_a_mixed_layout_matches_the_plan() -> None:
    sections = [make_section(i, blocks) for i, blocks in enumerate((1, 3, 2, 3), start=1)]
    nb = build_notebook(outline=make_outline(4), sections=sections, research=make_research(), meta=make_meta())
    assert markdown_share(nb) == pytest.approx(assembly.planned_markdown_share(code_blocks_per_step=[1, 3, 2, 3]))
    assert_contract_rules(nb)


def test_it_follows_the_contract_order() -> None:
    nb = build(3, 2)
    roles = [cell.metadata["alain"]["role"] for cell in nb.cells]
    fixed = [r for r in roles if not r.startswith("step-")]
    assert fixed == [
        "front-matter",
        "setup",
        "setup-install",
        "setup-check",
        "provider",
        "provider-config",
        "seeds",
        "seeds-code",
        "exercises",
        "assessment",
        "assessment-quiz",
        "summary",
        "references",
        "troubleshooting",
        "metadata",
    ]
    first_step, last_step = roles.index("step-explanation"), len(roles) - 1 - roles[::-1].index("step-wrap-up")
    assert roles.index("seeds-code") < first_step and last_step < roles.index("exercises")
    assert [c.metadata["alain"].get("step") for c in nb.cells if c.metadata["alain"]["role"] == "step-explanation"] == [
        1,
        2,
        3,
    ]


def test_a_step_puts_the_first_intro_in_the_explanation_and_ends_with_the_next_hint() -> None:
    nb = build(3, 2)
    cells = [c for c in nb.cells if c.metadata["alain"].get("step") == 1]
    assert [c.cell_type for c in cells] == ["markdown", "code", "markdown", "code", "markdown"]
    assert "Block 1 of step 1." in cells[0].source and "**Prerequisites:**" not in cells[0].source
    assert cells[2].source == "Block 2 of step 1."
    assert "> **Tip:** A useful tip." in cells[-1].source and "> **Warning:** Mind the limits." in cells[-1].source
    assert "**Key takeaway:** Remember step 1." in cells[-1].source
    assert cells[-1].source.endswith("**Next section:** Step 2: Section number 2")
    last_wrap = [c for c in nb.cells if c.metadata["alain"]["role"] == "step-wrap-up"][-1]
    assert last_wrap.source.endswith("**Next section:** Exercises")
    second = next(c for c in nb.cells if c.metadata["alain"].get("step") == 2)
    assert "**Prerequisites:**\n\n- Finish step 1" in second.source


def test_it_refuses_sections_that_do_not_match_the_outline() -> None:
    with pytest.raises(ValueError, match="3 steps but 2 sections"):
        build_notebook(
            outline=make_outline(3),
            sections=[make_section(1, 1), make_section(2, 1)],
            research=make_research(),
            meta=make_meta(),
        )


def test_it_merges_cells_rather_than_padding_when_the_limits_tighten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MARKDOWN_SHARE_MAX", 0.6)
    nb = build(3, 1)
    assert markdown_share(nb) <= 0.6
    assert all(cell.source.strip() for cell in nb.cells)
    nbformat.validate(nb)


def test_count_cells_counts_by_type() -> None:
    counts = assembly.count_cells(build(3, 1))
    assert counts == {"markdown": 16, "code": 8, "raw": 0, "total": 24}


# --- setup, provider, seeds, quiz ------------------------------------------------------------------


def test_the_install_cell_pins_exact_versions_with_percent_pip() -> None:
    nb = build()
    install = next(c.source for c in nb.cells if c.id == "setup-install")
    names = set()
    for line in install.splitlines():
        assert line.startswith("%pip install -q ")
        requirement = Requirement(line.removeprefix("%pip install -q "))
        (spec,) = requirement.specifier
        assert spec.operator == "=="
        names.add(requirement.name)
    assert {"ipywidgets", "openai"} <= names
    assert tuple(Requirement(s).name for s in assembly.PINNED_REQUIREMENTS) == ("openai", "ipywidgets")


def test_the_environment_check_reports_without_failing(capsys: pytest.CaptureFixture[str]) -> None:
    source = next(c.source for c in build().cells if c.id == "setup-check")
    exec(compile(source, "setup-check", "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("Python 3.")
    assert "openai:" in out and "ipywidgets:" in out


def run_provider_cell(monkeypatch: pytest.MonkeyPatch, nb, **env: str) -> dict[str, Any]:
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ALAIN_MODEL", "ALAIN_DRY_RUN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    source = next(c.source for c in nb.cells if c.id == "provider-config")
    namespace: dict[str, Any] = {}
    exec(compile(source, "provider-config", "exec"), namespace)
    return namespace


def test_the_provider_cell_reads_the_environment_and_never_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    nb = build()
    namespace = run_provider_cell(monkeypatch, nb, OPENAI_BASE_URL="http://localhost:8000/v1", ALAIN_DRY_RUN="1")
    assert namespace["BASE_URL"] == "http://localhost:8000/v1"
    assert namespace["MODEL"] == "acme/tiny-chat-1b"
    assert namespace["API_KEY"] == "not-needed"
    assert namespace["ask"]("Hello there").startswith("(offline stand-in reply")
    namespace = run_provider_cell(monkeypatch, nb, ALAIN_MODEL="local-model", ALAIN_DRY_RUN="1")
    assert namespace["MODEL"] == "local-model" and namespace["BASE_URL"] is None


def test_the_provider_cell_asks_for_a_key_only_through_getpass() -> None:
    source = next(c.source for c in build().cells if c.id == "provider-config")
    assert "getpass(" in source and "os.environ" in source
    tree = ast.parse(source)
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "input" not in calls


def test_the_seed_cell_seeds_random() -> None:
    import random

    source = next(c.source for c in build().cells if c.id == "seeds-code")
    exec(compile(source, "seeds", "exec"), {})
    first = random.random()
    exec(compile(source, "seeds", "exec"), {})
    assert random.random() == first


def test_the_quiz_prints_questions_and_answers_without_ipywidgets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "ipywidgets", None)
    nb = build()
    source = next(c.source for c in nb.cells if c.id == "assessment-quiz")
    assert "RadioButtons" in source and "Button(" in source and "Output()" in source
    exec(compile(source, "quiz", "exec"), {})
    out = capsys.readouterr().out
    assert "Question 1: Question 1?" in out and "Answer: B. Because 1." in out
    assert out.count("Question ") >= limits.MCQ_MIN


# --- untrusted text ------------------------------------------------------------------------------------


def test_hostile_teacher_text_cannot_break_or_inject_code() -> None:
    research = make_research(repo_id='acme/x"); import os; os.system("x', subject=HOSTILE)
    nb = build(3, 1, text=HOSTILE, research=research)
    assert_contract_rules(nb)
    quiz = next(c.source for c in nb.cells if c.id == "assessment-quiz")
    literal = next(
        node.value.args[0].value
        for node in ast.parse(quiz).body
        if isinstance(node, ast.Assign) and node.targets[0].id == "QUESTIONS"
    )
    questions = json.loads(literal)
    assert questions[0]["question"] == f"Question 1? {HOSTILE}".strip()
    provider = next(c.source for c in nb.cells if c.id == "provider-config")
    default = next(
        node.value.value
        for node in ast.parse(provider).body
        if isinstance(node, ast.Assign) and node.targets[0].id == "DEFAULT_MODEL"
    )
    assert default == 'acme/x"); import os; os.system("x'
    # The only code from the teacher is the CodeBlock code itself.
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata["alain"]["role"] != "step-code":
            calls = [n for n in ast.walk(ast.parse(cell.source.replace("%pip", "#"))) if isinstance(n, ast.Attribute)]
            assert not any(n.attr == "system" for n in calls), cell.id


def test_teacher_markdown_is_kept_as_text_without_html_or_competing_headings() -> None:
    section = make_section(1, 1)
    section = section.model_copy(
        update={
            "explanation": "Intro R&D <script>alert(1)</script> and `a<b` code.\n# Step 9: fake heading\n```python\nx = 1"
        }
    )
    nb = build_notebook(
        outline=make_outline(3),
        sections=[section, make_section(2, 1), make_section(3, 1)],
        research=make_research(),
        meta=make_meta(),
    )
    explanation = next(c.source for c in nb.cells if c.id == "step-01")
    assert "&lt;script&gt;" in explanation and "<script>" not in explanation
    assert "`a<b`" in explanation and "R&D" in explanation
    assert "#### Step 9: fake heading" in explanation
    assert explanation.count("```") % 2 == 0
    assert_contract_rules(nb)


def test_titles_cannot_start_new_headings() -> None:
    nb = build(3, 1, text="x\n# Injected")
    title = nb.cells[0].source.splitlines()[0]
    assert title.startswith("# Manual for a tiny model x # Injected")
    assert not any(line.startswith("# Injected") for text in markdown_cells(nb) for line in text.splitlines())


def test_references_are_http_links_with_escaped_titles() -> None:
    nb = build()
    references = next(c.source for c in nb.cells if c.id == "references")
    assert "- [Model page](https://huggingface.co/acme/tiny-chat-1b)" in references
    assert r"- [Paper \[v2\] \*draft\*](https://arxiv.org/abs/2401.00001)" in references
    assert "javascript:" not in references and "file://" not in references


def test_it_says_so_when_no_references_were_found() -> None:
    nb = build(research=make_research(references=[]))
    assert "found no links" in next(c.source for c in nb.cells if c.id == "references")


def test_the_builder_source_holds_no_literal_secret() -> None:
    root = Path(assembly.__file__).parent
    for path in [Path(assembly.__file__), *sorted((root / "notebook").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        for pattern in SECRET_PATTERNS:
            assert not pattern.search(text), path


def test_keys_in_the_teacher_description_never_reach_the_notebook() -> None:
    nb = build(teacher={"provider": "openai", "model": "m", "demo": False, "api_key": "sk-abcdefghijklmnop"})
    assert "sk-abcdefghijklmnop" not in notebook_to_bytes(nb).decode("utf-8")
    assert nb.metadata["alain"]["teacher"] == {"provider": "openai", "model": "m", "demo": False}


# --- front matter, labels, metadata ----------------------------------------------------------------------


def test_demo_output_is_labelled_and_thin_cards_are_flagged() -> None:
    plain = build()
    assert "Demo content" not in plain.cells[0].source
    nb = build(
        research=make_research(quality={"score": 18, "thin": True}),
        teacher={"provider": "demo", "model": "demo", "demo": True},
    )
    front = nb.cells[0].source
    assert "> **Demo content.**" in front
    assert "quality score 18/100" in front
    assert "**Target reading time: about 20 minutes**" in front
    assert "## Learning objectives" in front and "- Objective 1" in front


def test_headings_follow_the_language_with_an_english_fallback() -> None:
    fr = build(language="fr")
    assert "## Étape 1 : Section number 1" in "\n".join(markdown_cells(fr))
    assert any(text.startswith("## Exercices") for text in markdown_cells(fr))
    de = build(language="de-AT")
    assert any(text.startswith("## Schritt 1: ") for text in markdown_cells(de))
    unknown = build(language="sw")
    assert any(text.startswith("## Step 1: ") for text in markdown_cells(unknown))
    assert any(text.startswith("## Summary") for text in markdown_cells(unknown))


def test_the_metadata_cell_and_notebook_metadata_agree() -> None:
    nb = build()
    cell = nb.cells[-1]
    assert cell.metadata["tags"] == ["alain-metadata"]
    embedded = json.loads(re.search(r"```json\n(.*)\n```", cell.source, re.DOTALL).group(1))
    assert embedded == nb.metadata["alain"]
    assert embedded["tutorial_id"] == "tut-123"
    assert embedded["revision"] == "0123456789abcdef0123456789abcdef01234567"
    assert embedded["teacher"]["provider"] == "openai"
    assert embedded["prompt_versions"] == {"outline": "outline.v1", "section": "section.v1"}
    assert embedded["validator_summary"] == {}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["language_info"]["name"] == "python"


def test_set_validation_summary_rewrites_only_the_metadata() -> None:
    nb = build()
    updated = assembly.set_validation_summary(nb, {"errors": 0, "warnings": 2, "passed": True})
    assert updated.metadata["alain"]["validator_summary"] == {"errors": 0, "passed": True, "warnings": 2}
    assert '"warnings": 2' in updated.cells[-1].source
    assert [c.source for c in updated.cells[:-1]] == [c.source for c in nb.cells[:-1]]
    assert nb.metadata["alain"]["validator_summary"] == {}  # the input is left alone
    assert '"warnings": 2' not in nb.cells[-1].source
    reread = nbformat.reads(notebook_to_bytes(updated).decode("utf-8"), as_version=4)
    assert assembly.set_validation_summary(reread, {"errors": 1}).metadata["alain"]["validator_summary"] == {
        "errors": 1
    }


def test_meta_rejects_an_unknown_difficulty() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        make_meta(difficulty="expert")


# --- determinism -------------------------------------------------------------------------------------------


def test_the_same_inputs_give_byte_identical_notebooks() -> None:
    first, second = notebook_to_bytes(build(5, 2)), notebook_to_bytes(build(5, 2))
    assert first == second
    ids = [cell["id"] for cell in json.loads(first)["cells"]]
    assert len(set(ids)) == len(ids)
    assert ids[:4] == ["title", "setup", "setup-install", "setup-check"]
    assert first.endswith(b"}\n")


# --- end to end with the demo teacher ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "difficulty", "max_sections"),
    [("en", "beginner", 3), ("fr", "intermediate", 5), ("es", "advanced", 8)],
)
def test_demo_replies_build_a_notebook_that_meets_every_rule(language: str, difficulty: str, max_sections: int) -> None:
    nb = demo_notebook(language=language, difficulty=difficulty, max_sections=max_sections)
    assert_contract_rules(nb)
    assert "Demo" in nb.cells[0].source or "démonstration" in nb.cells[0].source or "demostración" in nb.cells[0].source
    assert nb.metadata["alain"]["teacher"]["demo"] is True
    assert len(nb.metadata["alain"]["steps"]) == max_sections
    again = demo_notebook(language=language, difficulty=difficulty, max_sections=max_sections)
    assert notebook_to_bytes(nb) == notebook_to_bytes(again)


def test_the_demo_notebook_runs_top_to_bottom_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Everything but the %pip line, in one namespace, as a kernel would; ALAIN_DRY_RUN keeps it offline.
    monkeypatch.setitem(__import__("sys").modules, "ipywidgets", None)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ALAIN_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALAIN_DRY_RUN", "1")
    monkeypatch.chdir(Path(__file__).parent)
    nb = demo_notebook(difficulty="advanced", max_sections=8)
    namespace: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.id != "setup-install":
            exec(compile(cell.source, cell.id, "exec"), namespace)
    out = capsys.readouterr().out
    assert "offline stand-in reply" in out
    assert "passed" in out and "median" in out


def test_notebook_bytes_are_nbformats_own_for_any_notebook_and_leave_it_unchanged():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(metadata={"signature": "sha256:x", "orig_nbformat": 3, "alain": {"language": "fr", "é": [1]}})
    code = new_code_cell("import os\nprint('héllo')\n", metadata={"trusted": True, "tags": ["x"]})
    code.outputs = [
        new_output("stream", name="stdout", text="a\nb\n"),
        new_output(
            "display_data", data={"text/plain": "x\ny", "image/png": "iVBOR\nw0", "application/json": {"k": "v"}}
        ),
        new_output("execute_result", data={"text/plain": "1\n2"}, execution_count=1),
        new_output("error", ename="ValueError", evalue="bad", traceback=["line 1", "line 2"]),
    ]
    markdown = new_markdown_cell("# Title\n\nText", attachments={"a.png": {"image/png": "abc\ndef"}})
    nb.cells = [code, markdown]
    before = json.loads(json.dumps(nb))

    data = notebook_to_bytes(nb)

    assert data == (nbformat.writes(nb, version=4) + "\n").encode("utf-8")
    assert json.loads(json.dumps(nb)) == before
    assert assembly.notebook_from_text(data.decode("utf-8")) == nbformat.reads(data.decode("utf-8"), as_version=4)


def test_a_built_manual_is_written_and_read_back_as_nbformat_does():
    nb = build(steps=4, blocks=2, text=HOSTILE)

    data = notebook_to_bytes(nb)

    assert data == (nbformat.writes(nb, version=4) + "\n").encode("utf-8")
    assert assembly.notebook_from_text(data.decode("utf-8")) == nb
