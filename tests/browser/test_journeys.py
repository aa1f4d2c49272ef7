"""Each role's journey as a newcomer walks it, on a phone (390 px), one screenshot per step
(test-artifacts/<journey>-<nn>-<step>.png), no step scrolling sideways or with buttons too small to tap:
- new-helper: sign up with consent, confirm the email, fill the profile, apply, see it on my page;
- helper: a recommendation, apply, check in when it opens, the nushi's thank-you, an impression, the wallet;
- nushi: lands on their programs, the roster, decides a selection application, sends a thank-you;
- staff: signs in with two-factor authentication, the dashboard, a need taken by phone, a program with
  its cover photo, publishing, sessions, a cancellation through its confirmation page, the monthly report.
The visitor's journey is in test_visitor_journey.py."""

import re
import time
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, expect

from accounts.models import HelperProfile, Municipality
from points import services as points_services
from points.models import Account
from portal.demo import people
from portal.models import Application, Program, Session
from portal.selectors.matching import forget_open_sessions
from portal.services import applications as application_services
from portal.services import attendance as attendance_services
from reports.models import MonthlyReport
from tests.accounts.factories import PASSWORD, HelperProfileFactory
from tests.browser.journeys import Walk, serve_media
from tests.browser.test_program_flow import PHONE, local
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory
from tests.portal.images import jpeg_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone(browser: Browser):
    context = browser.new_context(**PHONE)
    serve_media(context)
    return context.new_page()


def sign_in(page, live_server, email: str, password: str = PASSWORD) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_new_helper_signs_up_and_applies(browser: Browser, live_server, municipality, organization):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title="みょうが畑づくり体験"
    )
    session = SessionFactory(program=program)
    page = phone(browser)
    walk = Walk(page, "new-helper")

    page.goto(live_server.url + "/")
    walk.step("home")
    page.get_by_role("link", name="新規登録").first.click()
    page.get_by_label("メールアドレス").fill("haruto@example.jp")
    page.get_by_label(re.compile(r"^パスワード\s*（必須）")).fill("myoga-batake-2026")
    page.get_by_label(re.compile(r"^パスワード \(再入力\)")).fill("myoga-batake-2026")
    page.get_by_label("表示名（ニックネーム可）").fill("はると")
    page.get_by_label("郵便番号").fill("9200853")
    page.get_by_label("利用規約とプライバシーポリシーに同意します").check()
    walk.step("signup")
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("メールアドレスを確認")
    walk.step("check-your-email")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://localhost:8000", live_server.url))
    walk.step("confirm-email")
    page.get_by_role("button", name="確認").click()

    page.goto(live_server.url + "/mypage/profile/")
    page.get_by_label("生まれた年").select_option("1995")
    page.get_by_label("農作業", exact=True).check()
    page.get_by_label("土", exact=True).check()
    page.get_by_label("自己紹介").fill("金沢から週末に通えます。")
    walk.step("profile")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_test_id("profile-home")).to_have_text("石川県金沢市")
    walk.step("mypage-with-profile")

    page.goto(f"{live_server.url}/programs/{program.pk}/")
    walk.step("program")
    page.get_by_role("link", name="この日に応募する").first.click()
    page.get_by_label("備考（任意）").fill("はじめてです。よろしくお願いします。")
    walk.step("apply")
    page.get_by_role("button", name="応募する").click()
    expect(page.get_by_test_id("application-status")).to_have_text("参加確定")
    walk.step("applied")

    page.goto(live_server.url + "/mypage/")
    expect(page.get_by_test_id("my-upcoming")).to_contain_text("みょうが畑づくり体験")
    walk.step("mypage-with-application")
    assert Application.objects.get(session=session).helper.email == "haruto@example.jp"


