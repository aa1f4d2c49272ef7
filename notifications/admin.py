from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import SuperuserOnlyAdminMixin
from notifications.models import OutboxMessage


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
