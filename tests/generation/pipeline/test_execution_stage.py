"""Execution validation and execution-grounded repair inside a whole run (real sandboxed kernel)."""

import json

import pytest

from generation.models import NotebookVersion, RunEvent, RunStatus, TeacherCall
from generation.pipeline.runner import execute_run
from providers.demo import DemoTeacher
from tests.generation.factories import make_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.notebook_exec]


class BrokenStepTeacher(DemoTeacher):
    """The demo teacher, except that step 2's code divides by zero until `fixes` repairs are asked."""

    def __init__(self, *, fixes: bool):
        super().__init__(model="demo")
        self.fixes = fixes
        self.repair_requests = []

    def complete(self, request):
        completion = super().complete(request)
        index = request.context.get("section_index")
        if request.stage == "section_repair":
            self.repair_requests.append(request)
            if self.fixes:
                return completion
        if request.stage in ("section", "section_repair") and index == 1:
            data = json.loads(completion.text)
            data["code"][0]["code"] = "result = 1 / 0\nprint(result)"
            completion.text = json.dumps(data)
        return completion


@pytest.fixture
def fast_execution(settings):
    settings.ALAIN = {**settings.ALAIN, "EXEC_CELL_TIMEOUT": 20, "EXEC_TOTAL_TIMEOUT": 120, "REPAIR_ROUNDS": 2}


def test_a_good_manual_is_executed_in_the_sandbox_and_passes(fast_execution):
    run = execute_run(make_run(options={"execute": True, "max_sections": 3}).pk, teacher=DemoTeacher(model="demo"))
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    version = NotebookVersion.objects.get(run=run)
    assert version.validation_summary["executed"] is True
    assert "execution" in version.validation_summary["durations_ms"]
    assert version.findings.filter(validator="execution", code="install-skipped").exists()
    assert not version.findings.filter(severity="error").exists()


def test_a_failing_step_is_rewritten_by_the_teacher_from_its_traceback(fast_execution):
    teacher = BrokenStepTeacher(fixes=True)
    run = execute_run(make_run(options={"execute": True, "max_sections": 3}).pk, teacher=teacher)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    first, second = NotebookVersion.objects.filter(run=run).order_by("number")
    assert first.passed is False
    assert first.findings.filter(validator="execution", code="cell-error", message__contains="ZeroDivisionError")
    assert (second.passed, second.reason) == (True, "auto-fix round 1")
    [repair] = teacher.repair_requests
    prompt = repair.messages[1]["content"]
    assert "result = 1 / 0" in prompt and "ZeroDivisionError" in prompt
    assert TeacherCall.objects.filter(run=run, stage="section_repair", section_index=1, outcome="ok").count() == 1


def test_a_manual_that_still_fails_is_left_for_review_with_its_findings(fast_execution):
    run = execute_run(make_run(options={"execute": True, "max_sections": 3}).pk, teacher=BrokenStepTeacher(fixes=False))
    assert (run.status, run.error_kind) == (RunStatus.FAILED, "validation")
    assert "needs a person's review" in run.error_message
    assert RunEvent.objects.filter(run=run, kind="needs_review").exists()
    # The rewrite changed nothing, so no pointless second version was made.
    assert NotebookVersion.objects.filter(run=run).count() == 1
    assert run.artifacts.filter(name="validation.md").exists()
