"""Public pages of a municipality and of a nushi."""

from django.urls import path

from portal.views import pages

urlpatterns = [
    path("towns/<slug:slug>/", pages.municipality_page, name="municipality_page"),
    path("nushi/<int:pk>/", pages.nushi_page, name="nushi_page"),
]
