"""The review queue's transitions and every refusal: claims, decisions, stale versions, the queue itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alain_site.accounts.roles import REVIEWERS, ensure_role
from generation.models import Finding, NotebookVersion, RunStatus
from review import services
from review.models import Approval, AuditEntry, Review, ReviewState
from tests.review.factories import latest, mark_validated, people_fixture, review_of, reviewed_run, run_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def claimed(run, user) -> Review:
    return services.claim(review_of(latest(run)), user)


# --- entering the queue ---------------------------------------------------------------------------


def test_a_version_that_finished_validation_enters_the_queue_as_pending(run):
    version = latest(run)
    review = review_of(version)
    assert (review.state, review.run_id, review.claimed_by) == (ReviewState.PENDING, run.pk, None)
    entry = AuditEntry.objects.get(run=run, action="entered_queue")
    assert entry.actor is None and entry.version == version and "validation: passed" in entry.message


def test_entering_the_queue_twice_changes_nothing(run):
    version = latest(run)
    assert services.enter_queue(version) == review_of(version)
    assert Review.objects.filter(run=run).count() == 1
    assert AuditEntry.objects.filter(run=run, action="entered_queue").count() == 1


# --- claim and release ------------------------------------------------------------------------


def test_a_reviewer_claims_a_pending_review_and_others_see_who_holds_it(people, run):
    review = claimed(run, people.reviewer)
    assert (review.state, review.claimed_by, review.claimed_at is not None) == (
        ReviewState.IN_REVIEW,
        people.reviewer,
        True,
    )
    with pytest.raises(services.Conflict, match="Someone else \\(rita\\) claimed this review first"):
        services.claim(review_of(latest(run)), people.second_reviewer)
    entry = AuditEntry.objects.get(run=run, action="claimed")
    assert entry.actor == people.reviewer and entry.created_at is not None


def test_claiming_what_you_already_hold_is_a_no_op(people, run):
    claimed(run, people.reviewer)
    services.claim(review_of(latest(run)), people.reviewer)
    assert AuditEntry.objects.filter(run=run, action="claimed").count() == 1


def test_someone_without_the_reviewer_role_cannot_claim(people, run):
    for user in (people.teammate, people.author):
        with pytest.raises(services.NotAllowed):
            services.claim(review_of(latest(run)), user)
    assert review_of(latest(run)).state == ReviewState.PENDING


def test_a_reviewer_who_cannot_see_the_run_cannot_claim_it(people, run):
    with pytest.raises(services.NotAllowed, match="cannot see this run"):
        services.claim(review_of(latest(run)), people.outsider)


def test_the_author_cannot_claim_their_own_run_even_as_a_reviewer(people, run):
    ensure_role(people.author, REVIEWERS)
    with pytest.raises(services.NotAllowed, match="You generated this run"):
        services.claim(review_of(latest(run)), people.author)


def test_the_claimer_releases_a_review_back_to_the_queue(people, run):
    claimed(run, people.reviewer)
    review = services.release(review_of(latest(run)), people.reviewer)
    assert (review.state, review.claimed_by, review.claimed_at) == (ReviewState.PENDING, None, None)
    assert AuditEntry.objects.get(run=run, action="released").actor == people.reviewer


def test_only_the_claimer_or_an_admin_can_release(people, run):
    claimed(run, people.reviewer)
    with pytest.raises(services.NotAllowed, match="rita holds this review"):
        services.release(review_of(latest(run)), people.second_reviewer)
    review = services.release(review_of(latest(run)), people.admin)
    assert review.state == ReviewState.PENDING
    assert "held by rita" in AuditEntry.objects.get(run=run, action="released").message


def test_a_pending_review_cannot_be_released(people, run):
    with pytest.raises(services.Conflict, match="nobody holds it"):
        services.release(review_of(latest(run)), people.reviewer)


# --- decisions --------------------------------------------------------------------------------


def test_the_claimer_approves_the_latest_version_by_its_sha256(people, run):
    review = claimed(run, people.reviewer)
    version = latest(run)
    approval = services.approve(review, people.reviewer, expected_sha256=version.sha256, comment="Looks right.")
    assert (approval.version, approval.approved_by, approval.sha256) == (version, people.reviewer, version.sha256)
    assert approval.approved_at is not None and approval.is_live
    review.refresh_from_db()
    assert (review.state, review.decided_by, review.comment) == (ReviewState.APPROVED, people.reviewer, "Looks right.")
    assert services.approved_version(run) == version
    entry = AuditEntry.objects.get(run=run, action="approved")
    assert entry.actor == people.reviewer and entry.data["sha256"] == version.sha256


def test_an_author_never_approves_their_own_run(people, run):
    ensure_role(people.author, REVIEWERS)
    review = claimed(run, people.reviewer)
    with pytest.raises(services.NotAllowed, match="You generated this run, so you cannot approve it"):
        services.approve(review, people.author, expected_sha256=latest(run).sha256)
    assert not Approval.objects.exists()


def test_someone_without_the_reviewer_role_cannot_decide(people, run):
    review = claimed(run, people.reviewer)
    sha = latest(run).sha256
    with pytest.raises(services.NotAllowed, match="Only reviewers can approve it"):
        services.approve(review, people.teammate, expected_sha256=sha)
    with pytest.raises(services.NotAllowed):
        services.reject(review, people.teammate, expected_sha256=sha, comment="no")


def test_a_decision_needs_a_claim(people, run):
    review = review_of(latest(run))
    with pytest.raises(services.Conflict, match="Claim the review before"):
        services.approve(review, people.reviewer, expected_sha256=latest(run).sha256)


def test_a_review_held_by_someone_else_cannot_be_decided_by_another_reviewer(people, run):
    review = claimed(run, people.reviewer)
    with pytest.raises(services.Conflict, match="rita"):
        services.approve(review, people.second_reviewer, expected_sha256=latest(run).sha256)


def test_an_admin_may_decide_a_review_someone_else_holds(people, run):
    review = claimed(run, people.reviewer)
    services.reject(review, people.admin, expected_sha256=latest(run).sha256, comment="Off-topic manual.")
    review.refresh_from_db()
    assert (review.state, review.decided_by, review.claimed_by) == (ReviewState.REJECTED, people.admin, people.reviewer)


@pytest.mark.parametrize("comment", ["", "   "])
def test_requesting_changes_or_rejecting_needs_a_comment(people, run, comment):
    review = claimed(run, people.reviewer)
    sha = latest(run).sha256
    with pytest.raises(services.InvalidRequest, match="Say in a comment why"):
        services.request_changes(review, people.reviewer, expected_sha256=sha, comment=comment)
    with pytest.raises(services.InvalidRequest, match="Say in a comment why"):
        services.reject(review, people.reviewer, expected_sha256=sha, comment=comment)
    assert review_of(latest(run)).state == ReviewState.IN_REVIEW
    assert not AuditEntry.objects.filter(run=run, action__in=["changes_requested", "rejected"]).exists()


def test_requesting_changes_records_the_comment(people, run):
    review = claimed(run, people.reviewer)
    decided = services.request_changes(
        review, people.reviewer, expected_sha256=latest(run).sha256, comment="Step 2 needs a smaller model."
    )
    assert (decided.state, decided.comment) == (ReviewState.CHANGES_REQUESTED, "Step 2 needs a smaller model.")
    entry = AuditEntry.objects.get(run=run, action="changes_requested")
    assert entry.actor == people.reviewer and "Step 2 needs a smaller model." in entry.message


def test_rejecting_records_the_comment(people, run):
    review = claimed(run, people.reviewer)
    decided = services.reject(review, people.reviewer, expected_sha256=latest(run).sha256, comment="Wrong model.")
    assert (decided.state, decided.decided_by) == (ReviewState.REJECTED, people.reviewer)
    assert services.approved_version(run) is None


def test_a_decided_review_cannot_be_decided_again(people, run):
    review = claimed(run, people.reviewer)
    sha = latest(run).sha256
    services.reject(review, people.reviewer, expected_sha256=sha, comment="Wrong model.")
    with pytest.raises(services.Conflict, match="Someone else \\(rita\\) decided this review first: rejected"):
        services.approve(review, people.reviewer, expected_sha256=sha)


def test_approving_with_the_wrong_sha256_is_refused_as_stale(people, run):
    review = claimed(run, people.reviewer)
    with pytest.raises(services.StaleVersion, match="changed since you opened it"):
        services.approve(review, people.reviewer, expected_sha256="0" * 64)
    assert review_of(latest(run)).state == ReviewState.IN_REVIEW


def test_approving_version_1_after_version_2_exists_is_refused_as_stale(people, run):
    review = claimed(run, people.reviewer)
    v1 = latest(run)
    # A version made outside the review services (e.g. by the pipeline) that has not entered the queue yet.
    NotebookVersion.objects.create(run=run, number=2, ipynb=v1.ipynb, sha256=v1.sha256, reason="elsewhere")
    with pytest.raises(services.StaleVersion, match="Version 1 is no longer the latest \\(version 2 is\\)"):
        services.approve(review, people.reviewer, expected_sha256=v1.sha256)


def test_a_review_superseded_by_a_newer_version_cannot_be_decided(people, run):
    review = claimed(run, people.reviewer)
    v1 = latest(run)
    v2 = services.edit_cell(v1, people.reviewer, index=0, source="# A better title", reason="title")
    with pytest.raises(services.StaleVersion, match="newer version"):
        services.approve(review, people.reviewer, expected_sha256=v1.sha256)
    # The claim moved to the new version's review.
    new_review = review_of(v2)
    assert (new_review.state, new_review.claimed_by) == (ReviewState.IN_REVIEW, people.reviewer)
    assert review_of(v1).state == ReviewState.SUPERSEDED


def test_a_failing_version_cannot_be_approved(people, run):
    version = latest(run)
    Finding.objects.create(version=version, validator="code", code="syntax", severity="error", message="Bad code.")
    mark_validated(version, passed=False)
    review = claimed(run, people.reviewer)
    with pytest.raises(services.NotApprovable, match="fails validation with 1 error finding\\(s\\) and cannot be"):
        services.approve(review, people.reviewer, expected_sha256=version.sha256)
    # It can still be sent back.
    services.request_changes(review, people.reviewer, expected_sha256=version.sha256, comment="Fix the syntax.")


def test_an_unvalidated_version_cannot_be_approved(people, run):
    review = claimed(run, people.reviewer)
    version = latest(run)
    NotebookVersion.objects.filter(pk=version.pk).update(validated=False, passed=None)
    with pytest.raises(services.NotApprovable, match="still being validated"):
        services.approve(review, people.reviewer, expected_sha256=version.sha256)


def test_no_decision_while_the_run_is_being_generated_again(people, run):
    review = claimed(run, people.reviewer)
    run.__class__.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    with pytest.raises(services.StaleVersion, match="being generated again"):
        services.approve(review, people.reviewer, expected_sha256=latest(run).sha256)


def test_a_withdrawn_approval_is_no_longer_the_approved_version(people, run):
    review = claimed(run, people.reviewer)
    services.approve(review, people.reviewer, expected_sha256=latest(run).sha256)
    with pytest.raises(services.InvalidRequest):
        services.withdraw_approval(run, people.reviewer, reason="")
    approval = services.withdraw_approval(run, people.reviewer, reason="Licence unclear.")
    assert approval.withdrawn_by == people.reviewer and "Licence unclear." in approval.withdrawn_reason
    assert services.approved_version(run) is None
    with pytest.raises(services.InvalidRequest, match="no live approval"):
        services.withdraw_approval(run, people.reviewer, reason="again")


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_lists_open_reviews_of_visible_runs_oldest_first(people):
    first = reviewed_run(people)
    second = reviewed_run(people)
    other_team = reviewed_run(people, created_by=people.outsider, team=people.team_b)
    assert [r.run for r in services.queue(people.reviewer)] == [first, second]
    assert [r.run for r in services.queue(people.outsider)] == [other_team]
    assert [r.run for r in services.queue(people.admin)] == [first, second, other_team]
    assert list(services.queue(people.reviewer, team=people.team_b)) == []
    assert [r.run for r in services.queue(people.admin, team="team-b")] == [other_team]
    assert [r.run for r in services.queue(people.admin, team=people.team_a.pk)] == [first, second]


def test_the_queue_filters_by_state_mine_provider_age_and_failing_validator(people):
    first = reviewed_run(people)
    second = reviewed_run(people)
    claimed(first, people.reviewer)
    assert [r.run for r in services.queue(people.reviewer, state=ReviewState.IN_REVIEW)] == [first]
    assert [r.run for r in services.queue(people.reviewer, state=ReviewState.PENDING)] == [second]
    assert [r.run for r in services.queue(people.reviewer, mine=True)] == [first]
    assert list(services.queue(people.second_reviewer, mine=True)) == []
    assert len(services.queue(people.reviewer, provider="demo")) == 2
    assert list(services.queue(people.reviewer, provider="openai")) == []
    Review.objects.filter(run=first).update(created_at=timezone.now() - timedelta(hours=30))
    assert [r.run for r in services.queue(people.reviewer, min_age_hours=24)] == [first]
    Finding.objects.create(
        version=latest(second), validator="secrets", code="secret-openai", severity="error", message="A key."
    )
    assert [r.run for r in services.queue(people.reviewer, failing_validator="secrets")] == [second]
    assert list(services.queue(people.reviewer, failing_validator="colab")) == []
    with pytest.raises(services.InvalidRequest):
        services.queue(people.reviewer, state="nonsense")


def test_queue_counts_say_how_many_per_state_and_how_many_are_mine(people):
    first = reviewed_run(people)
    reviewed_run(people)
    reviewed_run(people, created_by=people.outsider, team=people.team_b)
    claimed(first, people.reviewer)
    counts = services.queue_counts(people.reviewer)
    assert counts[ReviewState.PENDING] == 1 and counts[ReviewState.IN_REVIEW] == 1 and counts["mine"] == 1
    assert counts[ReviewState.APPROVED] == 0
    assert services.queue_counts(people.admin)[ReviewState.PENDING] == 2
    assert services.queue_counts(people.second_reviewer)["mine"] == 0
