"""Staff correct a closed session's attendance (attended <-> no-show) on a confirmation page that says
what happens to the points and shows the message the helper will get; the reason is required; only
staff of the session's municipality may (404 for the nushi, a helper, another municipality's staff);
a page left open cannot flip a correction back."""

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from points import codes, services
from points.models import Issuer, PointCode, SettleRequest, Transaction
from points.selectors import wallet_balance
from portal.models import Application
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(municipality):
    services.budget_fund(
        municipality_id=municipality.pk, source="一般財源", amount=100_000, key="f", actor=None
    )
    return municipality


@pytest.fixture
def credited(funded, helper):
    """A closed session of 飛騨市 (500 points each) that credited `helper`."""
    _session, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    return app


def _url(app, to):
    return reverse("attendance_correct", args=[app.pk, to])


def test_page_says_what_happens_and_shows_the_helpers_message(client, staff, credited):
    client.force_login(staff)
    page = client.get(_url(credited, "no_show")).content.decode()
    assert "「参加済み」から「欠席」に直します" in page
    assert "付与した 500" in page and "を取り消します" in page
    assert 'data-testid="told-group"' in page and "ゆうき" in page
    assert "の付与を取り消しました" in page  # the reversal notice's own subject
    assert "（ここに入力した訂正の理由が入ります）" in page


def test_correction_reverses_the_credit_and_tells_the_helper(
    client, staff, credited, helper, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(credited, "no_show"), {"reason": "別の方の受付でした", "confirm": "on"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("session_roster", args=[credited.session_id])
    credited.refresh_from_db()
    assert credited.status == "no_show"
    assert (
        wallet_balance(
            helper_id=helper.pk, municipality_id=credited.session.program.municipality_id
        )
        == 0
    )
    reversal = Transaction.objects.get(kind="reversal")
    assert reversal.reason == "別の方の受付でした"
    message = OutboxMessage.objects.get(recipient=helper, kind="points_reversed")
    assert "別の方の受付でした" in message.body


def test_back_to_attended_credits_again(
    client, staff, credited, helper, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(credited, "no_show"), {"reason": "訂正", "confirm": "on"})
    page = client.get(_url(credited, "attended")).content.decode()
    assert "を予算から付与します" in page
    assert "を受け取りました" in page  # the credit notice's subject
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(credited, "attended"), {"reason": "やはり参加", "confirm": "on"})
    credited.refresh_from_db()
    assert credited.status == "attended"
    assert (
        wallet_balance(
            helper_id=helper.pk, municipality_id=credited.session.program.municipality_id
        )
        == 500
    )


def test_reason_and_confirmation_are_required_and_nothing_changes(client, staff, credited):
    client.force_login(staff)
    response = client.post(_url(credited, "no_show"), {"reason": "  ", "confirm": "on"})
    assert response.status_code == 400
    assert "訂正の理由を入力してください" in response.content.decode()
    response = client.post(_url(credited, "no_show"), {"reason": "受付の誤り"})
    assert response.status_code == 400
    assert "チェックを入れてください" in response.content.decode()
    assert "受付の誤り" in response.content.decode()  # the typed reason in the preview
    response = client.post(_url(credited, "no_show"), {"reason": "x" * 301, "confirm": "on"})
    assert response.status_code == 400
    credited.refresh_from_db()
    assert (
        credited.status == "attended"
        and not SettleRequest.objects.filter(application_id=credited.pk).exists()
    )


def test_only_staff_of_the_municipality(client, credited, nushi, helper, other_municipality_staff):
    """The permission (can_correct_attendance) removed once: the nushi got the page (200, not 404)
    and this test failed."""
    for user in (nushi, helper, other_municipality_staff):
        client.force_login(user)
        assert client.get(_url(credited, "no_show")).status_code == 404
        assert (
            client.post(_url(credited, "no_show"), {"reason": "x", "confirm": "on"}).status_code
            == 404
        )
    client.logout()
    assert client.get(_url(credited, "no_show")).status_code == 302
    credited.refresh_from_db()
    assert credited.status == "attended"


def test_a_stale_page_cannot_flip_it_back(client, staff, credited):
    client.force_login(staff)
    client.post(_url(credited, "no_show"), {"reason": "一人目", "confirm": "on"})
    # a colleague's page, opened before, posts the same correction again
    response = client.post(_url(credited, "no_show"), {"reason": "二人目", "confirm": "on"})
    assert response.status_code == 302
    credited.refresh_from_db()
    assert credited.status == "no_show"
    assert SettleRequest.objects.filter(application_id=credited.pk).count() == 1
    assert client.get(_url(credited, "bogus")).status_code == 404


def test_an_open_session_is_not_corrected_here(client, staff, funded, helper):
    _session, (app,) = ended_session(funded, helpers=[helper], closed=False)
    client.force_login(staff)
    response = client.post(_url(app, "no_show"), {"reason": "x", "confirm": "on"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "attended"


def test_roster_links_to_the_correction_for_staff_only(client, staff, nushi, credited):
    url = reverse("session_roster", args=[credited.session_id])
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert _url(credited, "no_show") in page
    client.force_login(nushi)
    assert 'data-testid="correct-attendance"' not in client.get(url).content.decode()


def test_page_says_an_open_code_is_voided_and_a_redeemed_one_is_not_taken_back(
    client, staff, funded, helper
):
    Issuer.objects.create(municipality=funded, kind=Issuer.Kind.CODES)
    _session, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    code = PointCode.objects.get()
    client.force_login(staff)
    page = client.get(_url(app, "no_show")).content.decode()
    assert f"ポイントコード {code.printed} は無効になり" in page
    codes.point_code_redeem(code=code.code, municipality_id=funded.pk, actor=staff)
    page = client.get(_url(app, "no_show")).content.decode()
    assert f"ポイントコード {code.printed} はすでに交換済みのため取り戻せません" in page
    assert "500 ポイントは交換・失効済みのため取り消せませんでした" in page  # the message's reason
    assert Application.objects.get(pk=app.pk).status == "attended"
