from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("alain_site.accounts.urls")),
    path("review/", include("review.urls")),
    path("", include("generation.urls")),
]
