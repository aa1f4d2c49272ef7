"""One-time point codes for a 'codes' municipality: a credit makes a code; staff export the codes not
redeemed (A4 PDF of QR tickets, CSV with BOM) and redeem each once, also when two staff scan it at once."""

import csv
import io
import threading

import pytest
from django.db import connection
from django.urls import reverse

from points import codes, services
from points.models import CODE_ALPHABET, Account, PointCode, Transaction
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


def _credit(municipality, helper, points=500):
    _, (app,) = ended_session(municipality, helpers=[helper], points=points)
    services.points_settle_attendance(application_id=app.pk)
    return PointCode.objects.get(credit__application_id=app.pk)


def test_credit_makes_an_unguessable_code(coded, helper):
    code = _credit(coded, helper)
    assert code.amount == 500 and code.redeemed_at is None
    assert len(code.code) == 12 and set(code.code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert code.printed == f"{code.code[:4]}-{code.code[4:8]}-{code.code[8:]}"


def test_wallet_municipality_makes_no_code(funded, helper):
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    assert not PointCode.objects.exists()


def test_code_redeems_once(coded, helper, staff):
    code = _credit(coded, helper)
    typed = code.printed.lower()  # dashes and lower case as typed
    codes.point_code_redeem(code=typed, municipality_id=coded.pk, actor=staff)
    wallet = Account.objects.get(kind="wallet", helper=helper)
    assert wallet.balance == 0
    with pytest.raises(services.PointsError, match="交換済み"):
        codes.point_code_redeem(code=code.code, municipality_id=coded.pk, actor=staff)
    assert Transaction.objects.filter(kind="redemption").count() == 1


def test_unknown_or_other_municipality_code_is_refused(coded, helper, staff, other_municipality):
    code = _credit(coded, helper)
    for typed, municipality_id in (
        ("ZZZZ-ZZZZ-ZZZZ", coded.pk),
        (code.code, other_municipality.pk),
    ):
        with pytest.raises(services.PointsError, match="ポイントコードは見つかりません"):
            codes.point_code_redeem(code=typed, municipality_id=municipality_id, actor=staff)
    assert PointCode.objects.get().redeemed_at is None


@pytest.mark.django_db(transaction=True)
def test_two_redemptions_at_once_redeem_once(coded, helper, staff):
    code = _credit(coded, helper)
    _credit(coded, helper, points=700)  # the wallet holds enough for a second redemption
    barrier = threading.Barrier(4)
    results = []

    def scan():
        try:
            barrier.wait()
            codes.point_code_redeem(code=code.code, municipality_id=coded.pk, actor=staff)
            results.append("ok")
        except services.PointsError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1, results
    assert Transaction.objects.filter(kind="redemption").count() == 1
    assert Account.objects.get(kind="wallet", helper=helper).balance == 700


def test_staff_export_and_redeem_pages(client, coded, helper, staff, other_municipality_staff):
    first = _credit(coded, helper)
    second = _credit(coded, helper, points=300)
    codes.point_code_redeem(code=first.code, municipality_id=coded.pk, actor=staff)
    client.force_login(staff)
    url = reverse("points_codes") + f"?municipality={coded.pk}"
    assert 'data-testid="open-codes">1' in client.get(url).content.decode()
    response = client.get(
        reverse("points_codes_export", args=["csv"]) + f"?municipality={coded.pk}"
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][:3] == [second.printed, "300", helper.email] and len(rows) == 2
    pdf = client.get(reverse("points_codes_export", args=["pdf"]) + f"?municipality={coded.pk}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("points_codes_export", args=["xls"])).status_code == 404
    response = client.post(url, {"code": "nope"})
    assert response.status_code == 400 and "見つかりません" in response.content.decode()
    assert client.post(url, {"code": second.printed}).status_code == 302
    assert PointCode.objects.get(pk=second.pk).redeemed_at is not None
    client.force_login(other_municipality_staff)
    assert client.get(url).status_code == 404
    assert (
        client.get(
            reverse("points_codes_export", args=["csv"]) + f"?municipality={coded.pk}"
        ).status_code
        == 404
    )
    assert (
        second.code not in client.get(reverse("points_codes_export", args=["csv"])).content.decode()
    )
