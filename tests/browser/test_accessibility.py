"""WCAG 2.1 AA (the bar JIS X 8341-3 AA sets) checked by axe-core in Chromium on the pages each kind of
user walks through, on a phone-sized screen, with the demo data. axe finds what a machine can (contrast,
names, labels, landmarks, ARIA); keyboard and screen-reader walks stay a human's job."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser

from accounts.models import User
from notifications.delivery import MAX_ATTEMPTS
from notifications.models import OutboxMessage
from portal.demo import people
from portal.models import ActivityReport, Application, Need, Program, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[str]:
    """axe's WCAG A/AA violations on the page as it is now, one line per rule and element."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def context_for(browser: Browser, live_server, email: str | None):
    context = browser.new_context(**PHONE)
    context.route(
        "https://cyberjapandata.gsi.go.jp/**", lambda route: route.fulfill(status=204, body="")
    )
    if email:
        client = Client()
        client.force_login(User.objects.get(email=email))
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
    return context


def check(context, live_server, paths: list[str]) -> dict[str, list[str]]:
    page = context.new_page()
    found = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200 and page.url == live_server.url + path, path
        page.wait_for_load_state("load")
        if problems := violations(page):
            found[path] = problems
    return found


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    # A program of the demo nushi's own organisation, with a map: every section of the page shows.
    program = Program.objects.filter(
        status=Program.Status.PUBLISHED,
        latitude__isnull=False,
        nushi__memberships__user__email=people.NUSHI_EMAIL,
    ).first()
    session = program.sessions.filter(status=Session.Status.SCHEDULED).order_by("starts_at").last()
    report = ActivityReport.objects.filter(status=ActivityReport.Status.PUBLISHED).first()
    application = Application.objects.filter(helper__email=people.HELPER_EMAIL).first()
    past = program.sessions.filter(status=Session.Status.CLOSED).first()
    return {
        "program": program, "session": session, "report": report, "application": application,
        "past": past,
    }  # fmt: skip


def test_the_checker_finds_what_it_should(browser: Browser):
    page = browser.new_page()
    page.set_content(
        '<html lang="ja"><body><main><img src="x.png"><input type="text"></main></body></html>'
    )
    rules = {line.split(" ")[0] for line in violations(page)}
    assert {"image-alt", "label"} <= rules


def test_public_pages_meet_wcag_aa(browser: Browser, live_server, demo):
    paths = [
        "/",
        "/programs/",
        "/programs/?q=%E3%81%BF%E3%82%87%E3%81%86%E3%81%8C",
        "/programs/?q=%E8%8C%97%E8%8D%B7&category=fishing&sort=places",  # 茗荷, a message
        "/programs/calendar/",
        f"/programs/{demo['program'].pk}/",
        "/reports/",
        f"/reports/{demo['report'].pk}/",
        f"/towns/{demo['program'].municipality.slug}/",
        f"/nushi/{demo['program'].nushi_id}/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/pages/terms/",
        "/pages/privacy/",
        "/pages/faq/",
        "/pages/contact/",
        "/pages/hida/contact/sent/",
    ]
    found = check(context_for(browser, live_server, None), live_server, paths)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_helper_and_nushi_pages_meet_wcag_aa(browser: Browser, live_server, demo):
    application = demo["application"]
    helper_paths = [
        "/mypage/",
        "/mypage/notifications/",
        "/mypage/points/",
        f"/sessions/{demo['session'].pk}/apply/",
        f"/applications/{application.pk}/",
        f"/applications/{application.pk}/messages/",
        "/accounts/consent/",
    ]
    found = check(context_for(browser, live_server, people.HELPER_EMAIL), live_server, helper_paths)
    # A helper after a session: the thank-you, the impression form and the wallet with its credit.
    attended = Application.objects.filter(status=Application.Status.ATTENDED).first()
    found |= {
        f"attended helper {k}": v
        for k, v in check(
            context_for(browser, live_server, attended.helper.email),
            live_server,
            [f"/applications/{attended.pk}/", "/mypage/points/", "/mypage/profile/"],
        ).items()
    }
    nushi_paths = [
        "/host/",
        "/mypage/",
        "/needs/new/",
        f"/sessions/{demo['session'].pk}/roster/",
        f"/sessions/{demo['session'].pk}/messages/",
        f"/sessions/{demo['session'].pk}/candidates/",
        # Their need, and a past session: its roster and the thank-you form.
        f"/needs/{Need.objects.filter(nushi=demo['program'].nushi).first().pk}/",
        f"/sessions/{demo['past'].pk}/roster/",
        f"/sessions/{demo['past'].pk}/thanks/",
    ]
    found |= {
        f"nushi {k}": v
        for k, v in check(
            context_for(browser, live_server, people.NUSHI_EMAIL), live_server, nushi_paths
        ).items()
    }
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def bulk_decision_paths(program: Program) -> list[str]:
    """The confirmation pages of a bulk decision on a selection session (who is accepted, who is
    declined, each one's message) and of the allocation proposal, on a selection session of the
    program with two applicants."""
    starts = timezone.now() + timedelta(days=20)
    selection = Session.objects.create(
        program=program, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=2,
        apply_deadline=starts - timedelta(days=3), acceptance_mode=Session.AcceptanceMode.SELECTION,
    )  # fmt: skip
    helpers = User.objects.filter(helper_profile__isnull=False).exclude(
        applications__session__program=program
    )[:2]
    first, second = (Application.objects.create(session=selection, helper=h) for h in helpers)
    roster = f"/sessions/{selection.pk}/decisions/?accept={first.pk}"
    return [
        f"{roster}&action=accept",
        f"{roster}&action=decline_rest",
        f"/programs/{program.pk}/allocation/confirm/?accept={first.pk}&accept={second.pk}",
    ]


