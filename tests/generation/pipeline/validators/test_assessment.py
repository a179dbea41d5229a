"""The quiz: read as data (never run), at least MCQ_MIN questions, answers within the options, explanations."""

from __future__ import annotations

import json

from generation.pipeline.validators.assessment import read_questions
from prompts import limits
from tests.generation.pipeline.validators.helpers import codes, demo, index_of, notebook, only


def question(n: int, **overrides):
    item = {"question": f"Q{n}?", "options": ["a", "b", "c"], "answer_index": 1, "explanation": "Because."}
    item.update(overrides)
    return item


def quiz(*items, widgets: bool = True) -> str:
    use = "import ipywidgets as widgets\n" if widgets else ""
    return f"{use}import json\n\nQUESTIONS = json.loads({json.dumps(list(items))!r})\n"


def with_quiz(source: str):
    return notebook("md:## Assessment\n\nPick an answer.", source)


def test_the_builders_quiz_is_read_without_running_it():
    nb = demo()
    questions = read_questions(nb.cells[index_of(nb, "assessment-quiz")].source)
    assert len(questions) >= limits.MCQ_MIN and all("explanation" in q for q in questions)
    assert codes(nb, "assessment") == []


def test_a_list_literal_quiz_is_read_too():
    items = [question(n) for n in range(limits.MCQ_MIN)]
    assert codes(with_quiz(f"import ipywidgets\nquestions = {items!r}"), "assessment") == []


def test_too_few_questions_are_an_error():
    finding = only(with_quiz(quiz(question(1), question(2))), "assessment", "too-few-questions")
    assert f"at least {limits.MCQ_MIN}" in finding.message and finding.cell_index == 1


def test_too_many_questions_are_a_warning():
    nb = with_quiz(quiz(*[question(n) for n in range(limits.MCQ_MAX + 1)]))
    assert only(nb, "assessment", "too-many-questions").severity == "warning"


def test_an_answer_outside_the_options_is_an_error_naming_the_question():
    items = [question(n) for n in range(3)] + [question(4, answer_index=3)]
    finding = only(with_quiz(quiz(*items)), "assessment", "invalid-answer")
    assert "question 4" in finding.message and "3 options" in finding.message


def test_an_answer_given_as_option_text_is_accepted():
    items = [question(n, answer="b") for n in range(4)]
    for item in items:
        item.pop("answer_index")
    assert codes(with_quiz(quiz(*items)), "assessment") == []


def test_a_question_without_explanation_text_or_options_is_an_error():
    items = [question(1, explanation=" "), question(2, question=""), question(3, options=["only"]), question(4)]
    found = codes(with_quiz(quiz(*items)), "assessment")
    assert {"question-without-explanation", "question-without-text", "question-without-options"} <= set(found)


def test_option_counts_and_duplicates_are_warnings():
    items = [question(1, options=["a", "b"], answer_index=0), question(2, options=["a", "A", "c"])]
    items += [question(3), question(4)]
    nb = with_quiz(quiz(*items))
    assert only(nb, "assessment", "option-count").severity == "warning"
    assert only(nb, "assessment", "duplicate-options").severity == "warning"


def test_a_quiz_without_widgets_is_a_warning():
    nb = with_quiz(quiz(*[question(n) for n in range(4)], widgets=False))
    assert only(nb, "assessment", "quiz-without-widgets").severity == "warning"


def test_a_quiz_that_is_code_rather_than_data_is_never_run():
    nb = with_quiz("QUESTIONS = [__import__('os').system('touch /tmp/alain-pwned')]")
    finding = only(nb, "assessment", "quiz-unreadable")
    assert "not plain JSON data" in finding.message


def test_an_assessment_without_a_quiz_cell_is_an_error():
    nb = notebook("md:## Quiz\n\n1. What is a token?", "print('no quiz here')")
    assert "`QUESTIONS`" in only(nb, "assessment", "quiz-not-found").message


def test_a_notebook_without_an_assessment_is_an_error():
    assert only(notebook("md:# T", "x = 1"), "assessment", "missing-assessment").severity == "error"
