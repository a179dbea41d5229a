"""Placeholder: filled in by the system routes."""

from ninja import Router

router = Router(tags=["system"])
