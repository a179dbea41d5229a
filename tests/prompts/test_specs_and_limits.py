import ast
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from prompts import checks, limits, schema_files
from prompts.content_rules import (
    find_placeholders,
    installs_packages,
    is_setup_step,
    parse_code_cell,
    python_parse_error,
    strip_ipython_syntax,
    tree_nodes,
)
from prompts.loader import PromptNotFound, available_prompts, load_prompt
from prompts.schema_files import expected_schemas
from prompts.specs import (
    PLAN_FIELDS,
    WRAPUP_FIELDS,
    CodeBlock,
    MultipleChoice,
    OutlineSpec,
    PlanSpec,
    SectionSpec,
    outline_schema,
)
from prompts.tokens import count_tokens

SCHEMAS = Path(__file__).resolve().parents[2] / "prompts" / "schemas"


def test_the_token_windows_fit_each_other():
    assert limits.check_budget() == []


def test_it_reports_a_section_window_that_cannot_fit_the_notebook_budget(monkeypatch):
    monkeypatch.setattr(limits, "SECTION_MAX_TOKENS", 5000)
    problems = limits.check_budget()
    assert any("NOTEBOOK_TOKEN_BUDGET" in p for p in problems)
    assert any("context" in p for p in problems)


@pytest.mark.parametrize("name", ["outline", "plan", "section", "wrapup"])
def test_the_committed_schema_files_match_the_specs(name):
    committed = json.loads((SCHEMAS / f"{name}.v1.json").read_text())  # written by alain_schemas
    assert committed == expected_schemas()[f"{name}.v1.json"], "run `manage.py alain_schemas`"


def test_a_stale_schema_file_stops_the_system_checks(monkeypatch, tmp_path):
    monkeypatch.setattr(schema_files, "SCHEMAS_DIR", tmp_path)
    (tmp_path / "section.v1.json").write_text("{}")
    errors = checks.check_prompts()
    assert {e.id for e in errors} == {"alain.E002"}
    assert any("section.v1.json" in e.msg for e in errors)


def test_outline_schema_caps_the_steps_at_the_runs_max_sections():
    assert outline_schema(4)["properties"]["steps"]["maxItems"] == 4
    assert outline_schema(99)["properties"]["steps"]["maxItems"] == limits.STEPS_MAX


