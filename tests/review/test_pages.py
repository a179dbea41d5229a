"""The review pages: queue, review page (claim, decide, edit), diff, audit and export, through the views."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from alain_site.accounts.roles import REVIEWERS
from generation.models import NotebookVersion
from review import services
from review.models import Approval, AuditEntry, ExportRecord, Review, ReviewState
from tests.portal import conftest as portal
from tests.portal.conftest import client_for, finished_run

people = portal.people  # the portal's fixture: two teams and a user of each role

pytestmark = pytest.mark.django_db

BAD_SHA = "0" * 64


@pytest.fixture
def review(people) -> Review:
    """The demo run of alice (team A), validated and waiting in the queue."""
    run = finished_run(created_by=people.author, team=people.team_a)
    version = run.versions.get()
    assert version.validated and version.passed
    return services.enter_queue(version)


def _code_cell_position(version: NotebookVersion) -> int:
    cells = json.loads(version.ipynb)["cells"]
    return next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code") + 1


def _source(version: NotebookVersion, index: int) -> str:
    source = json.loads(version.ipynb)["cells"][index]["source"]
    return "".join(source) if isinstance(source, list) else source


def _decide(client, review: Review, decision: str, *, comment: str = "", sha: str | None = None):
    data = {f"{decision}-expected_sha256": sha or review.version.sha256, f"{decision}-comment": comment}
    return client.post(reverse("review:decide", args=[review.pk, decision]), data)


# --- who may see what --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(review):
    client = client_for(None)
    run = review.run
    urls = [
        reverse("review:queue"),
        reverse("review:detail", args=[review.pk]),
        reverse("review:diff", args=[run.tutorial_id]),
        reverse("review:audit", args=[run.tutorial_id]),
        reverse("review:audit_json", args=[run.tutorial_id]),
        reverse("review:export", args=[run.tutorial_id]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("accounts:login") in response["Location"]


def test_the_queue_is_for_reviewers_and_says_why_to_others(people, review):
    for user in (people.author, people.teammate, people.outsider):
        response = client_for(user).get(reverse("review:queue"))
        assert response.status_code == 403
        assert "reviewer role" in response.content.decode()
    for user in (people.reviewer, people.admin):
        response = client_for(user).get(reverse("review:queue"))
        assert response.status_code == 200
        assert review.run.tutorial_id in response.content.decode()


def test_another_teams_run_is_answered_like_a_missing_one(people, review):
    client = client_for(people.outsider)
    ref = review.run.tutorial_id
    for url in (
        reverse("review:detail", args=[review.pk]),
        reverse("review:version", args=[ref, 1]),
        reverse("review:findings", args=[ref, 1]),
        reverse("review:diff", args=[ref]),
        reverse("review:audit", args=[ref]),
        reverse("review:audit_json", args=[ref]),
        reverse("review:export", args=[ref]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("review:claim", args=[review.pk])).status_code == 404
    assert _decide(client, review, "approve").status_code == 404
    assert client.post(reverse("review:edit_cell", args=[ref, 1, 1]), {"edit1-source": "x"}).status_code == 404


def test_the_queue_does_not_list_other_teams_runs(people, review):
    other = finished_run(created_by=people.outsider, team=people.team_b)
    services.enter_queue(other.versions.get())
    body = client_for(people.reviewer).get(reverse("review:queue")).content.decode()
    assert review.run.tutorial_id in body
    assert other.tutorial_id not in body
    assert other.tutorial_id in client_for(people.admin).get(reverse("review:queue")).content.decode()


def test_the_author_may_edit_but_is_offered_no_decision(people, review):
    body = client_for(people.author).get(reverse("review:detail", args=[review.pk])).content.decode()
    assert "Change cell 1" in body
    assert "Claim this review" not in body
    assert 'id="approve-button"' not in body


def test_a_teammate_without_a_role_only_reads(people, review):
    response = client_for(people.teammate).get(reverse("review:detail", args=[review.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cell 1" in body
    assert "Change cell 1" not in body
    assert "Claim this review" not in body


def test_the_nav_link_is_shown_to_reviewers_only(people, review):
    link = f'href="{reverse("review:queue")}"'
    assert link in client_for(people.reviewer).get(reverse("portal:home")).content.decode()
    assert link in client_for(people.admin).get(reverse("portal:home")).content.decode()
    assert link not in client_for(people.author).get(reverse("portal:home")).content.decode()
    both = User.objects.create_user("bo", password=None)
    both.groups.add(Group.objects.get(name=REVIEWERS), Group.objects.get(name="admins"))
    assert client_for(both).get(reverse("portal:home")).content.decode().count(link) == 1


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_counts_filters_and_claims_and_releases(people, review):
    client = client_for(people.reviewer)
    body = client.get(reverse("review:queue")).content.decode()
    assert "Pending review" in body
    assert "Never approved." in body  # what changed since the last approved version
    queue_url = reverse("review:queue") + "?provider=demo"
    response = client.post(reverse("review:claim", args=[review.pk]), {"next": queue_url})
    assert response.status_code == 302 and response["Location"] == queue_url
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW and review.claimed_by == people.reviewer

    mine = client.get(reverse("review:queue") + "?mine=on").content.decode()
    assert review.run.tutorial_id in mine
    assert "claimed by you" in mine
    assert "Release" in mine
    assert review.run.tutorial_id not in client.get(reverse("review:queue") + "?state=approved").content.decode()
    none = client.get(reverse("review:queue") + "?min_age_hours=5").content.decode()
    assert "No review matches these filters." in none

    # Someone else cannot take it, and is told who holds it.
    other = User.objects.create_user("ray", password=None)
    other.groups.add(Group.objects.get(name=REVIEWERS), people.team_a)
    response = client_for(other).post(reverse("review:claim", args=[review.pk]), follow=True)
    assert "rita" in response.content.decode()

    client.post(reverse("review:release", args=[review.pk]))
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING and review.claimed_by is None


# --- claim, decide ------------------------------------------------------------------------------


def test_claim_then_approve_through_the_pages(people, review):
    client = client_for(people.reviewer)
    detail = reverse("review:detail", args=[review.pk])
    assert "Claim this review to approve it" in client.get(detail).content.decode()
    assert client.post(reverse("review:claim", args=[review.pk])).status_code == 302
    body = client.get(detail).content.decode()
    assert f'value="{review.version.sha256}"' in body  # the decision forms carry the version's sha256
    response = _decide(client, review, "approve", comment="Reads well.")
    assert response.status_code == 302 and response["Location"] == detail
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and review.decided_by == people.reviewer
    approval = Approval.objects.get(run=review.run)
    assert approval.sha256 == review.version.sha256 and approval.withdrawn_at is None
    body = client.get(detail).content.decode()
    assert "is approved" in body
    assert reverse("review:export", args=[review.run.tutorial_id]) in body


def test_the_author_cannot_approve_and_is_told_why(people, review):
    response = _decide(client_for(people.author), review, "approve", comment="mine is great")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Only reviewers can approve it." in body
    assert "mine is great" in body  # nothing typed is lost
    assert Review.objects.get(pk=review.pk).state == ReviewState.PENDING

    # An author who is also a reviewer still cannot claim their own run.
    people.author.groups.add(Group.objects.get(name=REVIEWERS))
    response = client_for(people.author).post(reverse("review:claim", args=[review.pk]), follow=True)
    assert "You generated this run" in response.content.decode()


def test_deciding_before_claiming_is_refused(people, review):
    response = _decide(client_for(people.reviewer), review, "approve")
    assert response.status_code == 409
    assert "Claim the review before you" in response.content.decode()


def test_request_changes_and_reject_need_a_comment(people, review):
    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    for decision in ("request_changes", "reject"):
        response = _decide(client, review, decision, comment="   ")
        assert response.status_code == 200
        body = response.content.decode()
        assert "a comment is required" in body
        assert 'id="error-summary"' in body
        assert 'aria-invalid="true"' in body
    assert Review.objects.get(pk=review.pk).state == ReviewState.IN_REVIEW
    response = _decide(client, review, "request_changes", comment="Explain the temperature.")
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.CHANGES_REQUESTED and review.comment == "Explain the temperature."


def test_a_decision_about_a_changed_version_is_refused_with_the_comment_kept(people, review):
    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    response = _decide(client, review, "reject", comment="Too thin.", sha=BAD_SHA)
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed since you opened it" in body
    assert "Too thin." in body
    assert Review.objects.get(pk=review.pk).state == ReviewState.IN_REVIEW


# --- editing --------------------------------------------------------------------------------------


def test_an_edit_makes_a_new_version_and_redirects_to_its_review(people, review):
    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    run = review.run
    position = _code_cell_position(review.version)
    url = reverse("review:edit_cell", args=[run.tutorial_id, 1, position])
    response = client.post(url, {f"edit{position}-source": "print('fixed')\n", f"edit{position}-reason": "Fix it"})
    assert response.status_code == 302
    new = run.versions.get(number=2)
    assert new.reason == "Fix it" and new.created_by == people.reviewer and not new.validated
    new_review = Review.objects.get(version=new)
    assert response["Location"] == reverse("review:detail", args=[new_review.pk])
    assert new_review.claimed_by == people.reviewer  # the claim moved to the new version
    assert AuditEntry.objects.filter(run=run, action=AuditEntry.Action.CELL_EDITED).count() == 1

    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Revalidation is running" in body
    findings_url = reverse("review:findings", args=[run.tutorial_id, 2])
    assert f'hx-get="{findings_url}' in body
    assert "fixed" in body

    # The findings partial polls until the version is validated, then stops with 286.
    assert client.get(findings_url, HTTP_HX_REQUEST="true").status_code == 200
    NotebookVersion.objects.filter(pk=new.pk).update(validated=True, passed=True)
    done = client.get(findings_url, HTTP_HX_REQUEST="true")
    assert done.status_code == 286
    assert "hx-get" not in done.content.decode()
    assert 'hx-swap-oob="true"' in done.content.decode()

    # The old version's page says it was replaced and offers no edits.
    old = client.get(reverse("review:detail", args=[review.pk])).content.decode()
    assert "This is not the latest version" in old
    assert "Change cell 1" not in old


def test_a_refused_edit_keeps_the_text(people, review):
    client = client_for(people.author)
    run = review.run
    position = _code_cell_position(review.version)
    source = _source(review.version, position - 1)
    url = reverse("review:edit_cell", args=[run.tutorial_id, 1, position])
    response = client.post(url, {f"edit{position}-source": source, f"edit{position}-reason": "nothing"})
    assert response.status_code == 400
    assert "nothing to save" in response.content.decode()
    assert run.versions.count() == 1
    assert client.post(reverse("review:edit_cell", args=[run.tutorial_id, 1, 999]), {}).status_code == 404


def test_add_move_and_remove_cells_make_versions(people, review):
    client = client_for(people.author)
    ref = review.run.tutorial_id
    response = client.post(
        reverse("review:add_cell", args=[ref, 1]),
        {"add-position": "1", "add-cell_type": "markdown", "add-source": "# Added by alice", "add-reason": ""},
    )
    assert response.status_code == 302
    assert _source(review.run.versions.get(number=2), 0) == "# Added by alice"
    response = client.post(reverse("review:move_cell", args=[ref, 2, 1]), {"move1-to": "2", "move1-reason": "order"})
    assert response.status_code == 302
    assert _source(review.run.versions.get(number=3), 1) == "# Added by alice"
    response = client.post(reverse("review:remove_cell", args=[ref, 3, 2]), {"remove2-reason": "not needed"})
    assert response.status_code == 302
    assert review.run.versions.count() == 4
    # An edit of an old version is refused: it must go to the latest.
    response = client.post(reverse("review:remove_cell", args=[ref, 1, 2]), {"remove2-reason": "again"})
    assert response.status_code == 409
    assert "no longer the latest" in response.content.decode()


def test_an_edit_withdraws_the_approval(people, review):
    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    _decide(client, review, "approve")
    assert Approval.objects.live().filter(run=review.run).exists()
    position = _code_cell_position(review.version)
    client_for(people.author).post(
        reverse("review:edit_cell", args=[review.run.tutorial_id, 1, position]),
        {f"edit{position}-source": "print('changed')\n"},
    )
    assert not Approval.objects.live().filter(run=review.run).exists()
    assert client.get(reverse("review:export", args=[review.run.tutorial_id])).status_code == 409


# --- diff, audit, export ------------------------------------------------------------------------


def test_the_diff_page_shows_a_modified_cell(people, review):
    client = client_for(people.reviewer)
    position = _code_cell_position(review.version)
    client.post(
        reverse("review:edit_cell", args=[review.run.tutorial_id, 1, position]),
        {f"edit{position}-source": "print('<b>new line</b>')\n", f"edit{position}-reason": "diff"},
    )
    response = client.get(reverse("review:diff", args=[review.run.tutorial_id]) + "?a=1&b=2")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Modified: cell {position}" in body
    assert "diff-line--added" in body and "diff-line--removed" in body
    assert "&lt;b&gt;new line&lt;/b&gt;" in body  # escaped, never markup
    assert "<b>new line</b>" not in body
    assert "modified." in body
    # Unknown version numbers fall back to defaults with a sentence.
    body = client.get(reverse("review:diff", args=[review.run.tutorial_id]) + "?a=9&b=x").content.decode()
    assert "There is no version 9" in body


def test_export_is_refused_before_approval_and_a_zip_after(people, review):
    ref = review.run.tutorial_id
    response = client_for(people.author).get(reverse("review:export", args=[ref]))
    assert response.status_code == 409
    assert "only approved versions can be exported" in response.content.decode().lower()
    assert not ExportRecord.objects.exists()

    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    _decide(client, review, "approve")
    response = client_for(people.author).get(reverse("review:export", args=[ref]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"{ref}-v1.zip" in response["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "notebook.ipynb" in names and "manifest.json" in names
    assert client_for(people.author).post(reverse("review:export", args=[ref])).status_code == 200
    assert ExportRecord.objects.filter(run=review.run).count() == 2


def test_the_audit_page_and_its_json_download(people, review):
    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    _decide(client, review, "reject", comment="Not <script>safe</script> enough")
    ref = review.run.tutorial_id
    page = client.get(reverse("review:audit", args=[ref]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Teacher calls" in body and "Decisions" in body
    assert "Not &lt;script&gt;safe&lt;/script&gt; enough" in body
    assert "<script>safe" not in body

    response = client.get(reverse("review:audit_json", args=[ref]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{ref}-audit.json"'
    trail = json.loads(response.content)
    assert trail["tutorial_id"] == ref
    actions = [entry["action"] for entry in trail["entries"]]
    assert actions.count("claimed") == 1 and actions.count("rejected") == 1


# --- headers --------------------------------------------------------------------------------------


def test_review_pages_carry_the_content_security_policy_and_no_inline_styles(people, review):
    ref = review.run.tutorial_id
    client = client_for(people.reviewer)
    client.post(reverse("review:claim", args=[review.pk]))
    for url in (
        reverse("review:queue"),
        reverse("review:detail", args=[review.pk]),
        reverse("review:diff", args=[ref]),
        reverse("review:audit", args=[ref]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-inline'" not in directives.get("style-src", "")
        body = response.content.decode()
        assert "style=" not in body
        assert "hx-on" not in body
        assert "<script>" not in body


def test_a_finished_poll_after_sign_out_goes_to_sign_in(review):
    url = reverse("review:findings", args=[review.run.tutorial_id, 1])
    response = client_for(None).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert reverse("accounts:login") in response["HX-Redirect"]
