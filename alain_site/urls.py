from django.contrib import admin
from django.urls import include, path

from alain_site.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Prometheus scrapes /metrics (django-prometheus: requests, database, and ALAIN's own).
    path("", include("django_prometheus.urls")),
    path("accounts/", include("alain_site.accounts.urls")),
    path("review/", include("review.urls")),
    path("reports/", include("alain_site.observability.urls")),
    path("", include("generation.urls")),
]
