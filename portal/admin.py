"""The Django admin for staff: scoped to their municipalities, searchable, with history. Workflow
changes go through the services (actions and save_model), so the admin and the staff pages follow the
same rules. Creating needs and programs happens on the staff pages (/staff/), which guide the flow."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.admin import MunicipalityScopedAdmin, MunicipalityScopedInline
from accounts.models import User
from accounts.permissions import AuthenticatedHttpRequest
from portal.models import ActivityReport, ActivityReportPhoto, Need, Program, ProgramPhoto, Session
from portal.services import programs as program_services
from portal.services import reports as report_services
from portal.services._state import InvalidTransition

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _run[M: Model](
    modeladmin: admin.ModelAdmin,
    request: AuthenticatedHttpRequest,
    queryset: QuerySet[M],
    service: Callable[[M, User], object],
    done: "StrOrPromise",
) -> None:
    ok = 0
    for obj in queryset:
        try:
            service(obj, request.user)
            ok += 1
        except InvalidTransition as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)


@admin.register(Need)
class NeedAdmin(MunicipalityScopedAdmin):
    list_display = ["title", "nushi", "district", "status", "channel", "created_at", "staff_page"]
    list_filter = ["status", "channel", "district"]
    search_fields = ["title", "description", "nushi__name", "address"]
    list_select_related = ["nushi", "district"]
    autocomplete_fields = ["nushi", "district"]
    readonly_fields = ["status", "rejection_reason", "created_by", "municipality", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # intake (web or phone) goes through /staff/needs/new/, which notifies staff

    @admin.display(description=_("事務局ページ"))
    def staff_page(self, obj: Need) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("staff_need_detail", args=[obj.pk]), _("開く")
        )


class SessionInline(MunicipalityScopedInline):
    model = Session
    extra = 0
    # All read-only: sessions are added and changed through the staff page's validated form.
    fields = readonly_fields = (
        "starts_at",
        "ends_at",
        "capacity",
        "places_taken",
        "apply_deadline",
        "acceptance_mode",
        "status",
    )
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ProgramPhotoInline(MunicipalityScopedInline):
    model = ProgramPhoto
    extra = 0
    fields = ["image", "caption", "order"]
    readonly_fields = ["image"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # uploads go through accounts.images.process_upload on the staff page


@admin.register(Program)
class ProgramAdmin(MunicipalityScopedAdmin):
    list_display = [
        "title",
        "nushi",
        "district",
        "category",
        "status",
        "session_total",
        "published_at",
    ]
    list_filter = ["status", "category", "district", "is_online"]
    search_fields = ["title", "summary", "nushi__name", "meeting_place"]
    list_select_related = ["nushi", "district"]
    autocomplete_fields = ["nushi", "district", "need"]
    readonly_fields = [
        "status",
        "status_note",
        "published_at",
        "created_by",
        "municipality",
        "nushi",  # the services never move a program to another nushi (program_update ignores it)
        "need",
    ]
    exclude = ["preview_token"]
    inlines = [SessionInline, ProgramPhotoInline]
    actions = ["publish", "close"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(session_total=Count("sessions"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # programs are drafted from a need on /staff/needs/<id>/program/

    @admin.display(description=_("開催日数"), ordering="session_total")
    def session_total(self, obj: Any) -> int:  # a Program annotated by get_queryset
        return obj.session_total

    def save_model(
        self, request: HttpRequest, obj: Program, form: forms.ModelForm, change: bool
    ) -> None:
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
        }
        try:
            program_services.program_update_in_transaction(
                program=obj, actor=cast(User, request.user), data=data
            )
        except InvalidTransition as exc:
            self.message_user(request, exc.message, messages.ERROR)
        except ValidationError as exc:  # a district of another municipality (accounts.scoping)
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    @admin.action(description=_("選んだプログラムを公開する（ヌシ確認済みのみ）"))
    def publish(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Program]) -> None:
        _run(self, request, queryset, lambda p, u: program_services.program_publish(program=p, actor=u),
             _("%(n)d件を公開しました。"))  # fmt: skip

    @admin.action(description=_("選んだプログラムの募集を終了する"))
    def close(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Program]) -> None:
        _run(self, request, queryset, lambda p, u: program_services.program_close(program=p, actor=u),
             _("%(n)d件の募集を終了しました。"))  # fmt: skip


@admin.register(Session)
class SessionAdmin(MunicipalityScopedAdmin):
    municipality_field = "program__municipality"
    list_display = ["program", "starts_at", "capacity", "places_taken", "status"]
    list_filter = ["status", "acceptance_mode"]
    search_fields = ["program__title"]
    list_select_related = ["program"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # view only: changes go through the staff page (validated, history kept)


class ActivityReportPhotoInline(MunicipalityScopedInline):
    model = ActivityReportPhoto
    extra = 0
    fields = ["image", "caption", "order"]
    readonly_fields = ["image"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ActivityReport)
class ActivityReportAdmin(MunicipalityScopedAdmin):
    municipality_field = "program__municipality"
    list_display = ["title", "program", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["title", "body", "program__title"]
    list_select_related = ["program"]
    readonly_fields = ["status", "published_at", "author", "program", "session"]
    inlines = [ActivityReportPhotoInline]
    actions = ["publish", "unpublish"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("選んだレポートを公開する"))
    def publish(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[ActivityReport]
    ) -> None:
        _run(self, request, queryset, lambda r, u: report_services.activity_report_publish(report=r, actor=u),
             _("%(n)d件を公開しました。"))  # fmt: skip

    @admin.action(description=_("選んだレポートを非公開に戻す"))
    def unpublish(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[ActivityReport]
    ) -> None:
        _run(self, request, queryset, lambda r, u: report_services.activity_report_unpublish(report=r, actor=u),
             _("%(n)d件を非公開にしました。"))  # fmt: skip