def test_helper_from_a_recommendation_to_the_wallet(
    browser: Browser, live_server, municipality, organization, nushi
):
    municipality.points_name = "さるぼぼコイン"
    municipality.save()
    points_services.budget_fund(
        municipality_id=municipality.pk, source="一般財源", amount=10_000, key="f", actor=None
    )
    # Starts in five hours: applications close in one, check-in opens three hours before the start.
    starts = timezone.now() + timedelta(hours=5)
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title="みょうが畑の草取り",
        points_per_participant=500,
    )  # fmt: skip
    session = SessionFactory(
        program=program, starts_at=starts, ends_at=starts + timedelta(hours=2),
        apply_deadline=starts - timedelta(hours=1),
    )  # fmt: skip
    helper = HelperProfileFactory(
        display_name="ゆうき", home_prefecture="岐阜県", home_municipality="高山市",
        available_weekdays=list(range(7)), skills=["farming"],
    ).user  # fmt: skip
    before = SessionFactory(program=program, starts_at=timezone.now() - timedelta(days=60))
    ApplicationFactory(session=before, helper=helper, status=Application.Status.ATTENDED)
    forget_open_sessions()  # the recommender's table of open sessions, kept per process

    page = phone(browser)
    walk = Walk(page, "helper")
    sign_in(page, live_server, helper.email)
    recommendations = page.get_by_test_id("recommendations")
    expect(recommendations).to_contain_text("みょうが畑の草取り")
    walk.step("recommendations")
    recommendations.get_by_role("link", name="みょうが畑の草取り").first.click()
    walk.step("program")
    page.get_by_role("link", name="この日に応募する").first.click()
    page.get_by_role("button", name="応募する").click()
    expect(page.get_by_test_id("application-status")).to_have_text("参加確定")
    application = Application.objects.get(session=session, helper=helper)
    walk.step("accepted")

    with time_machine.travel(starts - timedelta(hours=2, minutes=30), tick=True):
        # Check-in is open: the nushi types the code the helper shows.
        page.goto(f"{live_server.url}/applications/{application.pk}/")
        expect(page.get_by_test_id("checkin-code")).to_contain_text(application.checkin_code)
        walk.step("checkin-code")
        attendance_services.attendance_check_in(
            session_id=session.pk, code=application.checkin_code, actor=nushi
        )
    with time_machine.travel(starts + timedelta(hours=3), tick=True):
        attendance_services.session_close(session_id=session.pk, actor=nushi)
        points_services.points_settle_attendance(application_id=application.pk)
        nushi_page = phone(browser)
        sign_in(nushi_page, live_server, nushi.email)
        nushi_page.goto(f"{live_server.url}/sessions/{session.pk}/thanks/")
        nushi_page.get_by_label("お礼のメッセージ").fill("草取り、ありがとうございました！")
        nushi_page.get_by_role("button", name="送る").click()

        page.goto(f"{live_server.url}/applications/{application.pk}/")
        expect(page.get_by_test_id("application-status")).to_have_text("参加済み")
        expect(page.get_by_text("草取り、ありがとうございました！")).to_be_visible()
        walk.step("thank-you")
        page.get_by_label("感想").fill("畑の広さにおどろきました。また行きます。")
        page.get_by_role("button", name="感想を送る").click()
        expect(page.get_by_label("感想")).to_have_value("畑の広さにおどろきました。また行きます。")
        walk.step("impression")

        page.goto(live_server.url + "/mypage/")
        page.get_by_test_id("wallet-link").click()
        expect(page.get_by_test_id("wallet-balance")).to_contain_text("500 さるぼぼコイン")
        walk.step("wallet")
    assert Account.objects.get(kind="wallet", helper=helper).code


def test_nushi_decides_and_thanks(
    browser: Browser, live_server, municipality, organization, nushi, helper
):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title="みょうが畑の草取り"
    )
    starts = timezone.now() + timedelta(days=3)
    selection = SessionFactory(
        program=program, starts_at=starts, capacity=3, acceptance_mode="selection",
        apply_deadline=starts - timedelta(days=1),
    )  # fmt: skip
    HelperProfile.objects.filter(user=helper).update(skills=["farming", "driving"])
    application_services.application_submit(
        helper=helper, session_id=selection.pk, message="軽トラの運転ができます。"
    )
    past = SessionFactory(program=program, starts_at=timezone.now() - timedelta(days=2))
    ApplicationFactory(
        session=past, helper=HelperProfileFactory(display_name="けんた").user, status="attended"
    )

    page = phone(browser)
    walk = Walk(page, "nushi")
    sign_in(page, live_server, nushi.email)
    expect(page).to_have_url(live_server.url + "/host/")
    walk.step("dashboard")
    page.get_by_test_id("waiting-decisions").get_by_role("link", name="名簿で選ぶ").click()
    row = page.get_by_test_id("roster-waiting").get_by_test_id("roster-row")
    expect(row).to_contain_text("軽トラの運転ができます。")
    walk.step("roster")
    row.get_by_role("button", name="参加確定にする").click()
    expect(page.get_by_test_id("roster-held")).to_contain_text("ゆうき")
    walk.step("decided")

    page.goto(live_server.url + "/host/")
    page.get_by_test_id("thanks-due").get_by_role("link", name="お礼を送る").click()
    page.get_by_label("お礼のメッセージ").fill("草取りのおかげで、畑がすっかりきれいになりました。")
    walk.step("thank-you")
    page.get_by_role("button", name="送る").click()
    expect(page.get_by_role("status")).to_contain_text("お礼のメッセージを参加者に送りました。")
    walk.step("thank-you-sent")
    assert Application.objects.get(session=selection).status == "accepted"


