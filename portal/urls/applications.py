"""Applications: applying, a helper's own application, the host's decision and private thread."""

from django.urls import path

from portal.views import applications, session_host

urlpatterns = [
    path(
        "sessions/<int:session_pk>/apply/", applications.application_apply, name="application_apply"
    ),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/cancel/", applications.application_cancel, name="application_cancel"
    ),
    path("applications/<int:pk>/qr.svg", applications.application_qr, name="application_qr"),
    path(
        "applications/<int:pk>/impression/",
        applications.application_impression,
        name="application_impression",
    ),
    path(
        "applications/<int:pk>/certificate.pdf",
        applications.application_certificate,
        name="application_certificate",
    ),
    path(
        "applications/<int:pk>/decide/", session_host.application_decide, name="application_decide"
    ),
    path(
        "applications/<int:pk>/messages/",
        session_host.application_messages,
        name="application_messages",
    ),
]
