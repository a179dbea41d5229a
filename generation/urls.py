"""The portal's pages (server-rendered; htmx for the live parts)."""

from django.urls import path

from generation import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
]
