"""The funnel and the diversity scorecard on a seeded set of runs: the service, the portal page,
the API routes and `manage.py alain report`.

Twelve runs are created in the window with known timestamps (minutes after each run's creation)
and one forty days earlier; the expected numbers below are worked out by hand from them:

| run | teacher                  | model (namespace)          | reached                         | ended                          |
| A1  | openai / gpt-4o-mini     | meta-llama (research)      | outline 2, sections 6, pass 10, approved 60, exported 120 | succeeded |
| A2  | openai / gpt-4o-mini     | someone/tiny-model         | 4, 10, pass 14, approved 100 (withdrawn)                  | succeeded |
| A3  | openai / gpt-4o-mini     | Qwen (research)            | 3, 8; its version failed                                  | failed: validation |
| A4  | openai / gpt-4o-mini     | pasted text                | 1                                                         | failed: sections, teacher |
| A5  | openai / gpt-4o-mini     | bob/model-x                | -                                                         | failed: research, source |
| A6  | openai / gpt-4o-mini     | pasted text                | 2                                                         | failed: sections, internal |
| B1  | local / qwen2.5-7b       | acme/alpha                 | 5, 20, pass 25; review asked for changes                  | succeeded |
| B2  | local / qwen2.5-7b       | uploaded file              | 10                                                        | failed: sections, teacher |
| B3  | local / qwen2.5-7b       | acme/beta                  | -                                                         | cancelled in outline |
| B4  | local / qwen2.5-7b       | carol/gamma                | -                                                         | queued |
| B5  | local / qwen2.5-7b       | google/gemma-2b            | -                                                         | failed: research, source |
| C1  | openai / gpt-4o          | microsoft/phi-2            | 1, 3, v1 failed at 4, v2 passed at 30, revalidated 35, approved 50, exported 55 | succeeded |
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone

from alain_site.accounts.roles import ADMINS, AUTHORS
from alain_site.accounts.tokens import create_token
from alain_site.observability import reports
from alain_site.observability.report_text import format_duration
from alain_site.observability.reports import (
    InvalidWindow,
    diversity_report,
    funnel_report,
    model_namespace,
    normalise_reason,
    parse_window,
)
from generation.models import NotebookVersion, ResearchRecord, Run, RunEvent
from review.models import Approval, ExportRecord, Review

MINUTE = 60_000  # ms

# --- the routes under test ------------------------------------------------------------------------


def _api_is_registered() -> bool:
    try:
        reverse("api:reports_funnel", urlconf="alain_site.urls")
    except NoReverseMatch:
        return False
    return True


def _test_api_urls() -> list:
    """Until the router is mounted on the site's API, a copy of that API serves it for these tests."""
    if _api_is_registered():
        return []
    from ninja import NinjaAPI

    from alain_site.api.auth import PortalSessionAuth, TokenAuth
    from alain_site.api.errors import install_handlers
    from alain_site.api.routes.reports import router

    api = NinjaAPI(urls_namespace="reports_test_api", auth=[TokenAuth(), PortalSessionAuth()])
    install_handlers(api)
    api.add_router("/reports", router)
    return [path("api/", api.urls)]


# The site's URLs, plus the stand-in API when needed (`pytest.mark.urls` below).
from alain_site.urls import urlpatterns as _site_urls  # noqa: E402

urlpatterns = [*_test_api_urls(), *_site_urls]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def api_path(name: str) -> str:
    namespace = "api" if _api_is_registered() else "reports_test_api"
    return reverse(f"{namespace}:{name}")


# --- the seeded runs --------------------------------------------------------------------------------


@dataclass
class Seeded:
    now: datetime
    team: Group
    member: User  # an author in the runs' team
    runs: dict[str, Run]

    @property
    def since(self) -> datetime:
        return self.now - timedelta(days=30)


def _backdate(model, pk: int, **fields: datetime) -> None:
    model.objects.filter(pk=pk).update(**fields)


