"""Snapshots: stored once with their definitions, never changed (the database refuses), recomputed as a
new version; the beat job writes each municipality's last month once however often it runs; runs are
claimed once; staff are told through the outbox."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from notifications.kinds import Kind
from notifications.models import OutboxMessage
from portal.models import Application
from reports import services, tasks
from reports.definitions import DEFINITIONS_VERSION
from reports.models import MonthlyReport, MonthlyReportRun, Scope
from tests.reports.conftest import jst

pytestmark = pytest.mark.django_db


def _create(municipality, **kwargs):
    return services.monthly_report_create(
        scope=Scope.MUNICIPALITY, municipality_id=municipality.pk, year=2026, month=10, **kwargs
    )


def test_a_snapshot_keeps_its_definitions_and_tells_staff(october, staff, other_municipality_staff):
    report = _create(october.municipality, actor=staff)
    assert report.version == 1
    assert report.definitions_version == DEFINITIONS_VERSION
    assert {d["key"] for d in report.definitions} >= {"attendances", "unique_helpers", "repeat"}
    assert report.computed_by == staff
    told = OutboxMessage.objects.filter(kind=Kind.MONTHLY_REPORT_READY)
    assert [m.recipient_id for m in told] == [staff.pk]  # not the other municipality's staff
    assert f"/staff/monthly/{report.pk}/" in told.get().body
    assert "延べ参加者数: 5" in told.get().body


def test_a_closed_month_does_not_change_when_later_data_arrives(october):
    report = _create(october.municipality)
    before = report.figures
    # Later data: H9, waitlisted at S1, is recorded as attended after the snapshot.
    Application.objects.filter(session=october.sessions["S1"], helper=october.helpers["H9"]).update(
        status=Application.Status.ATTENDED
    )
    report.refresh_from_db()
    assert report.figures == before
    assert report.figures["participants"]["attendances"] == 5
    again = _create(october.municipality)
    assert again.version == 2
    assert again.figures["participants"]["attendances"] == 6
    assert MonthlyReport.objects.filter(year=2026, month=10).count() == 2


def test_the_database_refuses_to_edit_or_delete_a_snapshot(october):
    report = _create(october.municipality)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).update(figures={})
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).delete()
    with pytest.raises(ValueError, match="never changed"):
        report.save()
    report.refresh_from_db()
    assert report.figures["participants"]["attendances"] == 5


def test_a_month_not_yet_over_is_refused(municipality):
    with (
        time_machine.travel(jst(10, 31, 23, 59), tick=False),
        pytest.raises(ValidationError) as exc,
    ):
        _create(municipality)
    assert exc.value.code == "month_not_closed"
    assert not MonthlyReport.objects.exists()


def test_the_beat_job_writes_last_month_once(october, other_municipality):
    with time_machine.travel(jst(11, 1, 2, 0), tick=False):
        assert tasks.monthly_reports_due() == 2  # both municipalities
        assert tasks.monthly_reports_due() == 0  # a second beat, or a retry, writes nothing
        assert services.monthly_report_create(
            scope=Scope.MUNICIPALITY, municipality_id=october.municipality.pk, year=2026,
            month=10, first_only=True,
        ) is None  # fmt: skip
    assert sorted(
        MonthlyReport.objects.values_list("municipality__slug", "year", "month", "version")
    ) == [("gujo", 2026, 10, 1), ("hida", 2026, 10, 1)]


def test_the_beat_job_catches_up_a_missed_night(october):
    with time_machine.travel(jst(11, 3, 2, 0), tick=False):
        assert tasks.monthly_reports_due() == 2


def test_a_run_is_computed_once_and_shows_its_progress(
    october, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the task, eager in tests, after commit
        run = services.monthly_report_request(
            actor=staff, scope=Scope.MUNICIPALITY, municipality_id=october.municipality.pk,
            year=2026, month=10,
        )  # fmt: skip
    run.refresh_from_db()
    assert run.status == MonthlyReportRun.Status.DONE
    assert run.progress == 100
    assert run.report.figures["participants"]["unique_helpers"] == 4
    # The same task delivered again finds the run done and computes nothing.
    assert tasks.compute_run(run.pk) is None
    assert MonthlyReport.objects.count() == 1


def test_a_run_lost_with_its_worker_is_claimed_again_after_its_lease(october, staff):
    run = MonthlyReportRun.objects.create(
        scope=Scope.MUNICIPALITY, municipality=october.municipality, year=2026, month=10,
        status=MonthlyReportRun.Status.RUNNING, started_at=jst(12, 1, 0, 0), requested_by=staff,
    )  # fmt: skip
    with time_machine.travel(jst(12, 1, 0, 10), tick=False):
        assert services.monthly_report_run(run_id=run.pk) is None  # still within its lease
    with time_machine.travel(jst(12, 1, 0, 20), tick=False):
        assert services.monthly_report_run(run_id=run.pk).status == MonthlyReportRun.Status.DONE


def test_a_refused_run_says_why(municipality, staff):
    run = MonthlyReportRun.objects.create(
        scope=Scope.PREFECTURE, prefecture="沖縄県", year=2026, month=10, requested_by=staff
    )
    done = services.monthly_report_run(run_id=run.pk)
    assert done.status == MonthlyReportRun.Status.FAILED
    assert done.error == "集計する自治体がありません。"


def test_roll_ups_are_versioned_apart(october, other_municipality):
    all_v1 = services.monthly_report_create(scope=Scope.ALL, year=2026, month=10)
    pref_v1 = services.monthly_report_create(
        scope=Scope.PREFECTURE, prefecture="岐阜県", year=2026, month=10
    )
    all_v2 = services.monthly_report_create(scope=Scope.ALL, year=2026, month=10)
    assert (all_v1.version, pref_v1.version, all_v2.version) == (1, 1, 2)
    assert all_v1.figures["participants"]["attendances"] == 6
    assert not OutboxMessage.objects.filter(kind=Kind.MONTHLY_REPORT_READY).exists()
