"""Where the points go: staff set their municipality's issuer; the reconciliation page lists credits the
operator has not confirmed and compares an operator's statement (CSV, UTF-8 or cp932) with the ledger;
bad files get a clear message. Other municipalities' staff get 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from points import issuers, services
from points.models import Account, Issuer, OperatorPush
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(funded, operator, helper, other_helper):
    """Two credits of 500 pushed and confirmed, a third pushed and still pending (the operator is
    down)."""
    Issuer.objects.create(
        municipality=funded, kind="operator", operator_url=operator.url, api_key=operator.key
    )
    _, apps = ended_session(funded, helpers=[helper, other_helper])
    _, later = ended_session(funded, helpers=[helper], points=300)
    for app in [*apps, *later]:
        services.points_settle_attendance(application_id=app.pk)
    for push in OperatorPush.objects.filter(amount=500):
        issuers.operator_push_send(push_id=push.pk)
    return {
        "mine": Account.objects.get(kind="wallet", helper=helper).code,
        "theirs": Account.objects.get(kind="wallet", helper=other_helper).code,
    }


def _upload(client, municipality, text, encoding="utf-8", name="statement.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post(
        reverse("points_reconcile") + f"?municipality={municipality.pk}",
        {"statement": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_read_statement_utf8_bom_and_cp932():
    text = '口座,ポイント,メモ\nABC,500,飛騨\nABC,"1,000",\nXYZ,300,\n\n'
    expected = {"ABC": 1500, "XYZ": 300}
    assert issuers.read_statement(text.encode()) == expected
    assert issuers.read_statement(("\ufeff" + text).encode()) == expected
    assert issuers.read_statement(text.encode("cp932")) == expected
    assert issuers.read_statement(b"account,amount\nABC,5\n") == {"ABC": 5}


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "ファイルが空です"),
        (b"\x81\x20,\x82\x7f\n", "文字コードを読み取れません"),
        ("名前,金額\nABC,5\n".encode(), "列名が必要です"),
        ("口座,ポイント\nABC,五百\n".encode(), "2 行目を読み取れません"),
        ("口座,ポイント\n,5\n".encode(), "2 行目に口座がありません"),
    ],
)
def test_bad_statements_are_refused_with_a_message(raw, message):
    with pytest.raises(issuers.StatementError, match=message):
        issuers.read_statement(raw)


def test_reconcile_lists_unconfirmed_and_compares_statement(client, staff, funded, pushed):
    client.force_login(staff)
    page = client.get(reverse("points_reconcile")).content.decode()
    assert page.count('data-testid="push-row"') == 1 and "300" in page and "未確認" in page
    mine, theirs = pushed["mine"], pushed["theirs"]
    matching = f"口座,ポイント\n{mine},500\n{theirs},500\n"
    page = _upload(client, funded, matching, "cp932").content.decode()
    assert "すべての口座で合計が一致しました" in page
    wrong = f"口座,ポイント\n{mine},800\nSTRANGER,100\n"
    page = _upload(client, funded, wrong).content.decode()
    assert page.count('data-testid="difference-row"') == 3
    assert "台帳 500／事業者 800（差 300）" in page
    assert "台帳 500／事業者 0（差 -500）" in page
    assert "台帳 0／事業者 100（差 100）" in page


def test_reconcile_bad_file_gets_a_message(client, staff, funded, pushed):
    client.force_login(staff)
    response = _upload(client, funded, "名前\nx\n")
    assert response.status_code == 400
    assert "列名が必要です" in response.content.decode()
    assert OperatorPush.objects.count() == 3  # nothing lost or changed


def test_failed_push_is_sent_again_from_the_page(
    client, staff, other_municipality_staff, funded, pushed, operator
):
    push = OperatorPush.objects.get(state="pending")
    OperatorPush.objects.filter(pk=push.pk).update(state="failed")
    url = reverse("points_reconcile_retry", args=[push.pk])
    client.force_login(other_municipality_staff)
    assert client.post(url).status_code == 404
    assert client.post(url + f"?municipality={funded.pk}").status_code == 404
    client.force_login(staff)
    assert client.post(url + f"?municipality={funded.pk}").status_code == 302
    push.refresh_from_db()
    assert push.state == "pending"


def test_other_municipality_staff_get_404(client, other_municipality_staff, funded, pushed):
    client.force_login(other_municipality_staff)
    for name in ("points_reconcile", "points_issuer"):
        url = reverse(name) + f"?municipality={funded.pk}"
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404
    page = client.get(reverse("points_reconcile")).content.decode()
    assert pushed["mine"] not in page


def test_staff_set_the_issuer(client, staff, funded):
    client.force_login(staff)
    url = reverse("points_issuer") + f"?municipality={funded.pk}"
    assert "内部ウォレット" in client.get(url).content.decode()
    response = client.post(url, {"kind": "operator", "operator_url": "", "account_map": ""})
    assert response.status_code == 400 and "URLが必要です" in response.content.decode()
    response = client.post(
        url, {"kind": "operator", "operator_url": "https://op.example.jp/api", "api_key": "k1",
              "account_map": "abc234,HIDA-1\nbad line\n"},
    )  # fmt: skip
    assert response.status_code == 400 and "2 行目は" in response.content.decode()
    assert not Issuer.objects.exists()
    data = {"kind": "operator", "operator_url": "https://op.example.jp/api", "api_key": "k1",
            "account_map": "abc234,HIDA-1\n"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    issuer = Issuer.objects.get(municipality=funded)
    assert (issuer.kind, issuer.api_key, issuer.account_map) == (
        "operator",
        "k1",
        {"ABC234": "HIDA-1"},
    )
    page = client.get(url).content.decode()
    assert "k1" not in page and "APIキーは登録済みです" in page
    # an empty key keeps the current one
    assert client.post(url, {**data, "api_key": ""}).status_code == 302
    assert Issuer.objects.get().api_key == "k1"
