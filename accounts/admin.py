from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import (
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.fields.related import RelatedField
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
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
from accounts.scoping import (
    fields_of_other_municipalities,
    municipality_path,
    other_municipality_message,
)

if TYPE_CHECKING:
    # The mixins below call the admin methods of the classes they are mixed into.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class MunicipalityConsistentForm(forms.ModelForm):
    """Refuses a foreign key of the form that belongs to another municipality than the object itself:
    a staff member of two towns, or a superuser, must not link a need of one to a nushi of the other.
    The same rule as the services' (accounts.scoping). (No scoped admin has a many-to-many field to a
    municipality's rows yet; one would need the same check here.)"""

    def _post_clean(self) -> None:
        # A documented-in-source hook of BaseForm/BaseModelForm that the stubs leave out.
        super()._post_clean()  # type: ignore[misc]  # the instance now holds the posted values
        names = [name for name in self.fields if name not in self.errors]
        for field in fields_of_other_municipalities(self.instance, names):
            self.add_error(field.name, other_municipality_message(field.related_model))


class MunicipalityScopedFieldsMixin(_AdminBase):
    """Form fields pointing at rows of a model that belongs to a municipality (accounts.scoping finds
    which) offer, and accept, only rows of the staff member's municipalities; the rendered choices,
    the autocomplete widget's selected option and the posted value all go through the scoped
    queryset. Superusers see every municipality."""

    form: type[forms.ModelForm] = MunicipalityConsistentForm

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_formfield(formfield, db_field, request)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_formfield(formfield, db_field, request)


def _scope_formfield[F: forms.ModelChoiceField](
    formfield: F | None, db_field: models.ForeignKey | models.ManyToManyField, request: HttpRequest
) -> F | None:
    path = municipality_path(db_field.related_model)
    if (
        formfield is not None
        and formfield.queryset is not None
        and path is not None
        and not request.user.is_superuser
    ):
        # Setting the queryset also resets the widget's choices.
        formfield.queryset = scope_to_staff(formfield.queryset, request.user, path)
    return formfield


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The changelist's filter by a related row (地区, say) lists only the staff's municipalities'."""

    def field_choices(
        self, field: RelatedField, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, Any]]:
        path = municipality_path(field.related_model)
        if path is None or request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        # The stubs type get_choices for any field (grouped choices, a blank-choice iterator); a
        # relation asked without the blank gives (pk, label) pairs.
        return field.get_choices(  # type: ignore[return-value]
            include_blank=False,
            ordering=ordering,
            limit_choices_to=Q(**{f"{path}__in": staff_municipality_ids(request.user)}),
        )


class MunicipalityScopedInline(MunicipalityScopedFieldsMixin, admin.TabularInline):
    """The inlines of a MunicipalityScopedAdmin: their rows come from the (scoped) parent, and their
    form fields are scoped like the parent's."""


