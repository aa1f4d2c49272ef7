"""The helper's wallet page, and staff's ledger (with exports) and redemption pages."""

import csv
import io
from datetime import date

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from accounts.models import Municipality
from accounts.permissions import AuthenticatedHttpRequest, staff_municipality_ids, staff_required
from points import codes, issuers, selectors, services
from points.forms import (
    CodeRedeemForm,
    IssuerForm,
    LedgerFilterForm,
    RedeemForm,
    StatementForm,
)
from points.ledger import local_midnight
from points.models import Account, Entry, Issuer
from points.permissions import ledger_municipality_id

LEDGER_PAGE_SIZE = 50


@login_required
def wallet(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in helper's wallets: balance per municipality, the newest entries, what expires when,
    and the QR staff scan to record an exchange. One query for all of it (selectors.helper_wallets)."""
    return render(
        request,
        "points/wallet.html",
        {"wallets": selectors.helper_wallets(helper_id=request.user.pk)},
    )


@login_required
def wallet_qr(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The QR of one of the helper's own wallets (anyone else's is a 404)."""
    if not Account.objects.filter(
        code=code, kind=Account.Kind.WALLET, helper=request.user
    ).exists():
        raise Http404
    out = io.BytesIO()
    segno.make(code, error="m").save(
        out, kind="svg", scale=6, border=2, title=_("ウォレットのQRコード")
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _filtered_entries(request: AuthenticatedHttpRequest, municipality_id: int):
    form = LedgerFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "kind": data["kind"],
            "start": local_midnight(data["start"]) if data["start"] else None,
            "end": local_midnight(date.fromordinal(data["end"].toordinal() + 1))
            if data["end"]
            else None,
            "query": data["q"],
        }
    return form, selectors.ledger_entries(municipality_id=municipality_id, **filters)


@staff_required
def ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff's ledger of their municipality: account totals, credits waiting for budget, budget
    periods, then the entries, filtered and a page at a time. Queries: the staff member's
    municipalities (1), the municipality (1), totals (1), pending (1), periods (1), count (1), page (1)."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    form, entries = _filtered_entries(request, municipality_id)
    page = Paginator(entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "points/ledger.html",
        {
            "municipality": Municipality.objects.get(pk=municipality_id),
            "municipalities": Municipality.objects.filter(
                pk__in=staff_municipality_ids(request.user)
            ),
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "totals": selectors.account_totals(municipality_id=municipality_id),
            "pending": list(selectors.pending_credits(municipality_id=municipality_id)[:100]),
            "periods": list(selectors.budget_periods(municipality_id=municipality_id)[:24]),
        },
    )


EXPORT_COLUMNS = ["日時", "種類", "口座", "お手伝いさん", "金額", "内容", "理由", "取引キー"]


def _export_rows(entries):
    for entry in entries.iterator(chunk_size=2000):
        tx = entry.transaction
        yield [
            timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            tx.get_kind_display(),
            entry.account.get_kind_display()
            + (f" {entry.account.name}" if entry.account.name else ""),
            entry.account.helper.email if entry.account.helper else "",
            entry.amount,
            tx.memo,
            tx.reason,
            tx.idempotency_key,
        ]


@staff_required
def ledger_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The filtered ledger as CSV (UTF-8 with BOM, which Excel opens as such) or XLSX."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _form, entries = _filtered_entries(request, municipality_id)
    stamp = timezone.localtime().strftime("%Y%m%d")
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(_export_rows(entries))
        response = HttpResponse(
            ("\ufeff" + text.getvalue()).encode(), content_type="text/csv; charset=utf-8"
        )
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("台帳"))
        sheet.append(EXPORT_COLUMNS)
        for row in _export_rows(entries):
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="points-ledger-{stamp}.{fmt}"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def redeem(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff record an exchange for local goods: a helper's wallet code (scanned or typed) and points."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tx = services.wallet_redeem(
                wallet_code=data["code"], municipality_id=municipality_id, amount=data["amount"],
                key=f"redeem:{data['key']}", actor=request.user, memo=data["memo"],
            )  # fmt: skip
        except services.PointsError as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            entry = Entry.objects.select_related("account").get(transaction=tx, amount__lt=0)
            messages.success(
                request,
                _("%(amount)d ポイントの交換を記録しました。残高は %(balance)d です。")
                % {"amount": -entry.amount, "balance": entry.account.balance},
            )
            return redirect(reverse("points_redeem") + f"?municipality={municipality_id}")
    return render(
        request,
        "points/redeem.html",
        {"form": form, "municipality": Municipality.objects.get(pk=municipality_id)},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def issuer_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff set where their municipality's points go: the internal wallet or an operator's API."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    current = Issuer.objects.filter(municipality_id=municipality_id).first()
    initial: dict[str, object] = {"kind": Issuer.Kind.WALLET}
    if current is not None:
        initial = {
            "kind": current.kind,
            "operator_url": current.operator_url,
            "account_map": "\n".join(f"{k},{v}" for k, v in current.account_map.items()),
        }
    form = IssuerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        issuers.issuer_update(
            municipality_id=municipality_id, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("ポイントの行き先を保存しました。"))
        return redirect(reverse("points_issuer") + f"?municipality={municipality_id}")
    return render(
        request,
        "points/issuer.html",
        {
            "form": form,
            "municipality": Municipality.objects.get(pk=municipality_id),
            "has_key": bool(current and current.api_key),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def reconcile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff's reconciliation with the operator: credits (and cancellations) not confirmed yet, point
    codes redeemed although their credit was reversed, and an operator's statement (CSV) compared
    with the ledger account by account."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    form = StatementForm(request.POST or None, request.FILES or None)
    differences = None
    if request.method == "POST" and form.is_valid():
        try:
            statement = issuers.read_statement(form.cleaned_data["statement"].read())
        except issuers.StatementError as exc:
            form.add_error("statement", str(exc))
        else:
            differences = issuers.statement_differences(
                municipality_id=municipality_id, statement=statement
            )
    return render(
        request,
        "points/reconcile.html",
        {
            "form": form,
            "municipality": Municipality.objects.get(pk=municipality_id),
            "pushes": list(issuers.unconfirmed_pushes(municipality_id=municipality_id)[:200]),
            "not_taken_back": list(
                issuers.codes_not_taken_back(municipality_id=municipality_id)[:200]
            ),
            "differences": differences,
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["POST"])
def reconcile_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Send a push that gave up once more (another municipality's push is a 404)."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    if not issuers.operator_push_retry(push_id=pk, municipality_id=municipality_id):
        raise Http404
    messages.success(request, _("もう一度送ります。"))
    return redirect(reverse("points_reconcile") + f"?municipality={municipality_id}")


@staff_required
@require_http_methods(["GET", "POST"])
def point_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff of a 'codes' municipality: how many codes are not redeemed yet (to print or export), and
    redeeming one by its code (scanned from the ticket's QR or typed)."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    form = CodeRedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            redeemed = codes.point_code_redeem(
                code=form.cleaned_data["code"], municipality_id=municipality_id, actor=request.user
            )
        except services.PointsError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(
                request,
                _("ポイントコード %(code)s（%(amount)d ポイント）を交換済みにしました。")
                % {"code": redeemed.printed, "amount": redeemed.amount},
            )
            return redirect(reverse("points_codes") + f"?municipality={municipality_id}")
    return render(
        request,
        "points/codes.html",
        {
            "form": form,
            "municipality": Municipality.objects.get(pk=municipality_id),
            "open_count": codes.open_codes(municipality_id=municipality_id).count(),
        },
        status=400 if form.errors else 200,
    )


@staff_required
def point_codes_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The codes not redeemed yet: an A4 PDF of QR tickets to print and cut, or CSV (UTF-8 with BOM)."""
    municipality_id = ledger_municipality_id(request.user, request.GET.get("municipality"))
    if fmt not in ("csv", "pdf"):
        raise Http404
    municipality = Municipality.objects.get(pk=municipality_id)
    open_codes = list(codes.open_codes(municipality_id=municipality_id))
    stamp = timezone.localtime().strftime("%Y%m%d")
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["コード", "ポイント", "お手伝いさん", "内容", "付与日時"])
        for point_code in open_codes:
            writer.writerow(
                [
                    point_code.printed,
                    point_code.amount,
                    point_code.wallet.helper.email if point_code.wallet.helper else "",
                    point_code.credit.memo,
                    timezone.localtime(point_code.created_at).strftime("%Y-%m-%d %H:%M"),
                ]
            )
        response = HttpResponse(
            ("\ufeff" + text.getvalue()).encode(), content_type="text/csv; charset=utf-8"
        )
    else:
        from weasyprint import HTML  # heavy import: only here

        tickets = [
            {"code": c, "qr": segno.make(c.code, error="m").svg_data_uri(scale=4, border=2)}
            for c in open_codes
        ]
        html = render_to_string(
            "points/codes_pdf.html", {"municipality": municipality, "tickets": tickets}
        )
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="point-codes-{stamp}.{fmt}"'
    return response
