"""The nightly refresh through a real cluster: the schedule fires, a worker refreshes the manual."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_q.models import Schedule, Task

from alain_site.accounts.roles import REVIEWERS
from generation import queueing, refresh, services
from generation.models import RefreshRecord, Run, RunStatus
from review import services as review
from review.models import ReviewState
from tests.cluster import conftest
from tests.cluster.harness import all_finished, wait_for
from tests.cluster.responders import MAX_SECTIONS
from tests.fakes.hub_server import FakeHubServer
from tests.review.factories import latest, make_user, review_of

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

QWEN = "Qwen/Qwen3-0.6B"
QWEN_SHA = "c1899de289a04d12100db370d81485cdf75e47ca"
NEW_SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHubServer]:
    """A fake Hub the cluster's workers research from (the harness starts clusters offline)."""
    with FakeHubServer() as server:
        make_env = conftest.cluster_env

        def cluster_env(**kwargs) -> dict[str, str]:
            env = make_env(**kwargs)
            env.pop("HF_TOKEN", None)
            env.update(
                {
                    "HF_HUB_OFFLINE": "0",
                    "HF_ENDPOINT": server.url,
                    "HF_HOME": str(tmp_path / "hf-home"),
                    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                }
            )
            return env

        monkeypatch.setattr(conftest, "cluster_env", cluster_env)
        yield server


def test_the_nightly_schedule_fires_in_the_cluster_and_files_the_rebuilt_manual(start_cluster, teacher, hub, settings):
    cluster = start_cluster(teacher, workers=2)
    run = queueing.queue_new_run(
        source=services.RunSource(kind="hf", ref=QWEN),
        options=services.RunOptions(
            provider="local",
            teacher_model="fake-teacher",
            base_url=teacher.base_url,
            max_sections=MAX_SECTIONS,
            execute=False,
        ),
    )
    wait_for(lambda: all_finished([run]), timeout=60, what="the manual to be generated", cluster=cluster)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    approved = latest(run)
    assert refresh.built_from_revision(approved) == QWEN_SHA
    # A reviewer of the manual's team approves version 1.
    reviewer = make_user("rita", roles=(REVIEWERS,), teams=("team-a",))
    Run.objects.filter(pk=run.pk).update(team=Group.objects.get(name="team-a"))
    claimed = review.claim(review_of(approved), reviewer)
    review.approve(claimed, reviewer, expected_sha256=approved.sha256)

    # The card moves on; the schedule (off by default) is turned on and made due now.
    hub.repos[QWEN].info["sha"] = NEW_SHA
    hub.repos[QWEN].files["README.md"] += b"\n## Changelog\n\nA second edition of this card.\n"
    settings.ALAIN = {**settings.ALAIN, "REFRESH_SCHEDULE": "0 3 * * *"}
    schedule = refresh.sync_refresh_schedule()
    Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now() - timedelta(seconds=1))

    # django-q2's scheduler looks every 30 s; then one task queues the per-manual refresh.
    record = wait_for(
        lambda: RefreshRecord.objects.filter(run=run, finished_at__isnull=False).first(),
        timeout=120,
        what="the scheduled refresh of the manual",
        cluster=cluster,
    )

    assert (record.trigger, record.outcome, record.card_changed) == ("schedule", "queued", True), record.message
    assert (record.previous_revision, record.current_revision) == (QWEN_SHA, NEW_SHA)
    new = latest(run)
    assert (record.version, record.compared_to) == (new, approved) and new.number > approved.number
    assert record.diff_summary["against"] == "approved" and record.diff_summary["modified"] >= 1
    assert review_of(new).state == ReviewState.PENDING
    assert review.approved_version(run) is None
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.claimed_by != ""
    # Each scheduled task did its part, and the schedule waits for the next night.
    tasks = Task.objects.filter(func__startswith="generation.tasks.refresh_")
    wait_for(lambda: tasks.count() == 2, timeout=10, what="both tasks' results", cluster=cluster)
    results = dict(tasks.values_list("func", "result"))
    assert results == {
        "generation.tasks.refresh_nightly": "1 manual(s) queued for a refresh",
        "generation.tasks.refresh_manual": f"{run.tutorial_id}: queued",
    }
    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now() and (schedule.next_run.hour, schedule.next_run.minute) == (3, 0)
