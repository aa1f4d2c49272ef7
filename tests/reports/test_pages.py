"""The staff pages and files of a snapshot: scoped (another municipality's staff get 404 for every URL
and export), the XLSX reads back as the snapshot, the CSV is UTF-8 with a BOM, the PDF shows Japanese in
the IPAex font; the public summary shows the headline figures with their definitions."""

import csv
import io
import shutil
import subprocess

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from openpyxl import load_workbook

from reports import services
from reports.models import MonthlyReport, MonthlyReportRun, PrefectureReportAccess, Scope
from tests.accounts.factories import UserFactory
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(october):
    return services.monthly_report_create(
        scope=Scope.MUNICIPALITY, municipality_id=october.municipality.pk, year=2026, month=10
    )


def _urls(report: MonthlyReport) -> list[str]:
    return [
        reverse("staff_monthly_report", args=[report.pk]),
        *(reverse("staff_monthly_report_chart", args=[report.pk, n]) for n in
          ("comparison", "applications", "category", "prefectures")),
        *(reverse("staff_monthly_report_export", args=[report.pk, e]) for e in ("xlsx", "csv", "pdf")),
    ]  # fmt: skip


def test_staff_of_another_municipality_get_404_everywhere(client, report, other_municipality_staff):
    client.force_login(other_municipality_staff)
    for url in _urls(report):
        assert client.get(url).status_code == 404, url
    assert b"monthly-report-row" not in client.get(reverse("staff_monthly_reports")).content
    run = MonthlyReportRun.objects.create(
        scope=Scope.MUNICIPALITY, municipality=report.municipality, year=2026, month=10
    )
    assert client.get(reverse("staff_monthly_report_run", args=[run.pk])).status_code == 404


def test_helpers_and_visitors_get_nothing(client, report, helper):
    assert client.get(_urls(report)[0]).status_code == 302  # to the login page
    client.force_login(helper)
    for url in [*_urls(report), reverse("staff_monthly_reports")]:
        assert client.get(url).status_code == 404, url


def test_staff_cannot_compute_another_municipality(client, report, other_municipality_staff):
    client.force_login(other_municipality_staff)
    response = client.post(
        reverse("staff_monthly_report_request"),
        {"scope": f"m:{report.municipality_id}", "month": "2026-10"},
    )
    assert response.status_code == 302
    assert MonthlyReportRun.objects.count() == 0
    assert MonthlyReport.objects.count() == 1


def test_staff_compute_a_month_and_follow_its_run(
    client, october, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_monthly_report_request"),
            {"scope": f"m:{october.municipality.pk}", "month": "2026-10"},
        )
    run = MonthlyReportRun.objects.get()
    assert response.url == reverse("staff_monthly_report_run", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert reverse("staff_monthly_report", args=[run.report_id]) in page


def test_the_page_shows_tables_charts_and_definitions(client, report, staff):
    client.force_login(staff)
    page = client.get(_urls(report)[0]).content.decode()
    assert "延べ参加者数" in page and "実参加者数" in page
    assert 'data-testid="table-prefectures"' in page
    assert "開始日時が対象月にあり、中止されていない日程の数" in page  # a definition
    chart = client.get(_urls(report)[1])
    assert chart["Content-Type"] == "image/svg+xml"
    assert b"<svg" in chart.content


def test_the_xlsx_reads_back_as_the_snapshot(client, report, staff):
    client.force_login(staff)
    response = client.get(reverse("staff_monthly_report_export", args=[report.pk, "xlsx"]))
    book = load_workbook(io.BytesIO(response.content))
    assert "定義" in book.sheetnames
    overview = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=3, values_only=True)}
    assert overview["延べ参加者数"] == report.figures["participants"]["attendances"] == 5
    assert overview["実参加者数"] == 4
    assert overview["充足率"] == report.figures["rates"]["fill_rate"]  # a number, shown as %
    prefectures = dict(
        book["都道府県別の参加者（実参加者）"].iter_rows(min_row=3, values_only=True)
    )
    assert prefectures == report.figures["origin"]["by_prefecture"]
    comparison = list(book["前月・前年同月との比較、累計"].iter_rows(min_row=3, values_only=True))
    assert comparison[0][:3] == ("延べ参加者数", 5, 1)


def test_the_csv_starts_with_a_bom_and_reads_as_utf8(client, report, staff):
    client.force_login(staff)
    response = client.get(reverse("staff_monthly_report_export", args=[report.pk, "csv"]))
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["概要", "延べ参加者数", "値", "5"] in rows
    assert ["概要", "充足率", "値", "42.9%"] in rows
    assert any(row[:1] == ["延べ参加者数"] and "3回参加すれば3" in row[1] for row in rows)


def test_the_pdf_is_a4_and_shows_japanese(client, report, staff, tmp_path):
    client.force_login(staff)
    response = client.get(reverse("staff_monthly_report_export", args=[report.pk, "pdf"]))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    assert "IPAexGothic" in fonts  # the Japanese font, embedded: not tofu
    text = subprocess.run(
        ["pdftotext", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "月次参加レポート" in text and "延べ参加者数" in text
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", pdf, tmp_path / "page"], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)  # to look at
    shutil.copy(tmp_path / "page-1.png", ARTIFACTS / "monthly-report-pdf-page-1.png")


def test_rollups_for_administrators_and_a_prefecture(client, report, other_municipality, staff):
    rollup = services.monthly_report_create(scope=Scope.ALL, year=2026, month=10)
    gifu = services.monthly_report_create(
        scope=Scope.PREFECTURE, prefecture="岐阜県", year=2026, month=10
    )
    url = reverse("staff_monthly_report", args=[rollup.pk])
    client.force_login(staff)
    assert client.get(url).status_code == 404  # municipal staff see their own months only
    officer = UserFactory()
    PrefectureReportAccess.objects.create(user=officer, prefecture="岐阜県")
    client.force_login(officer)
    assert client.get(reverse("staff_monthly_report", args=[gifu.pk])).status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(reverse("staff_monthly_report", args=[report.pk])).status_code == 404
    admin = UserFactory(is_superuser=True, is_staff=True)
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(admin)
    assert client.get(url).status_code == 200


def test_the_public_summary(client, report, municipality):
    page = client.get(reverse("monthly_summary", args=[municipality.slug])).content.decode()
    assert "今月のお手伝い" in page
    assert "2026年10月" in page
    assert "延べ参加者数" in page and "実参加者数" in page
    assert "3回参加すれば3" in page  # the definitions are printed with the figures


def test_the_municipality_page_links_the_summary(client, municipality):
    page = client.get(reverse("municipality_page", args=[municipality.slug])).content.decode()
    assert reverse("monthly_summary", args=[municipality.slug]) in page
