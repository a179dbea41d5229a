"""The offline demo teacher: valid, specific, deterministic replies for outline and section stages."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from generation.pipeline.research.snapshot import ResearchSnapshot
from prompts import limits
from prompts.content_rules import find_placeholders, python_parse_error
from prompts.specs import OutlineSpec, PlanSpec, SectionSpec
from providers.base import CompletionRequest, ProviderError
from providers.demo import DemoTeacher


def snapshot(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source_kind": "hf",
        "mode": "standard",
        "condensation": {"method": "none", "original_tokens": 500, "kept_tokens": 500},
        "quality": {"score": 75, "thin": False},
    }
    data.update(overrides)
    return ResearchSnapshot.model_validate(data).model_dump(mode="json")


CARDS: dict[str, dict[str, Any]] = {
    "chat": snapshot(
        repo_id="Qwen/Qwen2.5-0.5B-Instruct",
        subject="Qwen/Qwen2.5-0.5B-Instruct",
        revision_sha="7ae557604adf67be50417f59c2c2f167def9a775",
        pipeline_tag="text-generation",
        library_name="transformers",
        license="apache-2.0",
        parameters=494_032_768,
        languages=["en", "zh"],
        base_models=["Qwen/Qwen2.5-0.5B"],
        card_text="# Qwen2.5\n## Introduction\nText.\n## Quickstart\nCode.\n## Evaluation & Performance\nTable.",
        generation_config={"temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.05},
    ),
    "translation": snapshot(
        repo_id="google-t5/t5-small",
        subject="google-t5/t5-small",
        pipeline_tag="translation",
        library_name="transformers",
        license="apache-2.0",
        parameters=60_506_624,
        languages=["en", "fr", "ro", "de"],
    ),
    "summarization": snapshot(
        repo_id="facebook/bart-large-cnn",
        subject="facebook/bart-large-cnn",
        pipeline_tag="summarization",
        license="mit",
    ),
    "vision": snapshot(
        repo_id="google/vit-base-patch16-224",
        subject="google/vit-base-patch16-224",
        pipeline_tag="image-classification",
        library_name="transformers",
        gated=True,
    ),
    "thin_text": snapshot(
        source_kind="text",
        subject="My Internal Model",
        card_text="# My Internal Model\nIt works. TODO: write more.\n## TODO\n",
        quality={"score": 12, "thin": True, "flags": ["no usage section", "no licence"]},
        notes=["Pasted text: no Hugging Face metadata."],
    ),
    "hostile": snapshot(
        repo_id="evil/model",
        subject='evil/model"); import os; os.system("x") <script>',
        pipeline_tag="text-generation",
        license='mit"; rm -rf',
        card_text="## <img src=x onerror=alert(1)>\n## Usage `code` [link](javascript:x)\n",
    ),
}


def call(stage: str, research: dict[str, Any], **context: Any) -> str:
    request = CompletionRequest(
        messages=[{"role": "user", "content": "Plan the manual."}],
        model="demo",
        max_tokens=1000,
        stage=stage,
        context={"research": research, **context},
    )
    return DemoTeacher().complete(request).text


def outline_for(card: str, *, difficulty: str = "beginner", language: str = "en", max_sections: int = 5) -> OutlineSpec:
    options = {"difficulty": difficulty, "language": language, "max_sections": max_sections}
    plan = json.loads(call("outline", CARDS[card], **options))
    wrapup = json.loads(call("wrapup", CARDS[card], outline=plan, **options))
    return OutlineSpec.model_validate({**plan, **wrapup})


def sections_for(
    card: str, outline: OutlineSpec, *, difficulty: str = "beginner", language: str = "en"
) -> list[SectionSpec]:
    return [
        SectionSpec.model_validate_json(
            call(
                "section",
                CARDS[card],
                difficulty=difficulty,
                language=language,
                outline=outline.model_dump(mode="json"),
                section_index=i,
            )
        )
        for i in range(len(outline.steps))
    ]


@pytest.mark.parametrize("card", sorted(CARDS))
@pytest.mark.parametrize("difficulty", ["beginner", "intermediate", "advanced"])
def test_outline_and_sections_validate_for_every_card(card: str, difficulty: str) -> None:
    outline = outline_for(card, difficulty=difficulty)
    sections = sections_for(card, outline, difficulty=difficulty)
    assert [s.title for s in sections] == [s.title for s in outline.steps]
    for section in sections:
        for block in section.code:
            assert python_parse_error(block.code) is None
            assert find_placeholders(block.code) == []


@pytest.mark.parametrize("language", ["en", "fr", "es", "de"])
def test_every_language_gives_valid_replies(language: str) -> None:
    outline = outline_for("chat", language=language, difficulty="advanced", max_sections=8)
    assert len(sections_for("chat", outline, language=language, difficulty="advanced")) == 8


def test_the_same_context_gives_the_same_text() -> None:
    first = call("outline", CARDS["chat"], difficulty="intermediate", language="fr", max_sections=6)
    second = call(
        "outline", json.loads(json.dumps(CARDS["chat"])), difficulty="intermediate", language="fr", max_sections=6
    )
    assert first == second
    outline = PlanSpec.model_validate_json(first).model_dump(mode="json")
    sections = [
        call("section", CARDS["chat"], difficulty="intermediate", language="fr", outline=outline, section_index=2)
        for _ in range(2)
    ]
    assert sections[0] == sections[1]


@pytest.mark.parametrize(("asked", "expected"), [(1, 3), (3, 3), (4, 4), (5, 5), (7, 7), (8, 8), (20, 8)])
def test_it_obeys_max_sections_within_the_limits(asked: int, expected: int) -> None:
    assert len(outline_for("chat", max_sections=asked).steps) == expected
    assert limits.STEPS_MIN <= expected <= limits.STEPS_MAX


def test_the_core_steps_come_first_and_keep_their_order() -> None:
    titles = [s.title for s in outline_for("chat", max_sections=5).steps]
    assert titles == [
        "Configure the client",
        "Send a first request to Qwen2.5-0.5B-Instruct",
        "Control generation parameters",
        "Ask for structured JSON output",
        "Batch requests and measure latency",
    ]


def test_prose_follows_the_language() -> None:
    assert outline_for("chat", language="fr").title == "Qwen2.5-0.5B-Instruct : manuel pratique"
    assert outline_for("chat", language="es").title == "Qwen2.5-0.5B-Instruct: manual práctico"
    assert outline_for("chat", language="de").title == "Qwen2.5-0.5B-Instruct: a hands-on manual"
    fr = sections_for("chat", outline_for("chat", language="fr"), language="fr")
    assert fr[0].title == "Configurer le client" and "Toutes les requêtes" in fr[0].explanation


def test_content_is_specific_to_the_card() -> None:
    outline = outline_for("chat", max_sections=8)
    assert "Qwen/Qwen2.5-0.5B-Instruct is tagged for the text-generation task" in outline.overview
    assert "apache-2.0" in outline.overview and "494M parameters" in outline.overview
    assert "Introduction, Quickstart, Evaluation & Performance" in outline.overview
    answers = [q.answer for q in outline.assessment]
    assert "apache-2.0" in answers and "text-generation" in answers
    sections = {s.title: s for s in sections_for("chat", outline)}
    assert "temperature=0.7, top_p=0.8" in sections["Control generation parameters"].explanation
    licence = sections["Handle errors and respect the licence"]
    assert "apache-2.0" in licence.explanation


def test_the_task_step_is_tailored_to_the_pipeline_tag() -> None:
    translation = outline_for("translation", max_sections=6)
    assert "Translate between language pairs" in [s.title for s in translation.steps]
    step = sections_for("translation", translation)[2]
    assert "Translate the text into French" in step.code[0].code
    assert "Summarize texts of different lengths" in [
        s.title for s in outline_for("summarization", max_sections=6).steps
    ]
    assert "Frame the image-classification task as a prompt" in [
        s.title for s in outline_for("vision", max_sections=6).steps
    ]


def test_thin_and_gated_cards_are_called_out() -> None:
    thin = outline_for("thin_text", max_sections=8)
    assert "quality score 12/100 (no usage section, no licence)" in thin.overview
    assert any("declares no licence" in q.question for q in thin.assessment)
    limits_step = sections_for("thin_text", thin)[-1]
    assert any(c.kind == "warning" and "12/100" in c.text for c in limits_step.callouts)
    gated = outline_for("vision")
    assert any("gated" in item.fix for item in gated.troubleshooting)


def test_difficulty_sets_the_number_of_code_blocks_and_exercises() -> None:
    counts = {}
    for difficulty in ("beginner", "intermediate", "advanced"):
        outline = outline_for("chat", difficulty=difficulty)
        counts[difficulty] = (
            [len(s.code) for s in sections_for("chat", outline, difficulty=difficulty)],
            len(outline.exercises),
        )
    assert counts["beginner"] == ([1, 1, 1, 1, 1], 2)
    assert counts["intermediate"] == ([2, 2, 2, 2, 2], 3)
    assert counts["advanced"] == ([3, 3, 3, 3, 3], 3)


def test_hostile_card_data_is_embedded_as_literals() -> None:
    outline = outline_for("hostile", difficulty="advanced", max_sections=8)
    for section in sections_for("hostile", outline, difficulty="advanced"):
        for block in section.code:
            tree = ast.parse(block.code)
            # Card data only ever appears inside string constants: blank them and nothing hostile is left.
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    node.value = ""
            code = ast.unparse(tree)
            assert "os.system" not in code and "rm -rf" not in code and "<script" not in code
    assert "<" not in outline.overview and ">" not in outline.overview  # no tags survive, only their words


def test_code_uses_only_the_ask_helper_and_the_standard_library() -> None:
    allowed = {"json", "time", "statistics", "os", "concurrent.futures"}
    outline = outline_for("chat", difficulty="advanced", max_sections=8)
    for section in sections_for("chat", outline, difficulty="advanced"):
        for block in section.code:
            tree = ast.parse(block.code)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    assert {a.name for a in node.names} <= allowed
                if isinstance(node, ast.ImportFrom):
                    assert node.module in allowed
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id not in {"open", "input", "eval", "exec"}
            assert "!pip" not in block.code


def test_steps_from_another_teacher_get_a_generic_valid_section() -> None:
    outline = outline_for("chat").model_dump(mode="json")
    outline["steps"][1]["title"] = "Fine-tune with LoRA adapters"
    text = call("section", CARDS["chat"], difficulty="advanced", language="en", outline=outline, section_index=1)
    section = SectionSpec.model_validate_json(text)
    assert section.title == "Fine-tune with LoRA adapters"
    assert "GOAL = " in section.code[0].code


def test_the_repair_stage_answers_like_the_section_stage() -> None:
    outline = outline_for("chat").model_dump(mode="json")
    context = {"difficulty": "beginner", "language": "en", "outline": outline, "section_index": 0}
    assert call("section_repair", CARDS["chat"], **context) == call("section", CARDS["chat"], **context)


def test_an_unknown_stage_is_a_permanent_error() -> None:
    with pytest.raises(ProviderError) as info:
        call("summary", CARDS["chat"])
    assert info.value.permanent


def test_a_broken_context_is_a_permanent_error() -> None:
    with pytest.raises(ProviderError) as info:
        call("section", CARDS["chat"], outline={"steps": []}, section_index=3)
    assert info.value.permanent


def test_the_completion_reports_its_mode_tokens_and_attempt() -> None:
    request = CompletionRequest(
        messages=[{"role": "user", "content": "Plan it."}],
        model="demo",
        max_tokens=100,
        stage="outline",
        context={"research": CARDS["chat"], "difficulty": "beginner", "language": "en", "max_sections": 3},
    )
    completion = DemoTeacher(model="demo").complete(request)
    assert completion.finish_reason == "stop" and completion.mode == "json_schema" and completion.model == "demo"
    assert completion.prompt_tokens and completion.prompt_tokens > 0
    assert completion.completion_tokens and completion.completion_tokens > 100
    assert [(a.number, a.outcome, a.mode) for a in completion.attempts] == [(1, "ok", "json_schema")]
    assert completion.latency_ms >= 0


def test_it_describes_itself_as_an_offline_demo() -> None:
    teacher = DemoTeacher(model="demo")
    assert (teacher.key, teacher.is_demo, teacher.label) == ("demo", True, "Demo (offline, deterministic)")
    assert teacher.probe().ok
    assert teacher.describe()["demo"] is True
