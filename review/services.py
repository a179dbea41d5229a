"""The review workflow: the queue, claims, decisions, cell edits and section regeneration.

Every state change is one conditional UPDATE whose row count says whether this caller won (the
loser is told who was first), and every service writes exactly one `AuditEntry` for its action,
with actor and time. Views, the admin, the API and tasks call these functions and nothing else.

How versions move through the queue:

- A version enters the queue (`enter_queue`) when the pipeline published it after validation
  (the `generation.signals.version_validated` signal, connected in `review.apps`), and at once
  when a person's edit made it: an edited version waits in the queue *unvalidated* while its
  revalidation runs in the background, and cannot be approved until it validated and passed.
- A newer version supersedes the open review of an older one; a claim moves to the newer
  version's review, so a reviewer who edits keeps the run they are reviewing.
- Any edit (and any request to regenerate a section) withdraws the run's live approval: the new
  version needs its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import nbformat
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from nbformat import NotebookNode

from alain_site.accounts.roles import is_admin, is_reviewer, visible_runs
from generation import queueing, refresh
from generation import services as generation_services
from generation.models import Finding, NotebookVersion, RefreshRecord, Run, RunStatus
from generation.pipeline import assembly
from review import diffs
from review.models import OPEN_STATES, Approval, AuditEntry, Review, ReviewState

Action = AuditEntry.Action

GENERATING = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class ReviewError(Exception):
    """A refusal, with one sentence (`message`) to show to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(ReviewError):
    """Wrong role, the run's own author, or a run the user may not see."""


class StaleVersion(ReviewError):
    """The version is no longer the run's latest, or its bytes changed (sha256 mismatch)."""


class Conflict(ReviewError):
    """Someone else claimed or decided first, or the run is being generated again."""


class InvalidRequest(ReviewError):
    """Missing comment, a cell index out of range, an unknown cell type, a change that changes nothing."""


class NotApprovable(ReviewError):
    """The version has not finished validation, or it fails validation."""


# --- helpers ------------------------------------------------------------------------------------


