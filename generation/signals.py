"""Signals generation sends, so apps that build on it (review) hear of runs without generation importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the publish stage with `version`: the run's latest NotebookVersion, validated and
# published (whether it passed or not). The review app puts it in the review queue.
version_validated = Signal()
