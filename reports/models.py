"""月次参加レポート: the immutable statistics of one scope-month, with the definitions they used.

A scope is one municipality (what its staff see), the municipalities of one prefecture, or every
municipality of the deployment (the roll-ups). A snapshot row is written once and never changed: on
PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE, so no code path can edit a closed month.
Recomputing a month writes version n+1 beside version n.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import PREFECTURE_CHOICES, Municipality


class Scope(models.TextChoices):
    MUNICIPALITY = "municipality", _("自治体")
    PREFECTURE = "prefecture", _("都道府県内の自治体の合計")
    ALL = "all", _("すべての自治体の合計")


class ScopedMonth(models.Model):
    """What a snapshot and a run are about: a scope and a calendar month (Asia/Tokyo)."""

    scope = models.CharField(_("範囲"), max_length=20, choices=Scope.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prefecture = models.CharField(
        _("都道府県"), max_length=4, choices=PREFECTURE_CHOICES, blank=True
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))

    class Meta:
        abstract = True

    @property
    def scope_label(self) -> str:
        if self.scope == Scope.MUNICIPALITY and self.municipality is not None:
            return str(self.municipality)
        if self.scope == Scope.PREFECTURE:
            return f"{self.prefecture} ({Scope.PREFECTURE.label})"
        return str(Scope.ALL.label)


SCOPE_SHAPE = (
    Q(scope=Scope.MUNICIPALITY, municipality__isnull=False, prefecture="")
    | Q(scope=Scope.PREFECTURE, municipality__isnull=True, prefecture__gt="")
    | Q(scope=Scope.ALL, municipality__isnull=True, prefecture="")
)


class MonthlyReport(ScopedMonth):
    """One version of one scope-month's figures. Never edited (see the module docstring)."""

    version = models.PositiveSmallIntegerField(_("版"))
    figures = models.JSONField(_("数値"))
    definitions_version = models.PositiveSmallIntegerField(_("定義の版"))
    # The definitions as they were worded when the figures were made, in both languages.
    definitions = models.JSONField(_("定義"))
    computed_at = models.DateTimeField(_("作成日時"))
    # Empty for the monthly beat job; the staff member who asked for a recomputation otherwise.
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("月次参加レポート")
        verbose_name_plural = _("月次参加レポート")
        ordering = ["-year", "-month", "-version"]
        constraints = [
            models.CheckConstraint(condition=SCOPE_SHAPE, name="reports_monthlyreport_scope_shape"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="reports_monthlyreport_month_valid"
            ),
            # Versions of one scope-month: the beat job writes version 1 only, so a second beat (or a
            # retry) that computed the same month meets this constraint instead of adding a copy.
            models.UniqueConstraint(
                fields=["municipality", "year", "month", "version"],
                condition=Q(scope=Scope.MUNICIPALITY),
                name="reports_monthlyreport_one_per_version",
            ),
            # The roll-ups (no municipality): the same, per scope and prefecture.
            models.UniqueConstraint(
                fields=["scope", "prefecture", "year", "month", "version"],
                condition=Q(municipality__isnull=True),
                name="reports_monthlyreport_rollup_one_per_version",
            ),
        ]
        indexes = [
            # A scope's list of months and the latest version of each.
            models.Index(
                fields=["municipality", "-year", "-month", "-version"],
                name="reports_monthly_muni",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.year}-{self.month:02d} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("a monthly report snapshot is never changed: compute a new version")
        super().save(*args, **kwargs)


class MonthlyReportRun(ScopedMonth):
    """A staff member's request to compute a month now, done by a Celery task; the page shows its
    progress. Claimed with a conditional update, so a task delivered twice computes once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("集計中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("進み具合（%）"), default=0)
    error = models.TextField(_("エラー"), blank=True)
    report = models.ForeignKey(
        MonthlyReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("月次参加レポートの集計")
        verbose_name_plural = _("月次参加レポートの集計")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=SCOPE_SHAPE, name="reports_monthlyreportrun_scope_shape"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.year}-{self.month:02d} ({self.status})"


class PrefectureReportAccess(models.Model):
    """A prefecture's officer who may read the roll-up of the prefecture's municipalities (given by a
    deployment administrator in the admin)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prefecture_report_access"
    )
    prefecture = models.CharField(_("都道府県"), max_length=4, choices=PREFECTURE_CHOICES)

    class Meta:
        verbose_name = _("都道府県の集計を見られる人")
        verbose_name_plural = _("都道府県の集計を見られる人")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "prefecture"], name="reports_prefaccess_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.prefecture}"