def seed_run(
    name: str,
    *,
    created: datetime,
    provider: str,
    model: str,
    ref: str = "",
    kind: str = "hf",
    author: str | None = None,
    status: str = "succeeded",
    stage: str = "publish",
    error: tuple[str, str, str] = ("", "", ""),
    outline: int | None = None,
    sections: int | None = None,
    versions: tuple[tuple[int, bool], ...] = (),
    checking_done: int | None = None,
    revalidated: int | None = None,
    review: str | None = None,
    approved: int | None = None,
    withdrawn: bool = False,
    exported: int | None = None,
    team: Group | None = None,
    created_by: User | None = None,
) -> Run:
    """A run as the pipeline and the review would have left it, every moment `minutes` after `created`."""
    error_stage, error_kind, error_message = error
    completed = [s for s, at in (("research", 0), ("outline", outline), ("sections", sections)) if at is not None]
    run = Run.objects.create(
        tutorial_id=f"{name.lower()}-manual-a1b2c3",
        source_kind=kind,
        source_ref=ref or ("pasted text" if kind == "text" else "card.md"),
        subject_model=ref or "pasted text",
        teacher_provider=provider,
        teacher_model=model,
        status=status,
        stage=stage,
        completed_stages=completed if outline is not None else [],
        error_stage=error_stage,
        error_kind=error_kind,
        error_message=error_message,
        team=team,
        created_by=created_by,
    )
    _backdate(Run, run.pk, created_at=created)
    run.created_at = created

    def at(minutes: int) -> datetime:
        return created + timedelta(minutes=minutes)

    def event(kind_: str, stage_: str, minutes: int, **data) -> None:
        e = RunEvent.objects.create(run=run, kind=kind_, stage=stage_, message=f"{kind_} {stage_}", data=data)
        _backdate(RunEvent, e.pk, created_at=at(minutes))

    event("created", "", 0)
    if author is not None:
        ResearchRecord.objects.create(run=run, data={"author": author, "repo_id": ref})
    for stage_, minutes in (("outline", outline), ("sections", sections)):
        if minutes is not None:
            event("stage_started", stage_, minutes - 1)
            event("stage_completed", stage_, minutes, elapsed_ms=MINUTE)
    version = None
    for number, (minutes, passed) in enumerate(versions, start=1):
        version = NotebookVersion.objects.create(
            run=run, number=number, ipynb="{}", sha256=f"{number:064d}", validated=True, passed=passed
        )
        _backdate(NotebookVersion, version.pk, created_at=at(minutes))
    if checking_done is not None:
        event("stage_completed", "autofix", checking_done, elapsed_ms=MINUTE)
    if revalidated is not None:
        event("revalidated", "validation", revalidated)
    if review is not None or approved is not None:
        state = review or "approved"
        decided = at(approved if approved is not None else (checking_done or 0) + 30)
        decision = Review.objects.create(version=version, run=run, state=state, decided_at=decided)
        if approved is not None:
            Approval.objects.create(
                run=run,
                version=version,
                review=decision,
                approved_at=at(approved),
                sha256=version.sha256,
                withdrawn_at=at(approved + 5) if withdrawn else None,
            )
    if exported is not None:
        record = ExportRecord.objects.create(run=run, version=version, via="download", sha256=version.sha256)
        _backdate(ExportRecord, record.pk, created_at=at(exported))
    return run


TEACHER_JSON = "The teacher did not return valid JSON after {n} attempts (stage sections, step {step})."


