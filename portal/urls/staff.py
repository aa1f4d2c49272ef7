"""Staff's home and the delivery state of their municipality's messages."""

from django.urls import path

from portal.views import staff

urlpatterns = [
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/notifications/", staff.staff_outbox, name="staff_outbox"),
    path("staff/notifications/failed/", staff.staff_outbox_failures, name="staff_outbox_failures"),
    path(
        "staff/notifications/<int:pk>/retry/", staff.staff_outbox_retry, name="staff_outbox_retry"
    ),
]
