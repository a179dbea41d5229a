"""Issue 6's acceptance flow in Chromium: a failing cell is fixed in review, approved, exported, withdrawn.

An author's run (demo teacher, executed in the sandbox) enters the review queue. The author
breaks a code cell; revalidation (run here, inline, while the page polls) shows the execution
error beside that cell and the version cannot be approved. A reviewer of the same team claims
it from the queue, fixes the cell, watches the findings clear, approves with the sha-carrying
form; the author downloads the export, then an edit withdraws the approval and the export
answers 409 saying why. axe-core finds no WCAG 2.1 A/AA violation on the review pages, and
every action is in the audit trail once, with its actor and time.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.flows import sign_in
from tests.browser.support import PageLog, axe_violations, format_violations, needs_chromium, url_of, wait_until

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

BROKEN = 'raise ValueError("broken on purpose")'
FIXED = 'print(ask("Say hello", max_tokens=5))'
# The findings partial polls every 3 s; revalidation executes the whole notebook in the sandbox.
FINDINGS_TIMEOUT_MS = 30_000


@dataclass
class InlineRevalidation:
    """Stands in for the django-q2 cluster: records queued revalidations, runs them when the test says."""

    queued: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)

    def async_task(self, func: str, *args: object, **kwargs: object) -> str:
        from generation.queueing import REVALIDATE_TASK

        assert func == REVALIDATE_TASK, func
        self.queued.append(int(args[0]))
        return f"browser-test-revalidation-{len(self.queued)}"

    def run_next(self, page) -> str:
        """Wait (with a deadline) for the save's on_commit to queue the task, then run it here."""
        from generation.tasks import revalidate_version

        wait_until(
            lambda: len(self.queued) > len(self.done),
            timeout=10,
            sleep=lambda s: page.wait_for_timeout(s * 1000),
            message=f"no revalidation was queued (queued {self.queued}, done {self.done})",
        )
        version_id = self.queued[len(self.done)]
        self.done.append(version_id)
        return revalidate_version(version_id)


@pytest.fixture
def revalidation(monkeypatch: pytest.MonkeyPatch) -> InlineRevalidation:
    import django_q.tasks

    inline = InlineRevalidation()
    # generation.queueing imports async_task when it queues, so patching the module is enough.
    monkeypatch.setattr(django_q.tasks, "async_task", inline.async_task)
    return inline


@dataclass
class FindingsPolls:
    """Status codes of the findings partial's htmx polls, in order."""

    statuses: list[int] = field(default_factory=list)

    def on_response(self, response) -> None:
        if "/findings/" in response.url:
            self.statuses.append(response.status)


def check_page(page, log: PageLog) -> None:
    problems = []
    violations = axe_violations(page)
    if violations:
        problems.append(format_violations(page.url, violations))
    if log.csp_violations():
        problems.append(f"CSP violations on {page.url}: {log.csp_violations()}")
    if log.errors:
        problems.append(f"script errors on {page.url}: {log.errors}")
    assert not problems, "\n".join(problems)


def open_page(browser, live_server, user) -> tuple[object, object, PageLog]:
    """A second person's browser: its own context (cookies), signed in through the login form."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    log = PageLog()
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    sign_in(page, user.username)
    assert "/accounts/login/" not in page.url, f"sign-in as {user.username} failed"
    return context, page, log


def edit_cell(page, number: int, source: str, reason: str) -> None:
    """Open the cell's change panel, replace its source and save it as a new version."""
    cell = page.locator(f"#cell-{number}")
    cell.locator("summary", has_text=f"Change cell {number}").click()
    cell.get_by_label(f"Source of cell {number}").fill(source)
    cell.get_by_label(re.compile(r"^Reason for the change")).first.fill(reason)
    cell.get_by_role("button", name=f"Save cell {number} as a new version").click()
    page.wait_for_load_state()


def watch_validation(page, revalidation: InlineRevalidation, number: int) -> FindingsPolls:
    """On the review page of an unvalidated version: validate it inline while the page polls, until polling ends."""
    polls = FindingsPolls()
    page.on("response", polls.on_response)
    findings = page.locator("#review-findings")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"version {number}")
    expect(findings).to_contain_text(f"Validation of version {number} is running")
    expect(findings).to_have_attribute("hx-trigger", re.compile(r"every \d+s"))
    revalidation.run_next(page)
    expect(findings).to_contain_text("Validation:", timeout=FINDINGS_TIMEOUT_MS)
    wait_until(
        lambda: polls.statuses and polls.statuses[-1] == 286,
        timeout=10,
        sleep=lambda s: page.wait_for_timeout(s * 1000),
        message=f"the findings polls never got the final 286 answer: {polls.statuses}",
    )
    expect(page.locator("#review-findings")).not_to_have_attribute("hx-trigger", re.compile(r"."))
    assert all(code in (200, 286) for code in polls.statuses), polls.statuses
    page.remove_listener("response", polls.on_response)
    return polls


