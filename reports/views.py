"""月次参加レポート pages: staff's list of months (and computing one on demand, with its progress), one
month's figures with charts and data tables, its XLSX/CSV/PDF, and the public summary 「今月のお手伝い」.
Every snapshot is fetched through reports.permissions: another municipality's is 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Municipality
from accounts.permissions import AuthenticatedHttpRequest
from reports import charts, exports, permissions, services
from reports.forms import MonthlyReportRequestForm
from reports.models import MonthlyReport, MonthlyReportRun, Scope
from reports.tables import comparison, definitions, overview, tables

EXPORTS = {
    "xlsx": (
        exports.xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "csv": (exports.csv_bytes, "text/csv; charset=utf-8"),
    "pdf": (exports.pdf, "application/pdf"),
}


def _reader(request: HttpRequest) -> None:
    if not permissions.may_read_reports(request.user):
        raise Http404


def _get_report(request: HttpRequest, pk: int) -> MonthlyReport:
    _reader(request)
    queryset = permissions.report_scope(
        request.user, MonthlyReport.objects.select_related("municipality")
    )
    return get_object_or_404(queryset, pk=pk)


@login_required
def staff_monthly_reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every month the user may read, newest first, each with its versions; the form to compute one;
    the runs still going. Queries: reports (1), runs (1), the form's scopes (1-2)."""
    _reader(request)
    reports = list(
        permissions.report_scope(
            request.user, MonthlyReport.objects.select_related("municipality")
        ).defer("figures", "definitions")[:500]
    )
    runs = list(
        permissions.run_scope(
            request.user, MonthlyReportRun.objects.select_related("municipality")
        ).exclude(status=MonthlyReportRun.Status.DONE)[:20]
    )
    return render(
        request,
        "reports/monthly_reports.html",
        {
            "reports": reports,
            "runs": runs,
            "form": MonthlyReportRequestForm(user=request.user),
        },
    )


@login_required
@require_POST
def staff_monthly_report_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    _reader(request)
    form = MonthlyReportRequestForm(request.POST, user=request.user)
    if form.is_valid():
        where = form.cleaned_scope()
        try:
            run = services.monthly_report_request(actor=request.user, **where)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            return redirect("staff_monthly_report_run", pk=run.pk)
    else:
        messages.error(request, _("範囲と対象月を選んでください。"))
    return redirect("staff_monthly_reports")


@login_required
def staff_monthly_report_run(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A run's progress. While it runs, the page asks again every two seconds (htmx swaps the status
    part in place; without JavaScript, the page's refresh link does the same)."""
    _reader(request)
    run = get_object_or_404(
        permissions.run_scope(
            request.user, MonthlyReportRun.objects.select_related("municipality")
        ),
        pk=pk,
    )
    template = (
        "reports/_run_status.html" if request.headers.get("HX-Request") else "reports/run.html"
    )
    return render(request, template, {"run": run})


@login_required
def staff_monthly_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    latest = MonthlyReport.objects.filter(
        scope=report.scope,
        municipality=report.municipality,
        prefecture=report.prefecture,
        year=report.year,
        month=report.month,
    ).aggregate(v=Max("version"))["v"]
    report_tables = tables(report)
    return render(
        request,
        "reports/monthly_report.html",
        {
            "report": report,
            "latest_version": latest,
            "tables": report_tables,
            "charts": {name: name for name in charts.CHARTS},
            "definitions": definitions(report),
        },
    )


@login_required
def staff_monthly_report_chart(
    request: AuthenticatedHttpRequest, pk: int, name: str
) -> HttpResponse:
    report = _get_report(request, pk)
    if name not in charts.CHARTS:
        raise Http404
    by_key = {t.key: t for t in tables(report)}
    response = HttpResponse(
        charts.chart(name, by_key, report.figures), content_type="image/svg+xml"
    )
    response["Cache-Control"] = "private, max-age=3600"  # a snapshot never changes
    return response


@login_required
def staff_monthly_report_export(
    request: AuthenticatedHttpRequest, pk: int, extension: str
) -> HttpResponse:
    report = _get_report(request, pk)
    if extension not in EXPORTS:
        raise Http404
    make, content_type = EXPORTS[extension]
    response = HttpResponse(make(report), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(report, extension)}"'
    )
    return response


def monthly_summary(request: HttpRequest, slug: str) -> HttpResponse:
    """「今月のお手伝い」: a municipality's latest closed month, headline figures with their
    definitions. Public: the figures are aggregates, with no person in them."""
    municipality = get_object_or_404(Municipality, slug=slug)
    report = (
        MonthlyReport.objects.filter(scope=Scope.MUNICIPALITY, municipality=municipality)
        .order_by("-year", "-month", "-version")
        .first()
    )
    context: dict = {"municipality": municipality, "report": report}
    if report is not None:
        context |= {
            "overview": overview(report.figures),
            "comparison": comparison(report.figures),
            "definitions": definitions(report),
        }
    return render(request, "reports/summary.html", context)
