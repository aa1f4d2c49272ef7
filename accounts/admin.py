from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import (
    District,
    HelperProfile,
    Municipality,
    Organization,
    OrganizationMembership,
    StaffMembership,
    User,
)
from accounts.permissions import is_staff_member, scope_to_staff, staff_municipality_ids


class MunicipalityScopedAdmin(SimpleHistoryAdmin):
    """Staff see and change only rows of their own municipalities; a foreign key to Municipality in a
    form offers only those municipalities.

    Being staff of a municipality (a StaffMembership) is what grants view/add/change here, not Django's
    per-model permission rows, so that there is one place deciding who is staff. Deleting stays with
    superusers: records of residents are corrected, not removed."""

    municipality_field = "municipality"

    def has_module_permission(self, request):
        return request.user.is_superuser or is_staff_member(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        return scope_to_staff(super().get_queryset(request), request.user, self.municipality_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "municipality" and not request.user.is_superuser:
            kwargs["queryset"] = Municipality.objects.filter(
                pk__in=staff_municipality_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("個人情報"), {"fields": ["name", "phone"]}),
        (
            _("権限"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("日時"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def has_module_permission(self, request):
        # Accounts of every municipality live here: only superusers manage them.
        return request.user.is_superuser


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "prefecture", "slug", "helper_brand_name"]
    search_fields = ["name", "prefecture"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return scope_to_staff(super().get_queryset(request), request.user, "pk")


@admin.register(District)
class DistrictAdmin(MunicipalityScopedAdmin):
    list_display = ["name", "municipality", "order"]
    list_select_related = ["municipality"]
    search_fields = ["name"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "municipality", "created_at"]
    list_select_related = ["user", "municipality"]
    autocomplete_fields = ["user"]

    def has_module_permission(self, request):
        return request.user.is_superuser


class OrganizationMembershipInline(admin.TabularInline):
    model = OrganizationMembership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(MunicipalityScopedAdmin):
    list_display = ["name", "kind", "municipality", "district"]
    list_filter = ["kind"]
    list_select_related = ["municipality", "district"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [OrganizationMembershipInline]


@admin.register(HelperProfile)
class HelperProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "home_prefecture", "home_municipality", "created_at"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__email"]
    readonly_fields = ["user"]

    def has_module_permission(self, request):
        return request.user.is_superuser
