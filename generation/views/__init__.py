"""Portal views: thin, they read through small helpers and change state only through services."""

from generation.views.generate import generate
from generation.views.notebooks import artifact, notebook
from generation.views.pages import home
from generation.views.runs import run_cancel, run_detail, run_list, run_progress, run_retry

__all__ = [
    "artifact",
    "generate",
    "home",
    "notebook",
    "run_cancel",
    "run_detail",
    "run_list",
    "run_progress",
    "run_retry",
]
