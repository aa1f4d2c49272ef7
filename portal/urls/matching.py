"""Matching's host pages: a session's invitation candidates, a program's allocation proposal."""

from django.urls import path

from portal.views import matching

urlpatterns = [
    path("sessions/<int:pk>/candidates/", matching.session_candidates, name="session_candidates"),
    path("sessions/<int:pk>/invite/", matching.session_invite, name="session_invite"),
    path("programs/<int:pk>/allocation/", matching.program_allocation, name="program_allocation"),
    path(
        "programs/<int:pk>/allocation/confirm/",
        matching.program_allocation_confirm,
        name="program_allocation_confirm",
    ),
]
