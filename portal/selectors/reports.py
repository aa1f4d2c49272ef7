"""Reads of activity reports (活動レポート, `ActivityReport`): the public list and page, a program's
reports, staff's report. "Report" here always means an activity report; the monthly statistics are
月次参加レポート (`reports.MonthlyReport`, the `reports/` app)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from portal.models import ActivityReport, Program
from portal.permissions import public_activity_reports, staff_scope


def published_reports_of(program: Program):
    """A callable for templates: evaluated only where the template needs it (on a cache miss)."""

    def reports() -> list[ActivityReport]:
        return list(
            ActivityReport.objects.filter(program=program, status=ActivityReport.Status.PUBLISHED)
            .select_related("program")
            .only("pk", "title", "body", "published_at", "program__title")
            .prefetch_related("photos")
            .order_by("-published_at")
        )

    return reports


def public_reports() -> QuerySet[ActivityReport]:
    return (
        public_activity_reports(ActivityReport.objects.all())
        .select_related("program", "program__municipality", "session")
        .prefetch_related("photos")
        .order_by("-published_at")
    )


def public_report(pk: int) -> ActivityReport:
    return get_object_or_404(public_reports(), pk=pk)


def report_for_staff(user: User, pk: int) -> ActivityReport:
    return get_object_or_404(
        staff_scope(user, ActivityReport.objects.select_related("program", "session")), pk=pk
    )
