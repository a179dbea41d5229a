"""The assessment: at least MCQ_MIN multiple-choice questions, each answerable and explained.

The questions are read from the quiz cell's source without running it: the builder writes
`QUESTIONS = json.loads('<json>')`, other notebooks may write a list literal. Both are taken
apart with `ast` and read with `json.loads` / `ast.literal_eval`, which evaluate data only.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import nbformat

from generation.pipeline.validators import FindingData, validator
from generation.pipeline.validators.layout import PART_NAMES, Layout, cell_ref, locate, parse_python, readable
from prompts import limits

NAME = "assessment"
# Names a quiz cell gives its list of questions.
QUESTION_NAMES = ("QUESTIONS", "questions", "QUIZ", "quiz", "MCQS", "mcqs", "QUIZ_QUESTIONS", "quiz_questions")
_QUESTION_KEYS = ("question", "prompt", "text")
_OPTION_KEYS = ("options", "choices", "answers")
_ANSWER_KEYS = ("answer_index", "correct_index", "answer", "correct")
_EXPLANATION_KEYS = ("explanation", "rationale", "why")


class UnreadableQuiz(ValueError):
    pass


def finding(code: str, severity: str, message: str, cell_index: int | None = None) -> FindingData:
    return FindingData(NAME, code, severity, message, cell_index)


def read_questions(source: str) -> list[Any] | None:
    """The question list a quiz cell defines, or None when it defines none; never executes code.

    Raises UnreadableQuiz when the cell names a question list that is not plain data.
    """
    tree = parse_python(source)
    if tree is None:
        return None
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id in QUESTION_NAMES for t in targets):
            continue
        value = node.value
        try:
            # json.loads of a string literal, or a plain literal: data only, nothing is executed.
            data = json.loads(ast.literal_eval(value.args[0])) if _is_json_loads(value) else ast.literal_eval(value)  # type: ignore[attr-defined]
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
            raise UnreadableQuiz(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        if not isinstance(data, list):
            raise UnreadableQuiz(f"it is a {type(data).__name__}, not a list of questions")
        return data
    return None


def _is_json_loads(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "loads"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "json"
    )


def _field(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((item[key] for key in keys if key in item), None)


def _quiz_cell(layout: Layout) -> tuple[int | None, list[Any] | None, str | None]:
    """(cell, questions, problem) of the quiz: the assessment's code cells first, then any cell."""
    cells = layout.nb.cells
    candidates = layout.cells_of("assessment", "code")
    candidates += [i for i in layout.code_indexes if i not in candidates]
    for index in candidates:
        try:
            questions = read_questions(cells[index].source)
        except UnreadableQuiz as exc:
            return index, None, str(exc)
        if questions is not None:
            return index, questions, None
    return None, None, None


@validator(NAME)
def check_assessment(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    layout = locate(nb)
    section = layout.first("assessment")
    index, questions, problem = _quiz_cell(layout)
    if section is None and index is None:
        return [
            finding(
                "missing-assessment",
                "error",
                f"The notebook has no {PART_NAMES['assessment']} section: a manual checks understanding with at least "
                f"{limits.MCQ_MIN} multiple-choice questions, each with options, the right answer and an explanation.",
            )
        ]
    if problem is not None:
        return [
            finding(
                "quiz-unreadable",
                "error",
                f"{cell_ref(nb, index)} defines the quiz questions, but they are not plain JSON data ({problem}), "
                "so they cannot be checked. Write them as a list of dicts or `json.loads('<json>')`.",
                index,
            )
        ]
    if questions is None:
        return [
            finding(
                "quiz-not-found",
                "error",
                "The assessment has no machine-readable quiz: the contract wants a code cell defining `QUESTIONS`, "
                "a list of {question, options, answer_index, explanation}, shown with ipywidgets.",
                section,
            )
        ]
    assert index is not None
    findings = _question_findings(nb, index, questions)
    if "ipywidgets" not in nb.cells[index].source:
        findings.append(
            finding(
                "quiz-without-widgets",
                "warning",
                f"{cell_ref(nb, index)} does not use ipywidgets: readers cannot pick an answer and check it.",
                index,
            )
        )
    return findings


def _question_findings(nb: nbformat.NotebookNode, index: int, questions: list[Any]) -> list[FindingData]:
    where = cell_ref(nb, index)
    findings = []
    if len(questions) < limits.MCQ_MIN:
        findings.append(
            finding(
                "too-few-questions",
                "error",
                f"{where} asks {len(questions)} question(s); the contract wants at least {limits.MCQ_MIN}.",
                index,
            )
        )
    elif len(questions) > limits.MCQ_MAX:
        findings.append(
            finding(
                "too-many-questions",
                "warning",
                f"{where} asks {len(questions)} questions; keep at most {limits.MCQ_MAX}.",
                index,
            )
        )
    for number, item in enumerate(questions, start=1):
        findings += _one_question(where, index, number, item)
    return findings


def _one_question(where: str, index: int, number: int, item: Any) -> list[FindingData]:
    label = f"{where}, question {number}"
    if not isinstance(item, dict):
        return [finding("malformed-question", "error", f"{label} is not a question object with named fields.", index)]
    findings = []
    text = _field(item, _QUESTION_KEYS)
    if not isinstance(text, str) or not text.strip():
        findings.append(finding("question-without-text", "error", f"{label} has no question text.", index))
    options = _field(item, _OPTION_KEYS)
    if not isinstance(options, list) or len(options) < 2:
        findings.append(
            finding("question-without-options", "error", f"{label} needs a list of at least two options.", index)
        )
        options = None
    else:
        if not limits.MCQ_OPTIONS_MIN <= len(options) <= limits.MCQ_OPTIONS_MAX:
            findings.append(
                finding(
                    "option-count",
                    "warning",
                    f"{label} offers {len(options)} options; the contract wants "
                    f"{limits.MCQ_OPTIONS_MIN}-{limits.MCQ_OPTIONS_MAX}.",
                    index,
                )
            )
        if len({str(option).strip().casefold() for option in options}) < len(options):
            findings.append(finding("duplicate-options", "warning", f"{label} lists the same option twice.", index))
    answer = _field(item, _ANSWER_KEYS)
    if options is not None:
        if isinstance(answer, str) and answer in options:
            answer = options.index(answer)
        if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(options):
            findings.append(
                finding(
                    "invalid-answer",
                    "error",
                    f"{label} marks answer {repr(answer)[:40]}, which is not one of its {len(options)} options "
                    f"(answer_index counts from 0).",
                    index,
                )
            )
    explanation = _field(item, _EXPLANATION_KEYS)
    if not isinstance(explanation, str) or not explanation.strip():
        findings.append(
            finding(
                "question-without-explanation",
                "error",
                f"{label} has no explanation saying why the right answer is right.",
                index,
            )
        )
    return findings
