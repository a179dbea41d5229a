"""The reports page, mounted at /reports/ (`reports` namespace)."""

from django.urls import path

from alain_site.observability import views

app_name = "reports"

urlpatterns = [
    path("", views.reports, name="reports"),
]