def test_schemas_are_strict_every_object_closed_and_fully_required():
    def objects(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for item in node:
                yield from objects(item)

    for schema in expected_schemas().values():
        found = list(objects(schema))
        assert found
        for obj in found:
            assert obj["additionalProperties"] is False
            assert set(obj["required"]) == set(obj["properties"])


def test_a_multiple_choice_question_always_shows_its_answer_at_a_stable_place():
    item = MultipleChoice(question="Which?", answer="right", distractors=["wrong", "bad"], explanation="Because.")
    options, index = item.arranged()
    assert options[index] == "right"
    assert sorted(options) == ["bad", "right", "wrong"]
    assert item.arranged() == (options, index)


def test_a_multiple_choice_answer_may_not_repeat_a_distractor():
    with pytest.raises(ValidationError, match="must all be different"):
        MultipleChoice(question="Which?", answer="Same", distractors=["same", "other"], explanation="Because.")


def test_code_that_does_not_parse_is_refused_with_the_line():
    with pytest.raises(ValidationError, match="does not parse"):
        CodeBlock(intro="Run it.", code="def broken(:\n    pass")


@pytest.mark.parametrize(
    "code",
    [
        "x = 1",
        "import os, sys\nfrom json import loads as l\n",
        "async def f(a, *b, c=1, **d):\n    async with g() as h:\n        return [i async for i in h if i]\n",
        "class A(B, metaclass=M):\n    @dec(1)\n    def m(self) -> int:\n        return {k: v for k, v in x.items()}\n",
        "match p:\n    case [1, *rest] if rest:\n        print(f'{rest!r:>10}')\n    case {'k': v}:\n        pass\n",
        "try:\n    x = lambda y=2: y ** 2\nexcept (A, B) as e:\n    raise C from e\nfinally:\n    del x\n",
        "%pip install -q openai\nprint(sum(i for i in range(3)))",
    ],
)
def test_tree_nodes_lists_what_ast_walk_yields_in_the_same_order(code):
    tree = parse_code_cell(code)
    assert list(tree_nodes(tree)) == list(ast.walk(tree))
    assert tree_nodes(tree) is tree_nodes(tree)  # listed once per shared tree


def test_ipython_magics_do_not_count_as_syntax_errors():
    assert python_parse_error("%pip install -q requests==2.32.3\nimport requests") is None
    assert python_parse_error("!ls\nx = 1") is None
    assert strip_ipython_syntax("%%bash\necho hi") == ""


def test_placeholders_are_found_in_prose_and_code():
    assert find_placeholders("Implement this. TODO later") == ["todo"]
    assert find_placeholders("x = 1\n...\n") == ["lone-ellipsis"]
    assert find_placeholders("<your code here>") == ["your-code-here"]
    assert find_placeholders("Lorem ipsum dolor") == ["lorem-ipsum"]
    assert find_placeholders("a complete sentence, with an ellipsis... inside") == []


def test_the_one_search_for_any_placeholder_finds_what_the_patterns_find():
    import random

    from prompts.content_rules import PLACEHOLDER_PATTERNS

    samples = [
        "TODO", "todo", "a TBD b", "FIXME!", "< Your_Code-Here >", "YOUR CODE HERE", "LOREM  IPSUM",
        "Replace the placeholder", "[content truncated here]", "(Truncated)", "x\n  # ...\ny", "…", "a...b",
        "\n...", "TODOs", "xTBD", "plain prose", "",
    ]  # fmt: skip
    rng = random.Random(11)
    pieces = [
        "TODO", "tbd", "lorem", " ipsum", "...", "\n", "# ", "[", "truncated", "]", "(", ")", "your", " code here", "x",
    ]  # fmt: skip
    samples += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    for text in samples:
        each = [name for name, pattern in PLACEHOLDER_PATTERNS.items() if pattern.search(text)]
        assert find_placeholders(text) == each, text


def test_a_section_with_a_placeholder_is_refused():
    data = {
        "title": "Send a request",
        "explanation": "This step sends a first request to the model and reads the reply.",
        "prerequisites": [],
        "code": [{"intro": "Call it.", "code": "reply = ask('hi')\nprint(reply)"}],
        "callouts": [],
        "takeaway": "TBD",
    }
    with pytest.raises(ValidationError, match="placeholder"):
        SectionSpec.model_validate(data)


def test_the_plan_refuses_more_steps_than_the_run_asked_for(demo_plan_data):
    PlanSpec.model_validate(demo_plan_data)
    with pytest.raises(ValidationError, match="at most 3 steps"):
        PlanSpec.model_validate(demo_plan_data, context={"max_steps": 3})


def test_the_outline_is_the_plan_and_the_wrap_up_together(demo_plan_data):
    assert set(OutlineSpec.model_fields) == set(PLAN_FIELDS) | set(WRAPUP_FIELDS)
    assert not set(PLAN_FIELDS) & set(WRAPUP_FIELDS)


def test_prompts_are_versioned_files_with_every_placeholder_filled():
    assert {"outline", "section", "wrapup"} <= set(available_prompts())
    prompt = load_prompt("outline")
    assert prompt.label == "outline.v1"
    with pytest.raises(KeyError, match="needs values"):
        prompt.render(subject="x")
    with pytest.raises(PromptNotFound):
        load_prompt("outline", 99)


def test_card_text_with_dollars_and_braces_is_inserted_verbatim():
    prompt = load_prompt("section")
    values = dict.fromkeys(prompt.placeholders(), "v")
    values["card_text"] = "costs $5 {not a field} ${HOME}"
    messages = prompt.render(**values)
    assert "costs $5 {not a field} ${HOME}" in messages[1]["content"]


def test_token_estimate_is_stable_and_grows_with_text():
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("hello world " * 100) > count_tokens("hello world " * 10)


def test_a_section_must_carry_the_title_of_the_step_it_answers():
    data = {
        "title": "Send a first request",
        "explanation": "This step sends a first request to the model and reads the reply.",
        "prerequisites": [],
        "code": [{"intro": "Call it.", "code": "reply = ask('hi')\nprint(reply)"}],
        "callouts": [],
        "takeaway": "One call sends one message.",
    }
    SectionSpec.model_validate(data, context={"step_title": "send a  FIRST request"})
    with pytest.raises(ValidationError, match="must be exactly 'Measure latency'"):
        SectionSpec.model_validate(data, context={"step_title": "Measure latency"})


@pytest.mark.parametrize(
    "given", ["Step 2: Measure latency", "2. Measure latency.", '"Measure Latency"', "measure  latency"]
)
def test_a_numbered_or_quoted_version_of_the_step_title_is_accepted(given):
    data = {
        "title": given,
        "explanation": "This step sends a first request to the model and reads the reply.",
        "prerequisites": [],
        "code": [{"intro": "Call it.", "code": "reply = ask('hi')\nprint(reply)"}],
        "callouts": [],
        "takeaway": "One call sends one message.",
    }
    SectionSpec.model_validate(data, context={"step_title": "Measure latency"})


def test_a_planned_step_loses_the_teachers_own_numbering(demo_plan_data):
    demo_plan_data["steps"][0]["title"] = "Step 1: Connect the client"
    demo_plan_data["steps"][1]["title"] = "2. Send a request"
    plan = PlanSpec.model_validate(demo_plan_data)
    assert [s.title for s in plan.steps[:2]] == ["Connect the client", "Send a request"]


@pytest.mark.parametrize(
    "code", ["%pip install transformers", "!pip install -U torch", "pip install accelerate", "!python -m pip install x"]
)
def test_a_step_that_installs_packages_is_refused(code):
    with pytest.raises(ValidationError, match="installs packages"):
        CodeBlock.model_validate({"intro": "Install it.", "code": code})
    assert not installs_packages("print('pip install is done by the setup cell')")


@pytest.mark.parametrize(
    "title",
    [
        "Install Transformers",
        "Prerequisites Installation",
        "Set up the environment",
        "Introduction to Qwen3",
        "Overview",
    ],
)
def test_a_plan_whose_steps_install_or_set_up_is_refused(demo_plan_data, title):
    data = {**demo_plan_data}
    data["steps"] = [dict(step) for step in data["steps"]]
    data["steps"][1]["title"] = title
    with pytest.raises(ValidationError, match="installing, setting up or reading about"):
        PlanSpec.model_validate(data)
    assert not is_setup_step("Send a first chat request")
    assert not is_setup_step("Summarize a paragraph with the model")


def test_setup_steps_are_dropped_from_a_plan_when_enough_steps_remain(demo_plan_data):
    from generation.pipeline.outline import salvage_plan

    steps = [dict(step) for step in demo_plan_data["steps"]]
    with_setup = {**demo_plan_data, "steps": [{**steps[0], "title": "Install Required Libraries"}, *steps]}
    reduced, note = salvage_plan(with_setup)
    assert [s["title"] for s in reduced["steps"]] == [s["title"] for s in steps]
    assert "Install Required Libraries" in note
    PlanSpec.model_validate(reduced)
    too_few = {**demo_plan_data, "steps": [{**steps[0], "title": "Install it"}, *steps[: limits.STEPS_MIN - 1]]}
    assert salvage_plan(too_few) is None
    assert salvage_plan(demo_plan_data) is None, "nothing to drop: not salvaged"


def test_card_headings_are_dropped_only_from_a_plan_salvaged_anyway(demo_plan_data):
    from generation.pipeline.outline import salvage_plan

    steps = [dict(step) for step in demo_plan_data["steps"]]
    copied = {**demo_plan_data, "steps": [{**steps[0], "title": "Quickstart"}, *steps[1:]]}
    PlanSpec.model_validate(copied)  # weak, but valid on its own
    assert salvage_plan(copied, headings=["Quickstart"]) is None, "nothing to salvage"
    setup = {**steps[0], "title": "Install the libraries"}
    with_both = {**demo_plan_data, "steps": [setup, {**steps[0], "title": "Quickstart"}, *steps]}
    reduced, note = salvage_plan(with_both, headings=["Quickstart"])
    assert [s["title"] for s in reduced["steps"]] == [s["title"] for s in steps]
    assert "Quickstart" in note and "Install the libraries" in note
