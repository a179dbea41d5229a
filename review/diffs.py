"""Cell-by-cell differences between two notebook versions, computed by nbdime.

nbdime's diff of the `cells` list is a list of operations keyed by positions in the older
notebook: `patch` (a cell changed), `addrange` (cells inserted before that position) and
`removerange` (cells taken out). Walking the older cells in order while applying them gives
one row per cell of either notebook. A moved cell shows as removed at one place and added at
another, which is what nbdime reports too.
"""

from __future__ import annotations

import difflib
from typing import Any

import nbformat
from nbdime import diff_notebooks

from generation.models import NotebookVersion, Run

# Parts of a cell whose change makes it "modified"; other keys (metadata, id, execution_count)
# change with every build and are reported only as `metadata_changed`.
CONTENT_KEYS = frozenset({"source", "cell_type", "attachments"})


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _row(
    status: str,
    *,
    old: Any = None,
    new: Any = None,
    old_index: int | None = None,
    new_index: int | None = None,
    changed_keys: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    old_source = _text(old.get("source")) if old is not None else None
    new_source = _text(new.get("source")) if new is not None else None
    outputs_changed = "outputs" in changed_keys
    if status == "added":
        outputs_changed = bool(new.get("outputs"))
    elif status == "removed":
        outputs_changed = bool(old.get("outputs"))
    source_diff: list[str] = []
    if status == "modified" and old_source != new_source:
        source_diff = list(
            difflib.unified_diff(
                (old_source or "").splitlines(),
                (new_source or "").splitlines(),
                fromfile=f"cell {old_index}",
                tofile=f"cell {new_index}",
                lineterm="",
            )
        )
    cell = new if new is not None else old
    return {
        "status": status,
        "old_index": old_index,
        "new_index": new_index,
        "cell_type": cell.get("cell_type"),
        "old_cell_type": old.get("cell_type") if old is not None else None,
        "old_source": old_source,
        "new_source": new_source,
        "source_changed": old_source != new_source if status == "modified" else status != "unchanged",
        "outputs_changed": outputs_changed,
        "metadata_changed": bool(changed_keys - CONTENT_KEYS - {"outputs"}),
        "source_diff": source_diff,
    }


def diff_notebooks_by_cell(old_nb: nbformat.NotebookNode, new_nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """One row per cell of either notebook, in reading order (see the module docstring)."""
    cell_ops: list[dict[str, Any]] = []
    for op in diff_notebooks(old_nb, new_nb):
        if op["key"] == "cells" and op["op"] == "patch":
            cell_ops = op["diff"]
        elif op["key"] == "cells":  # the whole list replaced: treat every cell as removed, then added
            cell_ops = [
                {"op": "removerange", "key": 0, "length": len(old_nb.cells)},
                {"op": "addrange", "key": 0, "valuelist": list(new_nb.cells)},
            ]
    added: dict[int, list[Any]] = {}
    removed: set[int] = set()
    patched: dict[int, frozenset[str]] = {}
    for op in cell_ops:
        key = op["key"]
        if op["op"] == "addrange":
            added.setdefault(key, []).extend(op["valuelist"])
        elif op["op"] == "removerange":
            removed.update(range(key, key + op["length"]))
        elif op["op"] == "patch":
            patched[key] = frozenset(part["key"] for part in op["diff"])
        elif op["op"] == "replace":
            removed.add(key)
            added.setdefault(key, []).append(op["value"])
    rows: list[dict[str, Any]] = []
    new_index = 0
    for old_index in range(len(old_nb.cells) + 1):
        for _cell in added.get(old_index, []):
            rows.append(_row("added", new=new_nb.cells[new_index], new_index=new_index))
            new_index += 1
        if old_index == len(old_nb.cells):
            break
        old_cell = old_nb.cells[old_index]
        if old_index in removed:
            rows.append(_row("removed", old=old_cell, old_index=old_index))
            continue
        keys = patched.get(old_index, frozenset())
        status = "modified" if keys & (CONTENT_KEYS | {"outputs"}) else "unchanged"
        rows.append(
            _row(
                status,
                old=old_cell,
                new=new_nb.cells[new_index],
                old_index=old_index,
                new_index=new_index,
                changed_keys=keys,
            )
        )
        new_index += 1
    return rows


def diff_versions(a: NotebookVersion, b: NotebookVersion) -> list[dict[str, Any]]:
    """Cell-by-cell differences from version `a` to version `b` (any two versions, any order).

    Each row: status (added, removed, modified, unchanged), old/new index, cell type, old/new
    source, `source_diff` (unified diff lines of a modified source), `outputs_changed` and
    `metadata_changed`. `summarize(rows)` gives the counts.
    """
    return diff_notebooks_by_cell(nbformat.reads(a.ipynb, as_version=4), nbformat.reads(b.ipynb, as_version=4))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per status, cells whose outputs changed, and one sentence saying it."""
    counts = {status: 0 for status in ("added", "removed", "modified", "unchanged")}
    for row in rows:
        counts[row["status"]] += 1
    outputs = sum(1 for row in rows if row["outputs_changed"])
    parts = [f"{counts[s]} {s}" for s in ("modified", "added", "removed") if counts[s]]
    if outputs:
        parts.append(f"{outputs} with changed outputs")
    text = ", ".join(parts) if parts else "no cell changed"
    return {**counts, "outputs_changed": outputs, "text": f"{text[:1].upper()}{text[1:]}."}


def changes_since_approved(run: Run) -> dict[str, Any]:
    """What the run's latest version changes against its last approved one (live or withdrawn).

    `{"approved_version": N or None, "latest_version": M or None, "approval_live": bool,
    "summary": summarize(...) or None, "text": one sentence}` for the queue.
    """
    from review.models import Approval

    latest = run.versions.order_by("-number").first()
    approval = Approval.objects.filter(run_id=run.pk).select_related("version").order_by("-approved_at", "-id").first()
    result: dict[str, Any] = {
        "approved_version": approval.version.number if approval else None,
        "latest_version": latest.number if latest else None,
        "approval_live": bool(approval and approval.is_live),
        "summary": None,
    }
    if latest is None:
        return {**result, "text": "No version yet."}
    if approval is None:
        return {**result, "text": "Never approved."}
    if approval.version_id == latest.pk:
        state = "approved" if approval.is_live else "approval withdrawn"
        return {**result, "text": f"Version {latest.number} is the one approved ({state})."}
    summary = summarize(diff_versions(approval.version, latest))
    return {
        **result,
        "summary": summary,
        "text": f"Since approved version {approval.version.number}: {summary['text'][:1].lower()}{summary['text'][1:]}",
    }
