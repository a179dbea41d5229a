"""Two people acting on the same review at the same moment: one wins, the other is told (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from review import services
from review.models import Approval, AuditEntry, Review, ReviewState
from tests.review.factories import latest, make_people, review_of, reviewed_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises every writer anyway"
    ),
]


def race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions in threads released at the same instant; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def work(slot: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[slot] = action()
        except Exception as exc:
            results[slot] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_reviewers_claiming_at_once_one_wins_the_other_is_told():
    people = make_people()
    run = reviewed_run(people)
    review = review_of(latest(run))
    results = race(
        lambda: services.claim(Review.objects.get(pk=review.pk), people.reviewer),
        lambda: services.claim(Review.objects.get(pk=review.pk), people.second_reviewer),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    winners = [r for r in results if isinstance(r, Review)]
    assert len(winners) == 1 and len(errors) == 1, results
    assert isinstance(errors[0], services.Conflict) and "claimed this review first" in errors[0].message
    assert AuditEntry.objects.filter(run=run, action="claimed").count() == 1


def test_two_reviewers_deciding_at_once_one_wins_the_other_is_told():
    people = make_people()
    run = reviewed_run(people)
    version = latest(run)
    review = services.claim(review_of(version), people.reviewer)
    results = race(
        lambda: services.approve(Review.objects.get(pk=review.pk), people.reviewer, expected_sha256=version.sha256),
        lambda: services.reject(
            Review.objects.get(pk=review.pk), people.admin, expected_sha256=version.sha256, comment="Not this one."
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], services.Conflict), errors[0]
    assert "decided this review first" in errors[0].message
    review.refresh_from_db()
    decisions = AuditEntry.objects.filter(run=run, action__in=["approved", "rejected"])
    assert decisions.count() == 1
    assert review.state == {"approved": ReviewState.APPROVED, "rejected": ReviewState.REJECTED}[decisions.get().action]
    assert Approval.objects.filter(run=run).count() == (1 if review.state == ReviewState.APPROVED else 0)


def test_an_edit_racing_an_approval_never_leaves_an_approval_of_an_old_version_live():
    people = make_people()
    run = reviewed_run(people)
    version = latest(run)
    review = services.claim(review_of(version), people.reviewer)
    results = race(
        lambda: services.approve(Review.objects.get(pk=review.pk), people.reviewer, expected_sha256=version.sha256),
        lambda: services.edit_cell(version, people.author, index=0, source="# Changed", reason="race"),
    )
    assert not any(isinstance(r, Exception) and not isinstance(r, services.ReviewError) for r in results), results
    assert run.versions.count() == 2
    assert services.approved_version(run) is None