class MunicipalityScopedAdmin(MunicipalityScopedFieldsMixin, SimpleHistoryAdmin):
    """Staff see and change only rows of their own municipalities, through every view the admin
    registers for the model: changelist, change, delete, history list, history version,
    autocomplete results and actions all resolve objects through `get_queryset`, so another
    municipality's row answers "not found". Form fields offer and accept only rows of the staff's
    municipalities (MunicipalityScopedFieldsMixin), and a row is never linked to another
    municipality's (MunicipalityConsistentForm).

    Being staff of a municipality (a StaffMembership) is what grants view/add/change here, not Django's
    per-model permission rows, so that there is one place deciding who is staff. Deleting stays with
    superusers: records of residents are corrected, not removed.

    History is read-only for everyone: a revert writes every field of an old version straight to the
    row, around the services that keep states, places taken and notifications right (a session's
    `places_taken` reverted under accepted helpers overbooks it). Corrections go through the staff
    pages or the change form, whose saves go through the services. A model without
    django-simple-history (District) gets Django's own history page (the admin's log)."""

    # The lookup to Municipality; None: found from the model's foreign keys (accounts.scoping).
    municipality_field: str | None = None

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        self.tracks_history = hasattr(model._meta, "simple_history_manager_attribute")
        if not self.tracks_history:
            # Django's page, not simple-history's. (The stubs make the admin's template names class
            # variables; Django reads them off the instance.)
            self.object_history_template = None  # type: ignore[misc]

    def get_municipality_field(self) -> str:
        model: type[models.Model] = self.model
        path = self.municipality_field or municipality_path(model)
        if path is None:
            raise ImproperlyConfigured(f"{self.model._meta.label} belongs to no municipality")
        return path

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or is_staff_member(request.user)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return request.user.is_superuser

    def get_form(
        self,
        request: HttpRequest,
        obj: models.Model | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        if not issubclass(self.form, MunicipalityConsistentForm):
            raise ImproperlyConfigured(
                f"{type(self).__name__}.form must derive from MunicipalityConsistentForm"
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_staff(
            super().get_queryset(request), request.user, self.get_municipality_field()
        )

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                field = get_fields_from_path(self.model, entry)[-1]
                if field.is_relation and municipality_path(field.related_model):
                    entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def get_inline_instances(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[admin.options.InlineModelAdmin]:
        for inline in self.inlines:
            if not issubclass(inline, MunicipalityScopedFieldsMixin):
                raise ImproperlyConfigured(
                    f"{inline.__name__} of {type(self).__name__} must derive from "
                    "MunicipalityScopedInline"
                )
        return super().get_inline_instances(request, obj)

    # --- History -------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        if not self.tracks_history:
            return admin.ModelAdmin.get_urls(self)  # no version pages for a model without history
        return super().get_urls()

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.tracks_history:
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        # simple-history lists the versions by primary key alone, and shows the last version of a
        # row it cannot find: it must be one this user may see. Superusers may still read the
        # history of a deleted row.
        if self._scoped_object(request, object_id) is None and not request.user.is_superuser:
            raise Http404
        try:
            return super().history_view(request, object_id, extra_context)
        except (ValueError, ValidationError) as exc:  # a malformed id
            raise Http404 from exc

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # simple-history fetches the version by primary key through the history table, never
        # through get_queryset, and saves the posted form over the live row (a "revert").
        if self._scoped_object(request, object_id) is None and not request.user.is_superuser:
            raise Http404
        if request.method == "POST":
            raise PermissionDenied  # revert is off (see the class docstring)
        # Read by get_readonly_fields below, for this request only.
        request._history_version_read_only = True  # type: ignore[attr-defined]
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except (ValueError, ValidationError) as exc:  # a malformed id
            raise Http404 from exc

    def _scoped_object(self, request: HttpRequest, object_id: str) -> models.Model | None:
        return self.get_object(request, unquote(object_id))

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return True

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str] | tuple[str, ...]:
        if getattr(request, "_history_version_read_only", False):
            # A version page shows the old values as text, not as a form that looks editable.
            opts = self.model._meta
            return [f.name for f in (*opts.concrete_fields, *opts.many_to_many) if f.editable]
        return super().get_readonly_fields(request, obj)


class SuperuserOnlyAdminMixin(_AdminBase):
    """For admins of data that belongs to no single municipality (accounts, the outbox, schedules,
    login records): superusers only, whatever Django permission rows a staff member was given. It only
    narrows: what the admin itself refuses (adding outbox rows, say) stays refused."""

    def _superuser(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._superuser(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._superuser(request) and super().has_delete_permission(request, obj)


def restrict_unscoped_admins(site: admin.AdminSite = admin.site) -> None:
    """Every admin registered on the site is either scoped (MunicipalityScopedAdmin) or for superusers
    only: the others, ours and the libraries' (django-celery-beat, allauth, axes, auth), are replaced
    by a superuser-only subclass. Called once all admin modules are loaded (AccountsConfig.ready)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, MunicipalityScopedAdmin | SuperuserOnlyAdminMixin):
            continue
        cls = type(model_admin)
        restricted = type(
            f"SuperuserOnly{cls.__name__}",
            (SuperuserOnlyAdminMixin, cls),
            {"__module__": cls.__module__},
        )
        site.unregister(model)
        site.register(model, restricted)


@admin.register(User)
class UserAdmin(SuperuserOnlyAdminMixin, BaseUserAdmin):
    """Accounts of every municipality live here: only superusers manage them. Staff therefore cannot
    list or search users (the autocomplete of a membership's user answers 403 to them): a user belongs
    to no municipality, one helper identity serving all."""

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


@admin.register(Municipality)
class MunicipalityAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """Superusers set up municipalities (their slug is in every public URL)."""

    list_display = ["name", "prefecture", "slug", "helper_brand_name"]
    search_fields = ["name", "prefecture"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(District)
class DistrictAdmin(MunicipalityScopedAdmin):
    list_display = ["name", "municipality", "order"]
    list_select_related = ["municipality"]
    search_fields = ["name"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "municipality", "created_at"]
    list_select_related = ["user", "municipality"]
    autocomplete_fields = ["user"]


class OrganizationMembershipInline(MunicipalityScopedInline):
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
class HelperProfileAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "home_prefecture", "home_municipality", "created_at"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__email"]
    readonly_fields = ["user"]
