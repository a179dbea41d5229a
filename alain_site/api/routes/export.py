"""`/api/export`: the approved version of a run as a zip bundle, gated on a live approval.

Read-only tokens may export: an export reads approved content and changes none. The ExportRecord
and audit entry it writes are a log of that read (who took which bytes), like the portal's
download, which any user who sees the run may make.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Router, Schema

from alain_site.api.errors import ApiError, responses
from generation.views.access import visible_run_or_404
from review.exports import NotApproved, export_bundle
from review.services import ReviewError

router = Router(tags=["export"])


class ExportIn(Schema):
    run: str = Field(..., min_length=1, max_length=100, description="The run's tutorial id or public id.")


@router.post(
    "/export",
    response=responses({200: None}, 400, 403, 404, 409, 413, 422),
    url_name="export",
    openapi_extra={
        "responses": {
            200: {
                "description": "The bundle: notebook.ipynb, validation.md, metrics.json, manifest.json, .env.example.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export(request: HttpRequest, payload: ExportIn) -> HttpResponse:
    """The run's approved version as a zip; 409 `not_approved` with the reason while there is none."""
    run = visible_run_or_404(request.user, payload.run)
    try:
        data, filename = export_bundle(run, request.user, via="api")
    except NotApproved as exc:
        raise ApiError(409, "not_approved", str(exc)) from exc
    except ReviewError as exc:  # not visible after all: answered like a run that does not exist
        raise ApiError(404, "not_found", "Not found, or not visible to you.") from exc
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
