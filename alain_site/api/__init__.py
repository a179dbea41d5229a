"""ALAIN's HTTP API for automation (django-ninja), mounted at /api/ (`api` URL namespace).

Authentication: a personal API token as `Authorization: Bearer alain_...`, or the portal's
session with its CSRF token. Limits: ALAIN_API_RATE_PER_MINUTE per client (429 with
Retry-After) and ALAIN_API_MAX_BODY_BYTES per request (413). Errors are JSON
`{"code": ..., "message": ...}`; /api/docs shows the schema.
"""

from __future__ import annotations

from ninja import NinjaAPI

from alain_site.api.auth import PortalSessionAuth, TokenAuth
from alain_site.api.errors import install_handlers
from alain_site.api.limits import PerClientRateThrottle
from alain_site.api.routes import export, generate, reports, runs, system, validate

api = NinjaAPI(
    title="ALAIN API",
    version="1",
    description=__doc__,
    urls_namespace="api",
    auth=[TokenAuth(), PortalSessionAuth()],
    throttle=[PerClientRateThrottle()],
)
install_handlers(api)
api.add_router("/generate", generate.router)
api.add_router("/runs", runs.router)
api.add_router("", validate.router)
api.add_router("", export.router)
api.add_router("", system.router)
api.add_router("/reports", reports.router)