def test_staff_pages_meet_wcag_aa(browser: Browser, live_server, demo):
    program = demo["program"]
    # A notification that failed every try, so the delivery page shows a card with its retry button.
    OutboxMessage.objects.create(
        recipient=User.objects.get(email=people.STAFF_EMAIL), kind="test", object_key="a11y",
        subject="件名", body="本文", due_at=timezone.now(), attempts=MAX_ATTEMPTS,
        last_error="SMTPRecipientsRefused", municipality_id=program.municipality_id,
    )  # fmt: skip
    # An online program, as its hosts see it: with the join link and instructions.
    online = Program.objects.filter(is_online=True, municipality_id=program.municipality_id).first()
    # A rain date, so that the page confirming the move to it opens.
    session = demo["session"]
    Session.objects.filter(pk=session.pk).update(
        rain_starts_at=session.starts_at + timedelta(days=1),
        rain_ends_at=session.ends_at + timedelta(days=1),
    )
    paths = [
        "/staff/today/",
        f"/programs/{online.pk}/",
        "/staff/",
        "/staff/needs/new/",
        f"/staff/programs/{program.pk}/",
        f"/staff/programs/{program.pk}/edit/",
        f"/sessions/{demo['session'].pk}/checkin/",
        "/staff/notifications/",
        "/staff/pages/",
        f"/staff/pages/{program.municipality_id}/privacy/",
        "/staff/points/ledger/",
        "/staff/points/redeem/",
        "/staff/points/issuer/",
        "/staff/points/reconcile/",
        "/staff/points/codes/",
        f"/sessions/{demo['session'].pk}/roster/",
        f"/applications/{demo['application'].pk}/messages/",
        # Confirmation pages of actions that tell people or cannot be undone.
        f"/sessions/{session.pk}/cancel/",
        f"/sessions/{session.pk}/rain-date/",
        f"/sessions/{session.pk}/close/",
        f"/staff/programs/{program.pk}/do/close/",
        f"/staff/programs/{program.pk}/do/cancel/",
        f"/sessions/{demo['session'].pk}/candidates/",
        f"/programs/{program.pk}/allocation/",
        # Bulk decisions' confirmation pages (h-forms).
        *bulk_decision_paths(program),
        # From a need to a program: the need, the session and report forms, a report.
        f"/staff/needs/{Need.objects.filter(municipality_id=program.municipality_id).first().pk}/",
        f"/staff/programs/{program.pk}/sessions/new/",
        f"/staff/sessions/{session.pk}/edit/",
        f"/staff/programs/{program.pk}/reports/new/",
        f"/staff/reports/{demo['report'].pk}/",
        f"/sessions/{demo['past'].pk}/roster/",
    ]
    # A closed session's roster (with its correction links) and the attendance correction's page.
    attended = Application.objects.filter(
        status=Application.Status.ATTENDED,
        session__status=Session.Status.CLOSED,
        session__program__municipality_id=program.municipality_id,
    ).first()
    paths += [
        f"/sessions/{attended.session_id}/roster/",
        f"/staff/applications/{attended.pk}/attendance/no_show/",
    ]
    found = check(context_for(browser, live_server, people.STAFF_EMAIL), live_server, paths)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
