"""Review pages: thin views; every change of state goes through `review.services`."""

from review.views.detail import (
    add_cell,
    claim,
    decide,
    detail,
    edit_cell,
    findings,
    move_cell,
    regenerate,
    release,
    remove_cell,
    version_page,
)
from review.views.queue import queue
from review.views.runs import audit, audit_json, diff, export

__all__ = [
    "add_cell",
    "audit",
    "audit_json",
    "claim",
    "decide",
    "detail",
    "diff",
    "edit_cell",
    "export",
    "findings",
    "move_cell",
    "queue",
    "regenerate",
    "release",
    "remove_cell",
    "version_page",
]
