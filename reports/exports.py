"""A snapshot as files staff forward as they are: XLSX (a sheet per table, numbers as numbers, a sheet
of definitions), CSV (UTF-8 with a BOM, so Excel opens it as UTF-8) and PDF (A4, IPAex font, for a
council paper). All print reports.tables' layout and the snapshot's own definitions."""

import base64
import csv
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from reports import charts
from reports.models import MonthlyReport
from reports.tables import definitions, percent, tables


def filename(report: MonthlyReport, extension: str) -> str:
    scope = report.municipality.slug if report.municipality else report.prefecture or "all"
    return f"monthly-report-{scope}-{report.year}-{report.month:02d}-v{report.version}.{extension}"


def _heading(report: MonthlyReport) -> list[str]:
    return [
        _("月次参加レポート"),
        report.scope_label,
        _("%(year)s年%(month)s月") % {"year": report.year, "month": report.month},
        _("第%(version)s版（定義 第%(definitions)s版）")
        % {"version": report.version, "definitions": report.definitions_version},
    ]


def xlsx(report: MonthlyReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables(report):
        sheet = book.create_sheet(table.title[:31].replace("/", "・"))
        sheet.append([" ".join(_heading(report))])
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = bold
        for row in table.rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, float):  # a rate (reports.tables): a number shown as %
                    cell.number_format = "0.0%"
        sheet.column_dimensions["A"].width = 34
    sheet = book.create_sheet(_("定義"))
    sheet.append([" ".join(_heading(report))])
    sheet.append([_("用語"), _("定義")])
    for term, text in definitions(report):
        sheet.append([term, text])
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(report: MonthlyReport) -> bytes:
    """One long table: heading lines, then (table, row label, column, value), then the definitions."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_heading(report))
    writer.writerow([_("表"), _("区分"), _("列"), _("値")])
    for table in tables(report):
        for row in table.rows:
            for column, value in zip(table.columns[1:], row[1:], strict=True):
                shown = percent(value) if isinstance(value, float) else value
                writer.writerow([table.title, row[0], column, shown])
    writer.writerow([])
    writer.writerow([_("用語"), _("定義")])
    for term, text in definitions(report):
        writer.writerow([term, text])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def pdf(report: MonthlyReport) -> bytes:
    from weasyprint import HTML  # heavy import: only here

    report_tables = tables(report)
    by_key = {t.key: t for t in report_tables}
    images = {
        name: "data:image/svg+xml;base64,"
        + base64.b64encode(charts.chart(name, by_key, report.figures).encode()).decode()
        for name in charts.CHARTS
    }
    html = render_to_string(
        "reports/monthly_report.pdf.html",
        {
            "report": report,
            "heading": _heading(report),
            "tables": report_tables,
            "images": images,
            "definitions": definitions(report),
        },
    )
    return HTML(string=html).write_pdf()
