"""Placeholder: filled in by the validate routes."""

from ninja import Router

router = Router(tags=["validate"])