@pytest.fixture
def seeded(db) -> Seeded:
    now = timezone.now()
    team = Group.objects.create(name="team-a")
    member = User.objects.create_user("alice")
    member.groups.add(Group.objects.get_or_create(name=AUTHORS)[0], team)
    base = now - timedelta(days=10)
    gpt_mini = {"provider": "openai", "model": "gpt-4o-mini", "team": team}
    local = {"provider": "local", "model": "qwen2.5-7b", "team": team}
    specs = {
        "A1": dict(
            gpt_mini,
            ref="meta-llama/Llama-3.2-1B",
            author="meta-llama",
            outline=2,
            sections=6,
            versions=((7, True),),
            checking_done=10,
            approved=60,
            exported=120,
        ),
        "A2": dict(
            gpt_mini,
            ref="someone/tiny-model",
            outline=4,
            sections=10,
            versions=((11, True),),
            checking_done=14,
            approved=100,
            withdrawn=True,
        ),
        "A3": dict(
            gpt_mini,
            ref="Qwen/Qwen3-0.6B@abc123",
            author="Qwen",
            outline=3,
            sections=8,
            versions=((9, False),),
            checking_done=12,
            status="failed",
            stage="autofix",
            error=(
                "validation",
                "validation",
                "The notebook failed validation with 3 error finding(s) and needs a person's review. "
                "First: Cell 4 has a TODO.",
            ),
        ),
        "A4": dict(
            gpt_mini,
            kind="text",
            outline=1,
            status="failed",
            stage="sections",
            error=("sections", "teacher", TEACHER_JSON.format(n=3, step=2)),
        ),
        "A5": dict(
            gpt_mini,
            ref="bob/model-x",
            status="failed",
            stage="research",
            error=("research", "source", "The model 'bob/model-x' was not found on the Hugging Face Hub."),
        ),
        "A6": dict(
            gpt_mini,
            kind="text",
            outline=2,
            status="failed",
            stage="sections",
            error=("sections", "internal", "Internal error in stage sections (KeyError); see the server log."),
        ),
        "B1": dict(
            local,
            ref="acme/alpha",
            outline=5,
            sections=20,
            versions=((21, True),),
            checking_done=25,
            review="changes_requested",
        ),
        "B2": dict(
            local,
            kind="file",
            outline=10,
            status="failed",
            stage="sections",
            error=("sections", "teacher", TEACHER_JSON.format(n=4, step=1)),
        ),
        "B3": dict(local, ref="acme/beta", status="cancelled", stage="outline"),
        "B4": dict(local, ref="carol/gamma", status="queued", stage=""),
        "B5": dict(
            local,
            ref="google/gemma-2b",
            status="failed",
            stage="research",
            error=("research", "source", "The model 'google/gemma-2b' is gated: ask for access."),
        ),
        "C1": dict(
            provider="openai",
            model="gpt-4o",
            team=team,
            ref="microsoft/phi-2",
            outline=1,
            sections=3,
            versions=((4, False), (30, True)),
            checking_done=8,
            revalidated=35,
            approved=50,
            exported=55,
        ),
    }
    runs = {
        name: seed_run(name, created=base + timedelta(hours=index), **spec)
        for index, (name, spec) in enumerate(specs.items())
    }
    # Forty days ago: outside a 30-day window, though it went all the way.
    runs["old"] = seed_run(
        "old",
        created=now - timedelta(days=40),
        team=team,
        provider="openai",
        model="gpt-4o-mini",
        ref="meta-llama/Llama-3.2-1B",
        outline=1,
        sections=2,
        versions=((3, True),),
        checking_done=4,
        approved=5,
        exported=6,
    )
    return Seeded(now=now, team=team, member=member, runs=runs)


def steps_of(funnel) -> dict:
    return {step.key: step for step in funnel.steps}


# --- the funnel -------------------------------------------------------------------------------------


def test_the_funnel_counts_each_step_of_the_runs_created_in_the_window(seeded):
    report = funnel_report(since=seeded.since, until=seeded.now)
    steps = steps_of(report.overall)
    assert [steps[key].count for key in reports.FUNNEL_STEPS] == [12, 8, 5, 4, 3, 2]
    assert [steps[key].conversion_from_previous for key in reports.FUNNEL_STEPS] == [
        None,
        0.6667,
        0.625,
        0.8,
        0.75,
        0.6667,
    ]
    assert [steps[key].conversion_from_submitted for key in reports.FUNNEL_STEPS] == [
        1.0,
        0.6667,
        0.4167,
        0.3333,
        0.25,
        0.1667,
    ]


def test_the_funnel_reports_median_times_from_submission_and_from_the_previous_step(seeded):
    steps = steps_of(funnel_report(since=seeded.since, until=seeded.now).overall)
    from_submitted = {key: step.median_ms_from_submitted for key, step in steps.items()}
    from_previous = {key: step.median_ms_from_previous for key, step in steps.items()}
    # outline: 1,1,2,2,3,4,5,10 min; sections: 3,6,8,10,20; pass (the verdict): 10,14,25,35 (C1's
    # second version passed at 30 and was revalidated at 35); approved: 50,60,100; exported: 55,120.
    assert from_submitted == {
        "submitted": None,
        "outline_ok": 2.5 * MINUTE,
        "sections_ok": 8 * MINUTE,
        "validation_pass": 19.5 * MINUTE,
        "approved": 60 * MINUTE,
        "exported": 87.5 * MINUTE,
    }
    # sections after outline: 2,4,5,6,15; pass after sections: 4,4,5,32; approval after pass:
    # 15,50,86; export after approval: 5,60.
    assert from_previous == {
        "submitted": None,
        "outline_ok": 2.5 * MINUTE,
        "sections_ok": 5 * MINUTE,
        "validation_pass": 4.5 * MINUTE,
        "approved": 50 * MINUTE,
        "exported": 32.5 * MINUTE,
    }


