"""The portal's pages (server-rendered; htmx for the live parts)."""

from django.urls import path

from generation import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("generate/", views.generate, name="generate"),
    path("runs/", views.run_list, name="runs"),
    # A run is named by its tutorial id or its public id (UUID).
    path("runs/<slug:ref>/", views.run_detail, name="run"),
    path("runs/<slug:ref>/progress/", views.run_progress, name="run_progress"),
    path("runs/<slug:ref>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<slug:ref>/retry/", views.run_retry, name="run_retry"),
    path("runs/<slug:ref>/v<int:number>/", views.notebook, name="notebook"),
    path("runs/<slug:ref>/artifacts/<int:pk>/", views.artifact, name="artifact"),
]
