"""Pages about a whole run in review: the diff of two versions, the audit trail, the export."""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from review.views.access import forbidden, visible_run_or_404

# --- diff ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def line_diff(old: str, new: str) -> list[dict[str, str]]:
    """Lines of two texts, each marked kept, added or removed (escaped by the template)."""
    rows = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        marker, text = line[:2], line[2:]
        if marker == "? ":
            continue
        kind = {"+ ": "added", "- ": "removed"}.get(marker, "kept")
        rows.append({"kind": kind, "text": text})
    return rows


def _number(raw: str | None, numbers: list[int], default: int) -> tuple[int, str]:
    if raw in (None, ""):
        return default, ""
    try:
        value = int(raw)
    except ValueError:
        return default, f"“{raw}” is not a version number; showing version {default}."
    if value not in numbers:
        return default, f"There is no version {value}; showing version {default}."
    return value, ""


def _cells_of(version: Any) -> list[dict[str, Any]]:
    try:
        return list(json.loads(version.ipynb).get("cells") or [])
    except (ValueError, AttributeError, TypeError):
        return []


def outputs_text(cell: dict[str, Any] | None) -> str:
    """A code cell's outputs as plain text, for comparing them line by line (images by their size)."""
    if not cell:
        return ""
    parts = []
    for output in cell.get("outputs") or []:
        kind = output.get("output_type", "")
        if kind == "stream":
            parts.append(f"[{output.get('name', 'stdout')}]\n{_text(output.get('text'))}")
        elif kind == "error":
            parts.append(f"[error] {output.get('ename', 'Error')}: {output.get('evalue', '')}")
        elif kind in {"execute_result", "display_data"}:
            data = output.get("data") or {}
            if "text/plain" in data:
                parts.append(f"[{kind}]\n{_text(data['text/plain'])}")
            for mime in sorted(data):
                if mime != "text/plain":
                    parts.append(f"[{kind}] {mime}, {len(_text(data[mime]))} characters")
        else:
            parts.append(f"[{kind or 'unknown output'}]")
    return "\n".join(parts)


def diff_cells(entries: list[dict[str, Any]], old_cells: list[Any], new_cells: list[Any]) -> list[dict[str, Any]]:
    """What the template shows for each row of `diff_versions`: positions and line-marked source and outputs."""
    cells = []
    for entry in entries:
        old_index, new_index = entry.get("old_index"), entry.get("new_index")
        old_cell = old_cells[old_index] if old_index is not None and old_index < len(old_cells) else None
        new_cell = new_cells[new_index] if new_index is not None and new_index < len(new_cells) else None
        old_source = _text(entry.get("old_source"))
        new_source = _text(entry.get("new_source"))
        output_lines = []
        if entry.get("outputs_changed"):
            output_lines = line_diff(outputs_text(old_cell), outputs_text(new_cell))
        cells.append(
            {
                "status": str(entry.get("status", "unchanged")),
                "cell_type": entry.get("cell_type") or "",
                "old_number": old_index + 1 if old_index is not None else None,
                "new_number": new_index + 1 if new_index is not None else None,
                "source_changed": bool(entry.get("source_changed")),
                "outputs_changed": bool(entry.get("outputs_changed")),
                "metadata_changed": bool(entry.get("metadata_changed")),
                "source_lines": line_diff(old_source, new_source),
                "output_lines": output_lines,
            }
        )
    return cells


@login_required
@require_GET
def diff(request: HttpRequest, ref: str) -> HttpResponse:
    from review.diffs import diff_versions, summarize
    from review.services import approved_version

    run = visible_run_or_404(request.user, ref)
    versions = list(run.versions.order_by("number"))
    if not versions:
        return render(request, "review/diff.html", {"run": run, "versions": [], "cells": []})
    numbers = [v.number for v in versions]
    latest = numbers[-1]
    approved = approved_version(run)
    default_a = (
        approved.number if approved is not None and approved.number != latest else numbers[max(0, len(numbers) - 2)]
    )
    a_number, a_error = _number(request.GET.get("a"), numbers, default_a)
    b_number, b_error = _number(request.GET.get("b"), numbers, latest)
    by_number = {v.number: v for v in versions}
    a, b = by_number[a_number], by_number[b_number]
    rows = diff_versions(a, b)
    cells = diff_cells(rows, _cells_of(a), _cells_of(b))
    return render(
        request,
        "review/diff.html",
        {
            "run": run,
            "versions": versions,
            "a": a,
            "b": b,
            "cells": cells,
            "summary": summarize(rows),
            "changed": [c for c in cells if c["status"] != "unchanged" or c["outputs_changed"]],
            "errors": [e for e in (a_error, b_error) if e],
            "show_all": request.GET.get("all") == "1",
        },
    )


# --- audit -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
    return "" if value is None else str(value)


def _label(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def audit_sections(trail: dict[str, Any]) -> list[dict[str, Any]]:
    """The trail as sections: a list of records becomes a table, a record a list of facts."""
    sections = []
    for key, value in trail.items():
        section: dict[str, Any] = {"key": key, "title": _label(key)}
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            columns: list[str] = []
            for item in value:
                columns += [column for column in item if column not in columns]
            section["kind"] = "table"
            section["columns"] = [_label(c) for c in columns]
            section["rows"] = [[_cell(item.get(c)) for c in columns] for item in value]
        elif isinstance(value, list):
            section["kind"] = "list"
            section["items"] = [_cell(item) for item in value]
        elif isinstance(value, dict):
            section["kind"] = "facts"
            section["facts"] = [(_label(k), _cell(v)) for k, v in value.items()]
        else:
            section["kind"] = "text"
            section["text"] = _cell(value)
        sections.append(section)
    return sections


@login_required
@require_GET
def audit(request: HttpRequest, ref: str) -> HttpResponse:
    from review.audit import audit_trail

    run = visible_run_or_404(request.user, ref)
    return render(request, "review/audit.html", {"run": run, "sections": audit_sections(audit_trail(run))})


@login_required
@require_GET
def audit_json(request: HttpRequest, ref: str) -> HttpResponse:
    from review.audit import audit_trail

    run = visible_run_or_404(request.user, ref)
    body = json.dumps(audit_trail(run), indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{run.tutorial_id}-audit.json")
    return response


# --- export ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest, ref: str) -> HttpResponse:
    """The approved version as a zip bundle; 409 with the reason while there is none."""
    from review.exports import NotApproved, export_bundle
    from review.services import ReviewError

    run = visible_run_or_404(request.user, ref)
    try:
        data, filename = export_bundle(run, request.user, via="download")
    except NotApproved as exc:
        context = {"run": run, "reason": str(getattr(exc, "message", "") or exc)}
        return render(request, "review/not_approved.html", context, status=409)
    except ReviewError as exc:
        return forbidden(request, title="This export is not allowed", reason=str(getattr(exc, "message", "") or exc))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
