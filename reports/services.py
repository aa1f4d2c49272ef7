"""Writing 月次参加レポート: snapshots (never edited, a recomputation is a new version) and the runs that
make them on request.

The figures are read before the transaction that stores them (reading takes seconds on a large
municipality and needs no lock: a closed month's data is what it is when read, and the snapshot says when
that was). Storing is one durable transaction: the row, and the notice to the municipality's staff.
"""

from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Municipality, User
from notifications.services import site_url
from portal import notices
from reports import figures as report_figures
from reports.definitions import DEFINITIONS_VERSION, definitions_snapshot
from reports.models import MonthlyReport, MonthlyReportRun, Scope

# A run still marked running this long after it started was lost with its worker: it may be claimed again.
RUN_LEASE = timedelta(minutes=15)


def scope_municipalities(
    *, scope: str, municipality_id: int | None = None, prefecture: str = ""
) -> list[Municipality]:
    municipalities = Municipality.objects.order_by("pk")
    if scope == Scope.MUNICIPALITY:
        return list(municipalities.filter(pk=municipality_id or 0))
    if scope == Scope.PREFECTURE:
        return list(municipalities.filter(prefecture=prefecture))
    return list(municipalities)


def check_closed(year: int, month: int) -> None:
    """Only a month that has ended can be reported: its figures would still move otherwise."""
    if not 1 <= month <= 12 or year < 2000:
        raise ValidationError(_("年月が正しくありません。"), code="invalid_month")
    end = report_figures.month_bounds(year, month)[1]
    if end > timezone.now():
        raise ValidationError(
            _("まだ終わっていない月は集計できません。月が終わってから集計してください。"),
            code="month_not_closed",
        )


def monthly_report_create(
    *,
    scope: str,
    year: int,
    month: int,
    municipality_id: int | None = None,
    prefecture: str = "",
    actor: User | None = None,
    first_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> MonthlyReport | None:
    """Compute a closed month and store it as the next version (`first_only`: as version 1 or not at
    all; the beat job's way, so that two beats, or a retry, never make two copies). Returns the new
    snapshot, or None when `first_only` found one already there."""
    check_closed(year, month)
    where = {
        "scope": scope,
        "municipality_id": municipality_id if scope == Scope.MUNICIPALITY else None,
        "prefecture": prefecture if scope == Scope.PREFECTURE else "",
        "year": year,
        "month": month,
    }
    if first_only and MonthlyReport.objects.filter(**where).exists():
        return None
    municipalities = scope_municipalities(
        scope=scope, municipality_id=municipality_id, prefecture=prefecture
    )
    if not municipalities:
        raise ValidationError(_("集計する自治体がありません。"), code="empty_scope")
    figures = report_figures.compute(
        report_figures.Scope(municipalities), year, month, progress=progress
    )
    for _attempt in range(3):
        try:
            with transaction.atomic(durable=True):
                if first_only:
                    version = 1
                else:
                    latest = MonthlyReport.objects.filter(**where).aggregate(v=Max("version"))["v"]
                    version = (latest or 0) + 1
                report = MonthlyReport.objects.create(
                    **where,
                    version=version,
                    figures=figures,
                    definitions_version=DEFINITIONS_VERSION,
                    definitions=definitions_snapshot(),
                    computed_at=timezone.now(),
                    computed_by=actor,
                )
                if report.municipality_id is not None:
                    notices.notice_monthly_report_ready(
                        municipality_id=report.municipality_id,
                        report_id=report.pk,
                        year=year,
                        month=month,
                        version=version,
                        url=site_url("staff_monthly_report", report.pk),
                        attendances=figures["participants"]["attendances"],
                        unique_helpers=figures["participants"]["unique_helpers"],
                    )
                return report
        except IntegrityError:
            # Another computation of the same month stored this version first.
            if first_only:
                return None
    raise ValidationError(_("同じ月の集計が重なりました。もう一度お試しください。"), code="busy")


def monthly_reports_due() -> int:
    """The beat job (daily at 02:00 Japan time): the previous month of every municipality that has no
    snapshot of it yet, as version 1. Selected by "due and not yet done", so a missed night catches up
    and a second run the same night writes nothing."""
    today = timezone.localdate()
    year, month = report_figures.shift_month(today.year, today.month, -1)
    done = MonthlyReport.objects.filter(scope=Scope.MUNICIPALITY, year=year, month=month).values(
        "municipality_id"
    )
    made = 0
    for municipality_id in (
        Municipality.objects.exclude(pk__in=done).order_by("pk").values_list("pk", flat=True)
    ):
        if monthly_report_create(
            scope=Scope.MUNICIPALITY,
            municipality_id=municipality_id,
            year=year,
            month=month,
            first_only=True,
        ):
            made += 1
    return made


def monthly_report_request(
    *,
    actor: User,
    scope: str,
    year: int,
    month: int,
    municipality_id: int | None = None,
    prefecture: str = "",
) -> MonthlyReportRun:
    """Staff ask for a month now: a run row, computed by a Celery task after the commit."""
    from reports import tasks

    check_closed(year, month)
    with transaction.atomic(durable=True):
        run = MonthlyReportRun.objects.create(
            scope=scope,
            municipality_id=municipality_id if scope == Scope.MUNICIPALITY else None,
            prefecture=prefecture if scope == Scope.PREFECTURE else "",
            year=year,
            month=month,
            requested_by=actor,
        )
        transaction.on_commit(lambda: tasks.enqueue_run(run.pk), robust=True)
    return run


def monthly_report_run(*, run_id: int) -> MonthlyReportRun | None:
    """Do one run: claim it (queued, or running past its lease: its worker was lost), compute with the
    progress written as it goes, store the snapshot. A run already claimed or done is left alone, so a
    task delivered twice computes once."""
    now = timezone.now()
    claimed = (
        MonthlyReportRun.objects.filter(pk=run_id)
        .filter(
            Q(status=MonthlyReportRun.Status.QUEUED)
            | Q(status=MonthlyReportRun.Status.RUNNING, started_at__lt=now - RUN_LEASE)
        )
        .update(status=MonthlyReportRun.Status.RUNNING, started_at=now, progress=0)
    )
    if not claimed:
        return None
    run = MonthlyReportRun.objects.get(pk=run_id)

    def progress(percent: int) -> None:
        MonthlyReportRun.objects.filter(pk=run_id).update(progress=percent)

    try:
        report = monthly_report_create(
            scope=run.scope,
            municipality_id=run.municipality_id,
            prefecture=run.prefecture,
            year=run.year,
            month=run.month,
            actor=run.requested_by,
            progress=progress,
        )
    except Exception as exc:
        # Shown on the run's page; staff ask again. Anything but a refusal is also raised to the log.
        error = (
            exc.messages[0]
            if isinstance(exc, ValidationError)
            else _("集計中にエラーが起きました。")
        )
        MonthlyReportRun.objects.filter(pk=run_id).update(
            status=MonthlyReportRun.Status.FAILED, error=error, finished_at=timezone.now()
        )
        if not isinstance(exc, ValidationError):
            raise
        return MonthlyReportRun.objects.get(pk=run_id)
    MonthlyReportRun.objects.filter(pk=run_id).update(
        status=MonthlyReportRun.Status.DONE,
        progress=100,
        report=report,
        finished_at=timezone.now(),
    )
    return MonthlyReportRun.objects.get(pk=run_id)