def test_it_says_why_runs_stopped_at_each_step_most_common_reason_first(seeded):
    steps = steps_of(funnel_report(since=seeded.since, until=seeded.now).overall)
    submitted = steps["submitted"]
    assert (submitted.stopped, submitted.failed, submitted.cancelled, submitted.active, submitted.waiting) == (
        4,
        2,
        1,
        1,
        0,
    )
    assert [(f.stage, f.kind, f.reason, f.count) for f in submitted.top_failures] == [
        ("outline", "cancelled", "Cancelled.", 1),
        ("research", "source", "The model '…' is gated: ask for access.", 1),
        ("research", "source", "The model '…' was not found on the Hugging Face Hub.", 1),
    ]
    outline = steps["outline_ok"]
    assert (outline.stopped, outline.failed) == (3, 3)
    # Two teachers' JSON failures with different counts are one reason, ranked above the internal error.
    assert [(f.stage, f.kind, f.reason, f.count) for f in outline.top_failures] == [
        ("sections", "teacher", "The teacher did not return valid JSON after N attempts (stage sections, step N).", 2),
        ("sections", "internal", "Internal error in stage sections (KeyError); see the server log.", 1),
    ]
    sections = steps["sections_ok"]
    assert [(f.stage, f.kind, f.reason, f.count) for f in sections.top_failures] == [
        (
            "validation",
            "validation",
            "The notebook failed validation with N error finding(s) and needs a person's review.",
            1,
        ),
    ]
    passed = steps["validation_pass"]
    assert (passed.stopped, passed.waiting) == (1, 1)
    assert [(f.stage, f.kind, f.reason, f.count) for f in passed.top_failures] == [
        ("review", "review", "Review: changes requested", 1)
    ]
    approved = steps["approved"]
    assert (approved.stopped, approved.waiting, approved.top_failures) == (1, 1, [])
    assert steps["exported"].stopped == 0


def test_it_keeps_the_top_five_reasons_of_a_step(seeded):
    for n in range(6):
        seed_run(
            f"extra{n}",
            created=seeded.now - timedelta(days=1),
            provider="local",
            model="qwen2.5-7b",
            ref="acme/alpha",
            status="failed",
            stage="research",
            error=("research", "source", f"Reason number {'abcdef'[n]}."),
        )
    submitted = steps_of(funnel_report(since=seeded.since, until=seeded.now).overall)["submitted"]
    assert submitted.failed == 8
    assert len(submitted.top_failures) == reports.REASONS_PER_STEP == 5


def test_the_funnel_is_broken_down_by_provider_and_by_teacher_model(seeded):
    report = funnel_report(since=seeded.since, until=seeded.now)
    by_provider = {f.provider: [s.count for s in f.steps] for f in report.by_provider}
    assert [f.provider for f in report.by_provider] == ["openai", "local"]
    assert by_provider == {"openai": [7, 6, 4, 3, 3, 2], "local": [5, 2, 1, 1, 0, 0]}
    by_teacher = [((f.provider, f.teacher_model), [s.count for s in f.steps]) for f in report.by_teacher]
    assert by_teacher == [
        (("openai", "gpt-4o-mini"), [6, 5, 3, 2, 2, 1]),
        (("local", "qwen2.5-7b"), [5, 2, 1, 1, 0, 0]),
        (("openai", "gpt-4o"), [1, 1, 1, 1, 1, 1]),
    ]
    local = steps_of(report.by_teacher[1])
    assert local["outline_ok"].conversion_from_previous == 0.4
    assert local["sections_ok"].median_ms_from_submitted == 20 * MINUTE
    assert [f.reason for f in local["outline_ok"].top_failures] == [
        "The teacher did not return valid JSON after N attempts (stage sections, step N)."
    ]


def test_the_window_excludes_older_runs_and_runs_after_until(seeded):
    counts = [s.count for s in funnel_report(since=seeded.now - timedelta(days=50), until=seeded.now).overall.steps]
    assert counts == [13, 9, 6, 5, 4, 3]
    until = seeded.runs["A3"].created_at  # A1 and A2 were created before it
    assert funnel_report(since=seeded.since, until=until).overall.submitted == 2


def test_the_funnel_counts_only_the_runs_it_is_given(seeded):
    report = funnel_report(since=seeded.since, until=seeded.now, runs=Run.objects.filter(teacher_provider="local"))
    assert [s.count for s in report.overall.steps] == [5, 2, 1, 1, 0, 0]
    assert [f.provider for f in report.by_provider] == ["local"]


