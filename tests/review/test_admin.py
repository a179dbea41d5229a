"""The review admin: list filters, actions that call the services, read-only records, an append-only audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from generation import queueing
from review import services
from review.models import AuditEntry, ReviewState
from tests.review.factories import latest, people_fixture, review_of, run_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", None)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_review_list_filters_by_state_team_and_provider(superuser, run):
    client = client_for(superuser)
    url = reverse("admin:review_review_changelist")
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert run.tutorial_id in body and "By state" in body and "team-a" in body and "demo" in body
    assert run.tutorial_id not in client.get(url, {"state__exact": ReviewState.APPROVED}).content.decode()
    assert run.tutorial_id in client.get(url, {"run__teacher_provider": "demo"}).content.decode()
    assert client.get(reverse("admin:review_review_change", args=[review_of(latest(run)).pk])).status_code == 200


def test_the_claim_release_and_revalidate_actions_call_the_services(
    people, superuser, run, django_capture_on_commit_callbacks
):
    review = review_of(latest(run))
    client = client_for(superuser)
    url = reverse("admin:review_review_changelist")
    client.post(url, {"action": "claim_reviews", "_selected_action": [review.pk]}, follow=True)
    review.refresh_from_db()
    assert (review.state, review.claimed_by) == (ReviewState.IN_REVIEW, superuser)
    client.post(url, {"action": "release_reviews", "_selected_action": [review.pk]}, follow=True)
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "revalidate_versions", "_selected_action": [review.pk]}, follow=True)
    assert [row.func() for row in OrmQ.objects.all()] == [queueing.REVALIDATE_TASK]
    actions = list(AuditEntry.objects.filter(run=run, actor=superuser).values_list("action", flat=True))
    assert actions == ["claimed", "released", "revalidation_queued"]


def test_a_refused_action_is_reported_not_fatal(people, superuser, run):
    review = services.claim(review_of(latest(run)), people.reviewer)
    response = client_for(superuser).post(
        reverse("admin:review_review_changelist"),
        {"action": "claim_reviews", "_selected_action": [review.pk]},
        follow=True,
    )
    assert "claimed this review first" in response.content.decode()


def test_the_withdraw_action_takes_an_approval_back(people, superuser, run):
    review = services.claim(review_of(latest(run)), people.reviewer)
    approval = services.approve(review, people.reviewer, expected_sha256=latest(run).sha256)
    client_for(superuser).post(
        reverse("admin:review_approval_changelist"),
        {"action": "withdraw_approvals", "_selected_action": [approval.pk]},
        follow=True,
    )
    approval.refresh_from_db()
    assert approval.withdrawn_by == superuser and services.approved_version(run) is None


@pytest.mark.parametrize("model", ["review", "approval", "exportrecord", "auditentry"])
def test_review_records_cannot_be_added_changed_or_deleted_in_the_admin_even_by_a_superuser(superuser, run, model):
    client = client_for(superuser)
    assert client.get(reverse(f"admin:review_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:review_{model}_add")).status_code == 403
    entry = AuditEntry.objects.filter(run=run).first()
    if model == "auditentry":
        change = reverse("admin:review_auditentry_change", args=[entry.pk])
        assert client.post(change, {"message": "rewritten"}).status_code == 403
        assert (
            client.post(reverse("admin:review_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
        )
        entry.refresh_from_db()
        assert entry.message != "rewritten"
        body = client.get(reverse("admin:review_auditentry_changelist")).content.decode()
        assert 'name="action"' not in body, "no bulk actions (not even delete) on the audit log"
