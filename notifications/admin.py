from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import MunicipalityScopedAdmin, SuperuserOnlyAdminMixin
from notifications.models import OutboxMessage, ReminderSchedule
from notifications.reminders import reminder_schedule_save


@admin.register(OutboxMessage)
class OutboxMessageAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "recipient", "municipality", "subject", "due_at", "sent_at", "attempts"]
    list_filter = ["kind", "channel", "municipality"]
    list_select_related = ["recipient", "municipality"]
    search_fields = ["recipient__email", "subject", "object_key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(ReminderSchedule)
class ReminderScheduleAdmin(MunicipalityScopedAdmin):
    """Each municipality's staff set when their helpers are reminded; without a row the defaults
    (ReminderSchedule) apply. A change applies to reminders planned from then on
    (notifications.reminders)."""

    list_display = [
        "municipality", "week_before", "week_before_at", "day_before", "day_before_at", "morning",
        "morning_at",
    ]  # fmt: skip
    list_select_related = ["municipality"]
    fields = [
        "municipality", ("week_before", "week_before_at"), ("day_before", "day_before_at"),
        ("morning", "morning_at"),
    ]  # fmt: skip

    def save_model(
        self, request: HttpRequest, obj: ReminderSchedule, form: Any, change: bool
    ) -> None:
        reminder_schedule_save(schedule=obj)