def test_an_empty_window_has_no_conversions(db):
    now = timezone.now()
    report = funnel_report(since=now - timedelta(days=7), until=now)
    assert [s.count for s in report.overall.steps] == [0] * 6
    assert {s.conversion_from_submitted for s in report.overall.steps} == {None}
    assert report.by_provider == report.by_teacher == []


def test_the_reports_are_json_serialisable(seeded):
    funnel = json.loads(json.dumps(funnel_report(since=seeded.since, until=seeded.now).as_dict()))
    assert funnel["overall"]["steps"][1]["count"] == 8
    assert funnel["until"] == seeded.now.isoformat()
    diversity = json.loads(json.dumps(diversity_report(since=seeded.since, until=seeded.now).as_dict()))
    assert diversity["buckets"][1]["runs"] == 5


# --- the diversity scorecard -----------------------------------------------------------------------


def test_the_scorecard_shares_manuals_between_top_outside_and_unknown_namespaces(seeded):
    report = diversity_report(since=seeded.since, until=seeded.now)
    assert (report.runs, report.succeeded) == (12, 4)
    buckets = {b.key: b for b in report.buckets}
    assert [b.key for b in report.buckets] == ["top", "outside", "unknown"]
    # top: A1 (meta-llama), A3 (Qwen), B5 (google), C1 (microsoft); unknown: A4, A6 (text), B2 (file).
    rows = {
        key: (
            b.runs,
            b.share_of_runs,
            b.succeeded,
            b.share_of_succeeded,
            b.passed,
            b.pass_rate,
            b.exported,
            b.export_rate,
        )
        for key, b in buckets.items()
    }
    assert rows == {
        "top": (4, 0.3333, 2, 0.5, 2, 0.5, 2, 0.5),
        "outside": (5, 0.4167, 2, 0.5, 2, 0.4, 0, 0.0),
        "unknown": (3, 0.25, 0, 0.0, 0, 0.0, 0, 0.0),
    }
    assert (report.outside_share_of_runs, report.outside_share_of_succeeded) == (0.4167, 0.5)
    assert [(n.namespace, n.bucket, n.runs, n.passed, n.exported) for n in report.namespaces] == [
        ("acme", "outside", 2, 1, 0),
        ("bob", "outside", 1, 0, 0),
        ("carol", "outside", 1, 0, 0),
        ("google", "top", 1, 0, 0),
        ("meta-llama", "top", 1, 1, 1),
        ("microsoft", "top", 1, 1, 1),
        ("qwen", "top", 1, 0, 0),
        ("someone", "outside", 1, 1, 0),
    ]


def test_the_top_namespaces_come_from_the_settings_when_set(seeded, settings):
    settings.ALAIN = {**settings.ALAIN, "TOP_MODEL_NAMESPACES": ["ACME", " someone "]}
    report = diversity_report(since=seeded.since, until=seeded.now)
    assert report.top_namespaces == ["acme", "someone"]
    buckets = {b.key: (b.runs, b.passed, b.exported) for b in report.buckets}
    assert buckets == {"top": (3, 2, 0), "outside": (6, 2, 2), "unknown": (3, 0, 0)}


def test_the_namespace_is_the_research_author_else_the_repo_prefix():
    assert model_namespace("hf", "Qwen/Qwen3-0.6B@main", "Qwen") == "qwen"
    assert model_namespace("hf", "Meta-Llama/Llama-3.2-1B@abc", None) == "meta-llama"
    assert model_namespace("hf", "gpt2", "") == ""
    assert model_namespace("text", "pasted text", "acme") == ""
    assert model_namespace("file", "card.md", None) == ""


# --- windows, reasons, formats ---------------------------------------------------------------------


def test_a_window_is_a_number_of_hours_days_or_weeks_ending_now():
    now = timezone.now()
    window = parse_window("30d", now=now)
    assert (window.since, window.until, window.label) == (now - timedelta(days=30), now, "30d")
    assert parse_window(" 2W ", now=now).since == now - timedelta(weeks=2)
    assert parse_window("12h", now=now).description == "the last 12 hours"
    assert parse_window("", now=now).label == "30d"
    for bad in ("30", "abc", "0d", "367d", "-1d", "1y"):
        with pytest.raises(InvalidWindow):
            parse_window(bad, now=now)


