"""Public pages of a municipality and of a nushi."""

from django.urls import path

from portal.views import profiles

urlpatterns = [
    path("towns/<slug:slug>/", profiles.municipality_page, name="municipality_page"),
    path("nushi/<int:pk>/", profiles.nushi_page, name="nushi_page"),
]