def display_name(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else "ALAIN"


def record(
    *,
    run: Run,
    action: str,
    actor: AbstractBaseUser | None,
    message: str,
    version: NotebookVersion | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the run's audit log."""
    return AuditEntry.objects.create(
        run=run, version=version, actor=actor, action=action, message=message, data=data or {}
    )


def latest_version(run: Run) -> NotebookVersion | None:
    return NotebookVersion.objects.filter(run_id=run.pk).order_by("-number").first()


def can_see(run: Run, user: AbstractBaseUser) -> bool:
    return visible_runs(user).filter(pk=run.pk).exists()


def can_edit(run: Run, user: AbstractBaseUser) -> bool:
    """Reviewers who see the run, and the run's author, may edit its notebook."""
    if not user.is_authenticated or not can_see(run, user):
        return False
    return is_reviewer(user) or run.created_by_id == user.pk


def require_visible(run: Run, user: AbstractBaseUser) -> None:
    if not user.is_authenticated or not can_see(run, user):
        raise NotAllowed("You cannot see this run.")


def _require_reviewer(run: Run, user: AbstractBaseUser, *, doing: str) -> None:
    require_visible(run, user)
    if not is_reviewer(user):
        raise NotAllowed(f"Only reviewers can {doing}.")
    if run.created_by_id is not None and run.created_by_id == user.pk:
        raise NotAllowed(f"You generated this run, so you cannot {doing}: another reviewer must.")


def _require_editor(run: Run, user: AbstractBaseUser) -> None:
    require_visible(run, user)
    if not can_edit(run, user):
        raise NotAllowed("Only reviewers and the run's author can change its notebook.")


def _required_comment(comment: str, *, doing: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidRequest(f"Say in a comment why you {doing}: the author needs to know what to change.")
    return comment


def _lost(review: Review, user: AbstractBaseUser, *, doing: str) -> ReviewError:
    """The refusal for a change whose conditional UPDATE found the review in another state."""
    current = Review.objects.select_related("claimed_by", "decided_by", "version").get(pk=review.pk)
    if current.state == ReviewState.SUPERSEDED:
        return StaleVersion("A newer version of this run entered the queue; review that one.")
    if current.state == ReviewState.IN_REVIEW:
        if current.claimed_by_id == user.pk:
            return Conflict(f"You could not {doing}: the review changed meanwhile; reload it.")
        return Conflict(f"Someone else ({display_name(current.claimed_by)}) claimed this review first.")
    if current.state == ReviewState.PENDING:
        return Conflict(f"Claim the review before you {doing}: nobody holds it now.")
    return Conflict(
        f"Someone else ({display_name(current.decided_by)}) decided this review first: {current.get_state_display().lower()}."
    )


def _withdraw_live_approval(run: Run, *, actor: AbstractBaseUser | None, reason: str) -> Approval | None:
    """Withdraw the run's live approval, if any (one conditional UPDATE and one audit entry)."""
    approval = Approval.objects.live().filter(run=run).select_related("version").first()
    if approval is None:
        return None
    now = timezone.now()
    reason = reason[:300]
    rows = Approval.objects.filter(pk=approval.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=actor, withdrawn_reason=reason
    )
    if not rows:
        return None  # withdrawn meanwhile by someone else, who recorded it
    record(
        run=run,
        action=Action.APPROVAL_WITHDRAWN,
        actor=actor,
        version=approval.version,
        message=f"The approval of version {approval.version.number} was withdrawn: {reason}",
        data={"approval": approval.pk, "version": approval.version.number, "sha256": approval.sha256, "reason": reason},
    )
    approval.withdrawn_at, approval.withdrawn_by, approval.withdrawn_reason = now, actor, reason
    return approval


def _lock_run(run: Run) -> Run:
    """The run's row, locked until the transaction ends: edits and decisions on a run go one at a time."""
    return Run.objects.select_for_update().get(pk=run.pk)


# --- the queue ----------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)  # its callers let its errors end their transaction
def enter_queue(version: NotebookVersion) -> Review:
    """Put a version in the review queue as pending (idempotent: a second call returns its review).

    Older versions' open reviews become superseded, a claim on them moves to this review, and
    an approval of an older version is withdrawn. A version older than one already queued
    enters as superseded.
    """
    run = _lock_run(version.run)
    # The run's reviews, one per version (a handful), read once under the lock: this version's,
    # newer ones and older open ones. The notebooks themselves are not needed.
    reviews = list(
        Review.objects.filter(run=run)
        .select_related("version", "claimed_by")
        .defer("version__ipynb")
        .order_by("-version__number")
    )
    existing = next((r for r in reviews if r.version_id == version.pk), None)
    if existing is not None:
        return existing
    newer_queued = any(r.version.number > version.number for r in reviews)
    older_open = [r for r in reviews if r.is_open and r.version.number < version.number]
    carried = next((r for r in older_open if r.state == ReviewState.IN_REVIEW), None)
    now = timezone.now()
    superseded = []
    for old in older_open:
        if Review.objects.filter(pk=old.pk, state=old.state).update(state=ReviewState.SUPERSEDED, updated_at=now):
            superseded.append(old.version.number)
    state = ReviewState.PENDING
    if newer_queued:
        state = ReviewState.SUPERSEDED
    elif carried is not None and carried.version.number in superseded:
        state = ReviewState.IN_REVIEW
    else:
        carried = None
    try:
        with transaction.atomic():
            review = Review.objects.create(
                version=version,
                run=run,
                state=state,
                claimed_by=carried.claimed_by if carried else None,
                claimed_at=carried.claimed_at if carried else None,
            )
    except IntegrityError:  # queued by another process meanwhile
        return Review.objects.get(version_id=version.pk)
    if not newer_queued:
        _withdraw_live_approval(run, actor=None, reason=f"version {version.number} entered the queue")
    validation = "not validated yet" if not version.validated else ("passed" if version.passed else "failed")
    detail = f", claimed by {display_name(carried.claimed_by)} as before" if carried else ""
    record(
        run=run,
        action=Action.ENTERED_QUEUE,
        actor=None,
        version=version,
        message=f"Version {version.number} entered the review queue as {review.get_state_display().lower()} "
        f"(validation: {validation}){detail}.",
        data={
            "version": version.number,
            "sha256": version.sha256,
            "state": review.state,
            "superseded_versions": superseded,
            "claimed_by": display_name(carried.claimed_by) if carried else None,
        },
    )
    return review


def on_version_validated(sender: Any, version: NotebookVersion, **kwargs: Any) -> None:
    """Receiver of `generation.signals.version_validated` (connected in `review.apps`)."""
    refreshing = refresh.refresh_in_progress(version.run)
    if refreshing is not None:
        file_refreshed_version(version, refresh_record=refreshing)
    else:
        enter_queue(version)


# --- the refresh (generation.refresh) ----------------------------------------------------------


def runs_with_live_approval() -> QuerySet[Run]:
    """Runs that have a live approval (`alain refresh --approved-only`)."""
    return Run.objects.filter(Exists(Approval.objects.live().filter(run_id=OuterRef("pk"))))


def refresh_diff_summary(old: NotebookVersion, new: NotebookVersion) -> dict[str, Any]:
    """Cells added, removed and modified from `old` to `new`, and the card revisions of both.

    Both notebooks are compared without their version number and validator summary, so the
    metadata cell counts as modified only when something real in it changed (the revision).
    """
    rows = diffs.diff_notebooks_by_cell(refresh.comparable_notebook(old.ipynb), refresh.comparable_notebook(new.ipynb))
    return {
        **diffs.summarize(rows),
        "from_version": old.number,
        "to_version": new.number,
        "from_revision": refresh.built_from_revision(old),
        "to_revision": refresh.built_from_revision(new),
    }


@transaction.atomic
def file_refreshed_version(version: NotebookVersion, *, refresh_record: RefreshRecord) -> Review | None:
    """File a version the refresh rebuilt: into the queue, unless it is the approved manual again.

    The comparison runs before `enter_queue`, which would withdraw the live approval: a version
    with the same content as the live-approved one (deterministic builds make this exact) stays
    out of the queue and the approval stays live. Either way the refresh record gets a diff
    summary against the last approved version (live or withdrawn) or, for a manual never
    approved, against the version it had before the refresh.
    """
    run = _lock_run(version.run)
    approval = Approval.objects.filter(run=run).select_related("version").order_by("-approved_at", "-id").first()
    if approval is not None:
        baseline, against = approval.version, f"approved version {approval.version.number}"
    else:
        baseline = run.versions.filter(created_at__lt=refresh_record.started_at).order_by("-number").first()
        against = f"version {baseline.number} (never approved)" if baseline else "nothing"
    summary = refresh_diff_summary(baseline, version) if baseline else {}
    if summary:
        summary["against"] = "approved" if approval is not None else "previous"
    if approval is not None and approval.is_live and refresh.same_content(approval.version, version):
        refresh.refresh_filed(
            record=refresh_record,
            version=version,
            outcome=RefreshRecord.Outcome.IDENTICAL,
            compared_to=baseline,
            diff_summary=summary,
            message=f"Version {version.number} is identical to {against}: it did not enter the queue "
            "and the approval stays.",
        )
        return None
    review = enter_queue(version)
    change = summary.get("text", "").rstrip(".").lower() if summary else "nothing to compare with"
    refresh.refresh_filed(
        record=refresh_record,
        version=version,
        outcome=RefreshRecord.Outcome.QUEUED,
        compared_to=baseline,
        diff_summary=summary,
        message=f"Version {version.number} waits for review; against {against}: {change}.",
    )
    return review


def claim(review: Review, user: AbstractBaseUser) -> Review:
    """Take a pending review: others see it as in review by this user."""
    run = review.run
    _require_reviewer(run, user, doing="claim its review")
    if review.state == ReviewState.IN_REVIEW and review.claimed_by_id == user.pk:
        return review
    now = timezone.now()
    with transaction.atomic():
        rows = Review.objects.filter(pk=review.pk, state=ReviewState.PENDING).update(
            state=ReviewState.IN_REVIEW, claimed_by=user, claimed_at=now, updated_at=now
        )
        if not rows:
            current = Review.objects.get(pk=review.pk)
            if current.state == ReviewState.IN_REVIEW and current.claimed_by_id == user.pk:
                return current
            raise _lost(review, user, doing="claim it")
        record(
            run=run,
            action=Action.CLAIMED,
            actor=user,
            version=review.version,
            message=f"{display_name(user)} claimed version {review.version.number} for review.",
            data={"review": review.pk, "version": review.version.number},
        )
    review.refresh_from_db()
    return review


def release(review: Review, user: AbstractBaseUser) -> Review:
    """Hand a claimed review back to the queue: by its claimer, or by an admin."""
    require_visible(review.run, user)
    current = Review.objects.select_related("claimed_by").get(pk=review.pk)
    if current.state != ReviewState.IN_REVIEW:
        raise _lost(review, user, doing="release it")
    if current.claimed_by_id != user.pk and not is_admin(user):
        raise NotAllowed(f"{display_name(current.claimed_by)} holds this review; only they or an admin can release it.")
    with transaction.atomic():
        rows = Review.objects.filter(
            pk=review.pk, state=ReviewState.IN_REVIEW, claimed_by_id=current.claimed_by_id
        ).update(state=ReviewState.PENDING, claimed_by=None, claimed_at=None, updated_at=timezone.now())
        if not rows:
            raise _lost(review, user, doing="release it")
        holder = "" if current.claimed_by_id == user.pk else f" (held by {display_name(current.claimed_by)})"
        record(
            run=review.run,
            action=Action.RELEASED,
            actor=user,
            version=current.version,
            message=f"{display_name(user)} released version {current.version.number}{holder} back to the queue.",
            data={"review": review.pk, "version": current.version.number, "held_by": display_name(current.claimed_by)},
        )
    review.refresh_from_db()
    return review


def _decide(
    review: Review, user: AbstractBaseUser, *, to: str, expected_sha256: str, comment: str, doing: str
) -> tuple[Review, NotebookVersion]:
    """Checks and the conditional UPDATE shared by the three decisions (call inside a transaction)."""
    run = _lock_run(review.run)
    current = Review.objects.select_related("claimed_by").get(pk=review.pk)
    if current.state != ReviewState.IN_REVIEW:
        raise _lost(review, user, doing=doing)
    if current.claimed_by_id != user.pk and not is_admin(user):
        raise Conflict(
            f"Someone else ({display_name(current.claimed_by)}) claimed this review first; only they can decide it."
        )
    if run.status in GENERATING:
        raise StaleVersion("The run is being generated again; decide on the version it produces.")
    version = NotebookVersion.objects.get(pk=current.version_id)
    latest = latest_version(run)
    if latest is not None and latest.pk != version.pk:
        raise StaleVersion(
            f"Version {version.number} is no longer the latest (version {latest.number} is); review the latest one."
        )
    if (expected_sha256 or "").strip().lower() != version.sha256:
        raise StaleVersion(
            f"Version {version.number} changed since you opened it (its sha256 differs); reload it and look again."
        )
    if to == ReviewState.APPROVED:
        if not version.validated:
            raise NotApprovable(
                f"Version {version.number} is still being validated; approve it once its findings are in."
            )
        if version.passed is not True:
            errors = version.findings.filter(severity=Finding.Severity.ERROR).count()
            raise NotApprovable(
                f"Version {version.number} fails validation with {errors} error finding(s) and cannot be approved: "
                "fix them first (edit the cells or regenerate the section)."
            )
    now = timezone.now()
    rows = Review.objects.filter(
        pk=current.pk, state=ReviewState.IN_REVIEW, claimed_by_id=current.claimed_by_id
    ).update(state=to, decided_by=user, decided_at=now, comment=comment, updated_at=now)
    if not rows:
        raise _lost(review, user, doing=doing)
    return Review.objects.get(pk=current.pk), version


def approve(review: Review, user: AbstractBaseUser, *, expected_sha256: str, comment: str = "") -> Approval:
    """Approve the exact bytes (sha256) of the run's latest version; only approved versions export."""
    _require_reviewer(review.run, user, doing="approve it")
    comment = (comment or "").strip()
    with transaction.atomic():
        decided, version = _decide(
            review, user, to=ReviewState.APPROVED, expected_sha256=expected_sha256, comment=comment, doing="approve it"
        )
        try:
            with transaction.atomic():
                approval = Approval.objects.create(
                    run_id=decided.run_id,
                    version=version,
                    review=decided,
                    approved_by=user,
                    approved_at=decided.decided_at,
                    sha256=version.sha256,
                )
        except IntegrityError:
            raise Conflict("Someone else approved another version of this run first; reload it.") from None
        record(
            run=decided.run,
            action=Action.APPROVED,
            actor=user,
            version=version,
            message=f"{display_name(user)} approved version {version.number}" + (f": {comment}" if comment else "."),
            data={"review": decided.pk, "version": version.number, "sha256": version.sha256, "comment": comment},
        )
    return approval


def request_changes(review: Review, user: AbstractBaseUser, *, expected_sha256: str, comment: str) -> Review:
    """Send the version back to its author with a comment saying what to change."""
    return _decide_with_comment(
        review,
        user,
        to=ReviewState.CHANGES_REQUESTED,
        action=Action.CHANGES_REQUESTED,
        role_doing="request changes to it",
        doing="request changes",
        done="requested changes to",
        expected_sha256=expected_sha256,
        comment=comment,
    )


def reject(review: Review, user: AbstractBaseUser, *, expected_sha256: str, comment: str) -> Review:
    """Reject the version with a comment saying why."""
    return _decide_with_comment(
        review,
        user,
        to=ReviewState.REJECTED,
        action=Action.REJECTED,
        role_doing="reject it",
        doing="reject it",
        done="rejected",
        expected_sha256=expected_sha256,
        comment=comment,
    )


def _decide_with_comment(
    review: Review,
    user: AbstractBaseUser,
    *,
    to: str,
    action: str,
    role_doing: str,
    doing: str,
    done: str,
    expected_sha256: str,
    comment: str,
) -> Review:
    """A decision that needs a comment (changes requested, rejected): checked, applied, audited once."""
    _require_reviewer(review.run, user, doing=role_doing)
    comment = _required_comment(comment, doing=doing)
    with transaction.atomic():
        decided, version = _decide(review, user, to=to, expected_sha256=expected_sha256, comment=comment, doing=doing)
        record(
            run=decided.run,
            action=action,
            actor=user,
            version=version,
            message=f"{display_name(user)} {done} version {version.number}: {comment}",
            data={"review": decided.pk, "version": version.number, "sha256": version.sha256, "comment": comment},
        )
    return decided


def withdraw_approval(run: Run, user: AbstractBaseUser, *, reason: str) -> Approval:
    """Take back the run's live approval without editing (a reviewer or the run's author, with a reason)."""
    require_visible(run, user)
    if not (is_reviewer(user) or run.created_by_id == user.pk):
        raise NotAllowed("Only reviewers and the run's author can withdraw its approval.")
    reason = _required_comment(reason, doing="withdraw the approval")
    with transaction.atomic():
        approval = _withdraw_live_approval(run, actor=user, reason=f"{display_name(user)}: {reason}")
    if approval is None:
        raise InvalidRequest("This run has no live approval to withdraw.")
    return approval


def approved_version(run: Run) -> NotebookVersion | None:
    """The run's version with a live (not withdrawn) approval, if any."""
    approval = Approval.objects.live().filter(run_id=run.pk).select_related("version").first()
    return approval.version if approval else None


def live_approval(run: Run) -> Approval | None:
    return Approval.objects.live().filter(run_id=run.pk).select_related("version", "approved_by").first()


# --- editing: each change is a new version ------------------------------------------------------


def _is_metadata_cell(cell: NotebookNode) -> bool:
    return assembly.METADATA_TAG in cell.get("metadata", {}).get("tags", [])


def _check_index(nb: NotebookNode, index: int, *, allow_end: bool = False) -> None:
    top = len(nb.cells) if allow_end else len(nb.cells) - 1
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= top:
        raise InvalidRequest(f"There is no cell {index + 1}: the notebook has cells 1 to {len(nb.cells)}.")


def _refuse_metadata_cell(nb: NotebookNode, index: int, *, doing: str) -> None:
    if _is_metadata_cell(nb.cells[index]):
        raise InvalidRequest(f"Cell {index + 1} is the metadata cell, written by ALAIN; it cannot be {doing}.")


def _stamp(nb: NotebookNode, number: int) -> NotebookNode:
    """The notebook as version `number`: its metadata names the version and holds no verdict yet."""
    alain = nb.metadata.get("alain")
    if not isinstance(alain, dict):
        return nb
    alain["version"] = number
    return assembly.set_validation_summary(nb, {})


def _new_cell_id(nb: NotebookNode, seed: str) -> str:
    taken = {cell.get("id") for cell in nb.cells}
    counter = 0
    while True:
        cell_id = "review-" + hashlib.sha256(f"{seed}:{counter}".encode()).hexdigest()[:12]
        if cell_id not in taken:
            return cell_id
        counter += 1


def _change_notebook(
    version: NotebookVersion,
    user: AbstractBaseUser,
    *,
    action: str,
    reason: str,
    change: Callable[[NotebookNode], tuple[str, dict[str, Any]]],
) -> NotebookVersion:
    """Apply `change` to a copy of the latest version's notebook and store it as the next version.

    `change` edits the notebook in place and returns a description ("cell 12 edited") and data
    for the audit entry; it raises `InvalidRequest` for a change that cannot be made.
    """
    _require_editor(version.run, user)
    with transaction.atomic():
        run = _lock_run(version.run)
        if run.status in GENERATING:
            raise Conflict("The run is being generated again; edit the version it produces once it ends.")
        latest = latest_version(run)
        if latest is None or latest.pk != version.pk:
            newest = f" (version {latest.number} is)" if latest else ""
            raise StaleVersion(
                f"Version {version.number} is no longer the latest{newest}; edit the latest version instead."
            )
        nb = nbformat.reads(latest.ipynb, as_version=4)
        description, details = change(nb)
        number = latest.number + 1
        nb = _stamp(nb, number)
        nbformat.validate(nb)
        data = assembly.notebook_to_bytes(nb)
        reason = (reason or "").strip() or description
        new = NotebookVersion.objects.create(
            run=run,
            number=number,
            ipynb=data.decode("utf-8"),
            sha256=hashlib.sha256(data).hexdigest(),
            reason=reason[:200],
            created_by=user,
            validated=False,
            passed=None,
        )
        _withdraw_live_approval(run, actor=user, reason=f"{display_name(user)} made version {number} ({description})")
        record(
            run=run,
            action=action,
            actor=user,
            version=new,
            message=f"{display_name(user)} made version {number} from version {latest.number}: {description}. Reason: {reason}",
            data={
                **details,
                "from_version": latest.number,
                "version": number,
                "sha256": new.sha256,
                "reason": reason,
                "revalidation_queued": True,
            },
        )
        enter_queue(new)
        queueing.queue_revalidation(new)
    return new


def edit_cell(
    version: NotebookVersion, user: AbstractBaseUser, *, index: int, source: str, reason: str
) -> NotebookVersion:
    """A new version with cell `index`'s source replaced (an edited code cell loses its outputs)."""

    def change(nb: NotebookNode) -> tuple[str, dict[str, Any]]:
        _check_index(nb, index)
        _refuse_metadata_cell(nb, index, doing="edited")
        cell = nb.cells[index]
        if cell.source == source:
            raise InvalidRequest(f"Cell {index + 1} already says exactly that; there is nothing to save.")
        old = cell.source
        cell.source = source
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        return f"cell {index + 1} ({cell.cell_type}) edited", {
            "index": index,
            "cell_type": cell.cell_type,
            "old_sha256": hashlib.sha256(old.encode()).hexdigest(),
        }

    return _change_notebook(version, user, action=Action.CELL_EDITED, reason=reason, change=change)


def add_cell(
    version: NotebookVersion, user: AbstractBaseUser, *, index: int, cell_type: str, source: str, reason: str
) -> NotebookVersion:
    """A new version with a cell inserted at `index` (the cells from `index` on move down one)."""
    if cell_type not in {"code", "markdown"}:
        raise InvalidRequest(f"A cell is code or markdown, not {cell_type!r}.")

    def change(nb: NotebookNode) -> tuple[str, dict[str, Any]]:
        _check_index(nb, index, allow_end=True)
        cell_id = _new_cell_id(nb, f"{version.sha256}:{index}:{source}")
        maker = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
        nb.cells.insert(index, maker(source=source, id=cell_id))
        return f"{cell_type} cell added at position {index + 1}", {
            "index": index,
            "cell_type": cell_type,
            "cell_id": cell_id,
        }

    return _change_notebook(version, user, action=Action.CELL_ADDED, reason=reason, change=change)


def remove_cell(version: NotebookVersion, user: AbstractBaseUser, *, index: int, reason: str) -> NotebookVersion:
    """A new version without cell `index`."""

    def change(nb: NotebookNode) -> tuple[str, dict[str, Any]]:
        _check_index(nb, index)
        _refuse_metadata_cell(nb, index, doing="removed")
        if len(nb.cells) == 1:
            raise InvalidRequest("A notebook needs at least one cell.")
        cell = nb.cells.pop(index)
        return f"cell {index + 1} ({cell.cell_type}) removed", {
            "index": index,
            "cell_type": cell.cell_type,
            "old_sha256": hashlib.sha256(cell.source.encode()).hexdigest(),
        }

    return _change_notebook(version, user, action=Action.CELL_REMOVED, reason=reason, change=change)


def move_cell(version: NotebookVersion, user: AbstractBaseUser, *, index: int, to: int, reason: str) -> NotebookVersion:
    """A new version with cell `index` moved to position `to` (counted after taking it out)."""

    def change(nb: NotebookNode) -> tuple[str, dict[str, Any]]:
        _check_index(nb, index)
        _check_index(nb, to)
        if index == to:
            raise InvalidRequest(f"Cell {index + 1} is already at position {to + 1}.")
        cell = nb.cells.pop(index)
        nb.cells.insert(to, cell)
        return f"cell {index + 1} ({cell.cell_type}) moved to position {to + 1}", {
            "index": index,
            "to": to,
            "cell_type": cell.cell_type,
        }

    return _change_notebook(version, user, action=Action.CELL_MOVED, reason=reason, change=change)


def request_section_regeneration(run: Run, user: AbstractBaseUser, *, index: int, instruction: str = "") -> None:
    """Queue a new writing of step `index` (0-based); the pipeline makes a new version, which enters the queue."""
    _require_editor(run, user)
    instruction = (instruction or "").strip()
    with transaction.atomic():
        try:
            queueing.regenerate_section(run, index=index, instruction=instruction)
        except generation_services.InvalidTransition:
            current = Run.objects.get(pk=run.pk)
            if current.status in GENERATING:
                raise Conflict("The run is being generated already; wait until it ends to regenerate a step.") from None
            raise Conflict("This run has no outline yet; retry it instead of regenerating a step.") from None
        except generation_services.RunOptionsError as exc:
            raise InvalidRequest(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
        _withdraw_live_approval(
            run, actor=user, reason=f"{display_name(user)} asked for step {index + 1} to be written again"
        )
        detail = f" with the instruction: {instruction}" if instruction else ""
        record(
            run=run,
            action=Action.SECTION_REGENERATE_REQUESTED,
            actor=user,
            version=latest_version(run),
            message=f"{display_name(user)} asked for step {index + 1} to be written again{detail}.",
            data={"index": index, "step": index + 1, "instruction": instruction},
        )


def request_revalidation(version: NotebookVersion, user: AbstractBaseUser | None) -> None:
    """Run every validator on a stored version again, in the background."""
    if user is not None:
        _require_editor(version.run, user)
    with transaction.atomic():
        queueing.queue_revalidation(version)
        record(
            run=version.run,
            action=Action.REVALIDATION_QUEUED,
            actor=user,
            version=version,
            message=f"{display_name(user)} queued version {version.number} for validation again.",
            data={"version": version.number},
        )


# --- reading the queue ---------------------------------------------------------------------------


def queue(
    user: AbstractBaseUser,
    *,
    state: str | None = None,
    team: Group | int | str | None = None,
    provider: str | None = None,
    min_age_hours: float | None = None,
    failing_validator: str | None = None,
    mine: bool = False,
) -> QuerySet[Review]:
    """Reviews of runs the user may see, oldest first; by default the open ones (pending or in review).

    `state` is a `ReviewState` value (or "all"); `team` a group, its pk or its name; `mine` keeps
    the reviews this user holds; `failing_validator` keeps versions with an error from that validator.
    """
    reviews = Review.objects.filter(run_id__in=visible_runs(user).values("pk"))
    if not state:
        reviews = reviews.filter(state__in=OPEN_STATES)
    elif state != "all":
        if state not in ReviewState.values:
            raise InvalidRequest(f"{state!r} is not a review state.")
        reviews = reviews.filter(state=state)
    if isinstance(team, Group):
        reviews = reviews.filter(run__team=team)
    elif isinstance(team, int) or (isinstance(team, str) and team.isdigit()):
        reviews = reviews.filter(run__team_id=int(team))
    elif team:
        reviews = reviews.filter(run__team__name=team)
    if provider:
        reviews = reviews.filter(run__teacher_provider=provider)
    if min_age_hours:
        reviews = reviews.filter(created_at__lte=timezone.now() - timedelta(hours=float(min_age_hours)))
    if failing_validator:
        failing = Finding.objects.filter(
            version_id=OuterRef("version_id"), validator=failing_validator, severity=Finding.Severity.ERROR
        )
        reviews = reviews.filter(Exists(failing))
    if mine:
        reviews = reviews.filter(claimed_by_id=user.pk)
    return reviews.select_related("run", "run__team", "run__created_by", "version", "claimed_by").order_by(
        "created_at", "id"
    )


def queue_counts(user: AbstractBaseUser) -> dict[str, int]:
    """Reviews per state among runs the user may see, plus "mine": open reviews the user holds."""
    reviews = Review.objects.filter(run_id__in=visible_runs(user).values("pk"))
    counts = {state: 0 for state in ReviewState.values}
    for row in reviews.values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    counts["mine"] = reviews.filter(state=ReviewState.IN_REVIEW, claimed_by_id=user.pk).count()
    return counts