def test_reasons_lose_what_varies_between_runs_but_keep_apostrophes():
    assert (
        normalise_reason(
            "Run x-1a2b3c lost its worker 3 times at https://w.example/x (task 0123456789abcdef0). Retry it.",
            tutorial_id="x-1a2b3c",
        )
        == "Run <run> lost its worker N times at <url> (task <hex>)."
    )
    assert normalise_reason("The teacher doesn't answer and can't connect.") == (
        "The teacher doesn't answer and can't connect."
    )
    assert normalise_reason('Model "acme/x" refused: `max_tokens` too big.') == "Model '…' refused: '…' too big."
    assert normalise_reason("") == ""
    assert len(normalise_reason("word " * 100)) == 160


def test_durations_read_like_a_person_would_say_them():
    assert [format_duration(ms) for ms in (None, 850, 12_500, 185_000, 7_800_000, 200 * 3_600_000)] == [
        "—",
        "850 ms",
        "12.5 s",
        "3 min 5 s",
        "2 h 10 min",
        "8 d 8 h",
    ]


# --- the portal page -------------------------------------------------------------------------------


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outsider_run(seeded) -> Run:
    """A run of another team, in the window, that failed with a telling reason."""
    other = Group.objects.create(name="team-b")
    outsider = User.objects.create_user("olga")
    outsider.groups.add(other)
    return seed_run(
        "O1",
        created=seeded.now - timedelta(days=2),
        provider="secret-provider",
        model="secret-model",
        ref="hidden-lab/model",
        status="failed",
        stage="research",
        error=("research", "source", "<script>alert(1)</script> leaked from team b."),
        team=other,
        created_by=outsider,
    )