def first_code_cell_using_ask(version) -> int:
    """1-based number of the first code cell that calls the manual's `ask` helper (a step's code)."""
    cells = json.loads(version.ipynb)["cells"]
    for index, cell in enumerate(cells):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "ask(" in source and "def ask" not in source:
            return index + 1
    raise AssertionError("the demo manual has no step calling ask()")


def test_a_reviewer_fixes_a_failing_cell_approves_and_an_edit_withdraws_the_approval(
    page, page_log, author, reviewer, browser, live_server, revalidation, tmp_path
):
    from generation.models import NotebookVersion, RunStatus
    from generation.pipeline.runner import execute_run
    from providers.demo import DemoTeacher
    from review.models import Approval, AuditEntry, Review, ReviewState
    from tests.generation.factories import make_run

    # 1. The author's run, generated by the demo teacher and executed in the sandbox: its
    #    version passed validation and entered the queue at publish.
    run = make_run(
        created_by=author, team=author.groups.get(name="blue-team"), options={"execute": True, "max_sections": 3}
    )
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    v1 = run.versions.get(number=1)
    assert (v1.validated, v1.passed, v1.validation_summary.get("executed")) == (True, True, True)
    assert Review.objects.get(version=v1).state == ReviewState.PENDING
    number = first_code_cell_using_ask(v1)
    ref = run.tutorial_id

    # 2. The author breaks that code cell from the review page; revalidation executes it and the
    #    error shows beside the cell once the polling findings partial has the verdict.
    sign_in(page, author.username)
    page.goto(reverse("review:version", args=[ref, 1]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1")
    edit_cell(page, number, BROKEN, "Break it on purpose")
    watch_validation(page, revalidation, 2)
    expect(page.locator("#review-findings")).to_contain_text("failed")
    cell_findings = page.locator(f"#cell-{number}-findings")
    expect(cell_findings.get_by_role("note")).to_contain_text("ValueError: broken on purpose")
    expect(page.locator(f"#cell-{number}")).to_contain_text("ValueError: broken on purpose")
    # The author is offered no decision on their own run.
    expect(page.locator("#approve-button")).to_have_count(0)
    v2 = NotebookVersion.objects.get(run=run, number=2)
    assert (v2.validated, v2.passed, v2.created_by) == (True, False, author)
    assert v2.findings.filter(validator="execution", severity="error", cell_index=number - 1).exists()

    # 3. A reviewer of the team opens the queue and claims version 2.
    context, rpage, rlog = open_page(browser, live_server, reviewer)
    try:
        rpage.goto(reverse("review:queue"))
        expect(rpage.get_by_role("heading", level=1)).to_have_text("Review queue")
        row = rpage.locator("table.review-table tbody tr").filter(has_text=ref)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Pending review")
        expect(row).to_contain_text("failed")
        check_page(rpage, rlog)  # the queue
        row.get_by_role("button", name=f"Claim {ref} version 2").click()
        rpage.wait_for_url(url_of(reverse("review:queue")))
        expect(rpage.get_by_role("status").first).to_contain_text("You claimed the review")
        expect(row).to_contain_text("claimed by you")
        row.get_by_role("link", name=re.compile(r"version 2$")).click()
        review2 = Review.objects.get(version=v2)
        rpage.wait_for_url(url_of(reverse("review:detail", args=[review2.pk])))
        expect(rpage.locator("dl.facts")).to_contain_text("In review")

        # Version 2 fails execution: the approval is refused, and the page says why.
        rpage.locator("#approve-button").click()
        rpage.wait_for_load_state()
        expect(rpage.get_by_role("heading", level=1)).to_contain_text("version 2")
        expect(rpage.locator("form.decision").first).to_contain_text(
            re.compile(r"Version 2 fails validation with \d+ error finding\(s\) and cannot be approved")
        )
        assert not Approval.objects.filter(run=run).exists()

        # The review page with every panel open, then the reviewer fixes the cell.
        rpage.goto(reverse("review:detail", args=[review2.pk]))
        rpage.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        expect(rpage.get_by_label(f"Source of cell {number}")).to_be_visible()
        check_page(rpage, rlog)
        rpage.goto(reverse("review:detail", args=[review2.pk]))
        edit_cell(rpage, number, FIXED, "Call the model instead of raising")
        watch_validation(rpage, revalidation, 3)
        expect(rpage.locator("#review-findings")).to_contain_text("passed")
        expect(rpage.locator(f"#cell-{number}-findings")).to_be_empty()
        expect(rpage.locator("#review-findings")).not_to_contain_text("broken on purpose")
        v3 = NotebookVersion.objects.get(run=run, number=3)
        assert (v3.validated, v3.passed, v3.created_by) == (True, True, reviewer)
        assert not v3.findings.filter(severity="error").exists()
        review3 = Review.objects.get(version=v3)
        assert (review3.state, review3.claimed_by) == (ReviewState.IN_REVIEW, reviewer)  # the claim moved along

        # Approve with the form that carries the version's sha256.
        sha_field = rpage.locator("input[name='approve-expected_sha256']")
        expect(sha_field).to_have_value(NotebookVersion.objects.get(pk=v3.pk).sha256)
        rpage.get_by_label("Comment (optional)").fill("The step runs now.")
        rpage.locator("#approve-button").click()
        rpage.wait_for_url(url_of(reverse("review:detail", args=[review3.pk])))
        expect(rpage.get_by_role("status").first).to_contain_text("Version 3 is approved")
        expect(rpage.locator("dl.facts")).to_contain_text("Approved")
        approval = Approval.objects.get(run=run)
        v3.refresh_from_db()
        assert (approval.version, approval.approved_by, approval.sha256) == (v3, reviewer, v3.sha256)

        # The diff page between the broken and the fixed version.
        rpage.goto(f"{reverse('review:diff', args=[ref])}?a=2&b=3")
        expect(rpage.locator("body")).to_contain_text("broken on purpose")
        expect(rpage.locator("body")).to_contain_text("Say hello")
        check_page(rpage, rlog)
    finally:
        context.close()

    # 4. The author downloads the export from the run page: the approved notebook, byte for byte.
    page.goto(reverse("portal:run", args=[ref]))
    with page.expect_download() as info:
        page.get_by_role("link", name="Export the approved version").click()
    download = info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == f"{ref}-v3.zip", download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as archive:
        assert "notebook.ipynb" in archive.namelist(), archive.namelist()
        exported = archive.read("notebook.ipynb")
    assert exported.decode("utf-8") == v3.ipynb
    assert json.loads(exported) == json.loads(v3.ipynb)
    assert "".join(json.loads(exported)["cells"][number - 1]["source"]) == FIXED

    # 5. An edit (here a markdown cell, by the author) withdraws the approval: the export answers 409.
    page.goto(reverse("review:version", args=[ref, 3]))
    edit_cell(page, 1, "# Tiny Test Model: a reviewed manual", "Retitle")
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 4")
    assert not Approval.objects.live().filter(run=run).exists()
    response = page.goto(reverse("review:export", args=[ref]))
    assert response is not None and response.status == 409, response and response.status
    expect(page.get_by_role("heading", level=1)).to_contain_text("cannot be exported yet")
    expect(page.locator("main, body").first).to_contain_text("The approval of version 3 was withdrawn")
    expect(page.locator("main, body").first).to_contain_text("Only approved versions can be exported")
    revalidation.run_next(page)  # the last edit's revalidation, so no work is left behind

    # 6. The audit page.
    page.goto(reverse("review:audit", args=[ref]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit trail")
    check_page(page, page_log)

    # Every action once in the audit trail, with its actor and time, in order.
    entries = list(AuditEntry.objects.filter(run=run).select_related("actor", "version").order_by("created_at", "id"))
    trail = [
        (e.action, e.actor.username if e.actor else None, e.version.number if e.version else None) for e in entries
    ]
    assert trail == [
        ("entered_queue", None, 1),
        ("cell_edited", "ada", 2),
        ("entered_queue", None, 2),
        ("claimed", "rui", 2),
        ("cell_edited", "rui", 3),
        ("entered_queue", None, 3),
        ("approved", "rui", 3),
        ("exported", "ada", 3),
        ("approval_withdrawn", "ada", 3),
        ("cell_edited", "ada", 4),
        ("entered_queue", None, 4),
    ], trail
    assert all(e.created_at is not None for e in entries)
    assert [e.created_at for e in entries] == sorted(e.created_at for e in entries)
    assert not page_log.errors, page_log.errors
