"""Programs: the public listing and page, staff co-design, photos."""

from django.urls import path

from portal.views import programs, staff

urlpatterns = [
    path("programs/", programs.program_list, name="program_list"),
    path("programs/calendar/", programs.program_calendar, name="program_calendar"),
    path("programs/<int:pk>/", programs.program_detail, name="program_detail"),
    path(
        "staff/needs/<int:need_pk>/program/",
        staff.staff_program_create,
        name="staff_program_create",
    ),
    path("staff/programs/<int:pk>/", staff.staff_program_detail, name="staff_program_detail"),
    path("staff/programs/<int:pk>/edit/", staff.staff_program_edit, name="staff_program_edit"),
    path(
        "staff/programs/<int:pk>/do/<slug:action>/",
        staff.staff_program_action,
        name="staff_program_action",
    ),
    path("staff/programs/<int:pk>/photos/", staff.staff_photo_add, name="staff_photo_add"),
    path("staff/photos/<int:pk>/delete/", staff.staff_photo_delete, name="staff_photo_delete"),
]
