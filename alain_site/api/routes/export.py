"""Placeholder: filled in by the export routes."""

from ninja import Router

router = Router(tags=["export"])
