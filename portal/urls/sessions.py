"""Sessions: the calendar file, staff's session form, and what a host does on the day."""

from django.urls import path

from portal.views import corrections, programs, session_host, staff

urlpatterns = [
    path(
        "programs/<int:pk>/sessions/<int:session_pk>.ics", programs.session_ics, name="session_ics"
    ),
    path(
        "staff/programs/<int:pk>/sessions/new/",
        staff.staff_session_create,
        name="staff_session_create",
    ),
    path("staff/sessions/<int:pk>/edit/", staff.staff_session_edit, name="staff_session_edit"),
    path("sessions/<int:pk>/roster/", session_host.session_roster, name="session_roster"),
    path("sessions/<int:pk>/decisions/", session_host.session_decisions, name="session_decisions"),
    path("sessions/<int:pk>/checkin/", session_host.session_checkin, name="session_checkin"),
    path(
        "sessions/<int:pk>/attendance/", session_host.session_attendance, name="session_attendance"
    ),
    path("sessions/<int:pk>/close/", session_host.session_close, name="session_close"),
    path("sessions/<int:pk>/cancel/", session_host.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/rain-date/", session_host.session_rain_date, name="session_rain_date"),
    path("sessions/<int:pk>/messages/", session_host.session_messages, name="session_messages"),
    path("sessions/<int:pk>/thanks/", session_host.session_thanks, name="session_thanks"),
    path(
        "staff/applications/<int:pk>/attendance/<str:to>/",
        corrections.attendance_correct,
        name="attendance_correct",
    ),
]