def test_the_page_needs_a_sign_in(db):
    response = Client().get("/reports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_member_sees_the_funnel_of_their_teams_runs_only(seeded, outsider_run):
    response = client_for(seeded.member).get("/reports/", {"since": "30d"})
    assert response.status_code == 200
    report = response.context["report"]
    assert [s.count for s in report.funnel.overall.steps] == [12, 8, 5, 4, 3, 2]
    assert report.diversity.runs == 12
    html = response.content.decode()
    assert "12 runs submitted" in html
    assert "66.7%" in html and "41.7%" in html  # outline and sections of submitted
    assert "19 min 30 s" in html  # median time to validation pass
    assert "The teacher did not return valid JSON after N attempts" in html
    assert "secret-provider" not in html and "hidden-lab" not in html and "leaked" not in html
    assert "Only runs you can see are counted" in html
    # The bars are SVG lengths (no style attribute: the CSP forbids them).
    assert '<rect x="0" y="0" width="66.7" height="16"' in html
    assert "style=" not in html


def test_an_admin_sees_every_run_with_untrusted_text_escaped(seeded, outsider_run):
    admin = User.objects.create_user("adam")
    admin.groups.add(Group.objects.get_or_create(name=ADMINS)[0])
    response = client_for(admin).get("/reports/?since=7d")
    assert response.status_code == 200
    assert response.context["report"].funnel.overall.submitted == 1  # only O1 is younger than a week
    html = response.content.decode()
    assert "secret-provider / secret-model" in html
    assert "&lt;script&gt;alert(N)&lt;/script&gt; leaked from team b." in html
    assert "<script>alert" not in html
    assert "Every run is counted" in html


def test_the_page_shows_the_diversity_scorecard(seeded):
    html = client_for(seeded.member).get("/reports/").content.decode()
    assert "41.7% of the manuals of this window" in html
    assert "(5 of 12) are about models outside the top providers" in html
    assert "Unknown namespace (text or file sources)" in html
    assert "<code>acme</code>" in html


def test_a_bad_window_is_refused_with_a_message(seeded):
    response = client_for(seeded.member).get("/reports/", {"since": "forever"})
    assert response.status_code == 400
    assert "report" not in response.context
    html = response.content.decode()
    assert "This window cannot be reported on" in html
    assert "is not a duration such as 7d, 30d or 90d" in html
    assert 'aria-invalid="true"' in html


def test_a_custom_window_stays_selected(seeded):
    response = client_for(seeded.member).get("/reports/", {"since": "14d"})
    assert response.status_code == 200
    assert '<option value="14d" selected>Last 14 days</option>' in response.content.decode()
    assert response.context["report"].funnel.overall.submitted == 12


def test_an_empty_window_says_so(seeded):
    html = client_for(seeded.member).get("/reports/", {"since": "1h"}).content.decode()
    assert "No run was created in this window among the runs you can see." in html


# --- the API ---------------------------------------------------------------------------------------


def bearer(user: User) -> Client:
    _, key = create_token(user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def test_the_api_funnel_counts_the_callers_runs(seeded, outsider_run):
    response = bearer(seeded.member).get(api_path("reports_funnel"), {"since": "30d"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["window"] == "30d"
    assert [s["count"] for s in body["overall"]["steps"]] == [12, 8, 5, 4, 3, 2]
    assert body["overall"]["steps"][3]["median_ms_from_submitted"] == 19.5 * MINUTE
    assert body["overall"]["steps"][1]["top_failures"][0] == {
        "stage": "sections",
        "kind": "teacher",
        "reason": "The teacher did not return valid JSON after N attempts (stage sections, step N).",
        "count": 2,
    }
    assert [(f["provider"], f["teacher_model"]) for f in body["by_teacher"]] == [
        ("openai", "gpt-4o-mini"),
        ("local", "qwen2.5-7b"),
        ("openai", "gpt-4o"),
    ]
    assert "secret-provider" not in response.content.decode()


def test_the_api_diversity_scorecard(seeded):
    body = bearer(seeded.member).get(api_path("reports_diversity")).json()
    assert body["window"] == "30d"
    assert (body["runs"], body["outside_share_of_runs"], body["outside_share_of_succeeded"]) == (12, 0.4167, 0.5)
    assert [(b["key"], b["pass_rate"], b["export_rate"]) for b in body["buckets"]] == [
        ("top", 0.5, 0.5),
        ("outside", 0.4, 0.0),
        ("unknown", 0.0, 0.0),
    ]


@pytest.mark.parametrize("name", ["reports_funnel", "reports_diversity"])
def test_the_api_refuses_a_bad_window(seeded, name):
    # Not a duration at all: the schema's pattern refuses it (422). A duration out of range: 400.
    response = bearer(seeded.member).get(api_path(name), {"since": "lots"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request" and "since" in response.json()["message"]
    out_of_range = bearer(seeded.member).get(api_path(name), {"since": "400d"})
    assert out_of_range.status_code == 400
    assert out_of_range.json()["code"] == "invalid_window"
    assert "between 1h and 366d" in out_of_range.json()["message"]
    too_long = bearer(seeded.member).get(api_path(name), {"since": "1" * 30})
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "invalid_request"


@pytest.mark.parametrize("name", ["reports_funnel", "reports_diversity"])
def test_the_api_needs_credentials(db, name):
    response = Client().get(api_path(name))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


# --- the command line ------------------------------------------------------------------------------


def report(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("alain", "report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_tables_of_every_run(seeded, outsider_run):
    out, err = report("--since", "30d")
    assert err.strip() == "Report of 13 runs created in the last 30 days."
    lines = out.splitlines()
    assert lines[0].startswith("Runs created in the last 30 days (") and lines[0].endswith("UTC): 13")
    funnel = {line.split("  ")[0]: line.split() for line in lines if line.startswith(("Outline ok", "Exported"))}
    assert funnel["Outline ok"][2:5] == ["8", "61.5%", "61.5%"]
    assert funnel["Exported"][1:4] == ["2", "66.7%", "15.4%"]
    assert "       2  sections/teacher  The teacher did not return valid JSON after N attempts" in out
    assert any(line.startswith("secret-provider / secret-model") for line in lines)
    assert any(line.split()[:3] == ["outside", "6", "46.2%"] for line in lines)


def test_the_command_prints_json_when_asked(seeded):
    out, _ = report("--since", "30d", "--json")
    data = json.loads(out)
    assert data["window"] == "30d"
    assert [s["count"] for s in data["funnel"]["overall"]["steps"]] == [12, 8, 5, 4, 3, 2]
    assert data["diversity"]["outside_share_of_runs"] == 0.4167
    assert data["funnel"]["overall"]["steps"][4]["median_ms_from_previous"] == 50 * MINUTE


def test_the_command_refuses_a_bad_window_with_exit_code_2(db):
    with pytest.raises(CommandError) as info:
        report("--since", "a month")
    assert info.value.returncode == 2
    assert str(info.value) == (
        "Usage error: The window 'a month' is not a duration such as 7d, 30d or 90d "
        "(a number followed by h for hours, d for days or w for weeks)."
    )
