"""The review pages (mounted at /review/, namespace `review`)."""

from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/release/", views.release, name="release"),
    path("<int:pk>/decide/<slug:decision>/", views.decide, name="decide"),
    # A run is named by its tutorial id or its public id (UUID), as in the portal.
    path("runs/<slug:ref>/v<int:number>/", views.version_page, name="version"),
    path("runs/<slug:ref>/v<int:number>/findings/", views.findings, name="findings"),
    path("runs/<slug:ref>/v<int:number>/cells/<int:position>/edit/", views.edit_cell, name="edit_cell"),
    path("runs/<slug:ref>/v<int:number>/cells/<int:position>/move/", views.move_cell, name="move_cell"),
    path("runs/<slug:ref>/v<int:number>/cells/<int:position>/remove/", views.remove_cell, name="remove_cell"),
    path("runs/<slug:ref>/v<int:number>/cells/add/", views.add_cell, name="add_cell"),
    path("runs/<slug:ref>/v<int:number>/regenerate/", views.regenerate, name="regenerate"),
    path("runs/<slug:ref>/diff/", views.diff, name="diff"),
    path("runs/<slug:ref>/audit/", views.audit, name="audit"),
    path("runs/<slug:ref>/audit.json", views.audit_json, name="audit_json"),
    path("runs/<slug:ref>/export/", views.export, name="export"),
]
