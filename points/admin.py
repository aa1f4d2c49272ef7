"""The ledger in the admin: rows are read-only (corrections are reversing transactions written by
points.services); the policy and budget periods are edited here. For superusers: staff read their
municipality's ledger on its own page (points.views.ledger)."""

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import SuperuserOnlyAdminMixin
from points.models import (
    Account,
    BudgetPeriod,
    Entry,
    Issuer,
    OperatorPush,
    PendingCredit,
    PointCode,
    Policy,
    Transaction,
)


class ReadOnlyAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount", "created_at"]
    readonly_fields = ["account", "amount", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "municipality", "memo", "reason", "idempotency_key"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["municipality"]
    search_fields = ["idempotency_key", "memo", "reason"]
    inlines = [EntryInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["kind", "municipality", "name", "helper", "balance"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["municipality", "helper"]
    search_fields = ["helper__email", "name", "code"]


@admin.register(PendingCredit)
class PendingCreditAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "municipality", "helper", "amount", "reason", "settled_at"]
    list_filter = ["reason", "municipality"]
    list_select_related = ["municipality", "helper"]


@admin.register(Policy)
class PolicyAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["municipality", "monthly_cap", "helper_monthly_max", "expiry_days"]
    list_select_related = ["municipality"]


@admin.register(BudgetPeriod)
class BudgetPeriodAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """Caps per fiscal year or month. `issued` is kept by the credits themselves."""

    list_display = ["municipality", "kind", "starts_on", "cap", "issued"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["municipality"]
    readonly_fields = ["issued"]


@admin.register(Issuer)
class IssuerAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """Where points go; staff set it for their municipality on its own page (points.views)."""

    list_display = ["municipality", "kind", "operator_url"]
    list_select_related = ["municipality"]


@admin.register(OperatorPush)
class OperatorPushAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "municipality", "account", "amount", "state", "attempts"]
    list_filter = ["state", "municipality"]
    list_select_related = ["municipality"]
    search_fields = ["account", "operator_reference"]


@admin.register(PointCode)
class PointCodeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "municipality", "amount", "redeemed_at"]
    list_filter = ["municipality"]
    list_select_related = ["municipality"]