def test_staff_from_sign_in_to_the_monthly_report(browser: Browser, live_server):
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    page = phone(browser)
    walk = Walk(page, "staff")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(people.STAFF_EMAIL)
    page.get_by_label("パスワード").fill(people.DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    code = format_hotp_value(hotp_value(people.DEMO_TOTP_SECRET, int(time.time()) // 30))
    page.locator("input[name=code]").fill(code)
    walk.step("two-factor")
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(live_server.url + "/staff/today/")
    walk.step("dashboard")

    page.get_by_role("link", name="電話・紙の相談を登録").first.click()
    page.get_by_label("ヌシ（団体・個人）").select_option(label="みょうが農家 中田さん")
    page.get_by_label("困っていること（ひとことで）").fill("みょうが畑の草取りを手伝ってほしい")
    page.get_by_label("くわしく教えてください").fill("畑が広くて、一人では草取りが追いつきません。")
    page.get_by_label("日にちはいつでもよい").check()
    page.get_by_label("何人くらい来てほしいですか").fill("4")
    walk.step("need-intake")
    page.get_by_role("button", name="登録する").click()
    page.get_by_role("link", name="プログラムを作る").click()
    page.locator("#id_title").fill("みょうが畑の草取り")
    page.locator("#id_summary").fill("飛騨の山あいで、みょうが畑の草を取ります。")
    page.locator("#id_category").select_option("farming")
    page.locator("#id_meeting_place").fill("古川町公民館")
    cover = jpeg_with_gps("cover.jpg", size=(600, 400))
    page.locator("#id_cover_image").set_input_files(
        files=[{"name": "cover.jpg", "mimeType": "image/jpeg", "buffer": cover.read()}]
    )
    walk.step("program-form")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_test_id("program-status")).to_have_text("下書き")
    page.get_by_role("link", name="開催日を追加").click()
    page.locator("#id_starts_at").fill(local(14, 9))
    page.locator("#id_ends_at").fill(local(14, 12))
    page.locator("#id_capacity").fill("6")
    page.locator("#id_apply_deadline").fill(local(11, 18))
    walk.step("session-form")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_test_id("staff-sessions").locator("li")).to_have_count(1)
    page.get_by_role("button", name="ヌシに確認を依頼").click()
    walk.step("program-draft")
    page.get_by_role("link", name="確認用ページ").click()
    walk.step("preview")
    page.get_by_test_id("confirm-for-nushi").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("ヌシに代わって、確認を記録しました。")
    page.get_by_role("button", name="公開する").click()
    expect(page.get_by_test_id("program-status")).to_have_text("公開中")
    walk.step("published")
    program = Program.objects.get(title="みょうが畑の草取り")
    session = Session.objects.get(program=program)

    page.get_by_test_id("staff-sessions").get_by_role("link", name="名簿").click()
    walk.step("roster")
    page.get_by_role("link", name="この日程を中止する").click()
    page.get_by_label("中止の理由（参加者全員に届きます）").fill("大雨の予報のため")
    page.get_by_label("上の内容を確認しました").check()
    walk.step("cancel-confirm")
    page.get_by_role("button", name="中止して全員に連絡する").click()
    expect(page.get_by_text(re.compile("中止にしました"))).to_be_visible()
    walk.step("cancelled")
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED

    page.get_by_role("link", name="事務局").click()
    page.get_by_test_id("staff-more").get_by_role("link", name="月次参加レポート").click()
    walk.step("monthly-reports")
    hida = Municipality.objects.get(slug="hida")
    report = MonthlyReport.objects.filter(municipality=hida).order_by("-year", "-month").first()
    page.get_by_role("link", name=f"{hida} {report.year}年{report.month}月").first.click()
    expect(page.get_by_role("table", name="概要")).to_be_visible()
    walk.step("monthly-report")
