"""Every URL of the portal against people it does not belong to: anonymous visitors, a helper with no part
in it, another nushi, another municipality's staff. Public and sign-in-only pages are listed as such;
every other page must answer them with the login page, 403 or 404, by GET and by POST, and change
nothing. A route missing from ROUTES fails the test, so a new view cannot skip this check."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from notifications.delivery import MAX_ATTEMPTS
from notifications.kinds import Topic
from notifications.models import OutboxMessage
from notifications.preferences import unsubscribe_token
from points.ledger import account as points_account
from points.models import OperatorPush
from points.models import Transaction as PointsTransaction
from portal.models import ActivityReport, ProgramPhoto
from tests.portal.factories import ApplicationFactory, NeedFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db

PUBLIC, SIGNED_IN, STAFF, PRIVATE = "public", "signed in", "any staff", "private"
NUSHI = "any nushi"  # their own page: another nushi opens theirs, with nothing of this nushi's
FORM = "anyone, by POST only"  # the language switch (tests/accounts/test_signup.py)

# name -> (who may open it, the URL's arguments from the world below)
ROUTES = {
    "home": (PUBLIC, lambda w: {}),
    "healthz": (PUBLIC, lambda w: {}),
    "robots_txt": (PUBLIC, lambda w: {}),
    "set_language": (FORM, lambda w: {}),
    "program_list": (PUBLIC, lambda w: {}),
    "program_calendar": (PUBLIC, lambda w: {}),
    "program_detail": (PUBLIC, lambda w: {"pk": w["program"].pk}),
    "session_ics": (PUBLIC, lambda w: {"pk": w["program"].pk, "session_pk": w["session"].pk}),
    "report_list": (PUBLIC, lambda w: {}),
    "report_detail": (PUBLIC, lambda w: {"pk": w["report"].pk}),
    "postal_lookup": (PUBLIC, lambda w: {}),
    "municipality_page": (PUBLIC, lambda w: {"slug": w["program"].municipality.slug}),
    "nushi_page": (PUBLIC, lambda w: {"pk": w["program"].nushi_id}),
    "mypage": (SIGNED_IN, lambda w: {}),
    "profile_edit": (SIGNED_IN, lambda w: {}),
    "need_create": (SIGNED_IN, lambda w: {}),
    "application_apply": (SIGNED_IN, lambda w: {"session_pk": w["session"].pk}),
    "need_detail": (PRIVATE, lambda w: {"pk": w["need"].pk}),
    "need_edit": (PRIVATE, lambda w: {"pk": w["need"].pk}),
    "need_withdraw": (PRIVATE, lambda w: {"pk": w["need"].pk}),
    "program_preview": (
        PRIVATE,
        lambda w: {"pk": w["draft"].pk, "token": w["draft"].preview_token},
    ),
    "program_confirm": (
        PRIVATE,
        lambda w: {"pk": w["draft"].pk, "token": w["draft"].preview_token},
    ),
    "program_request_changes": (
        PRIVATE,
        lambda w: {"pk": w["draft"].pk, "token": w["draft"].preview_token},
    ),
    "program_confirm_for_nushi": (
        PRIVATE,
        lambda w: {"pk": w["draft"].pk, "token": w["draft"].preview_token},
    ),
    "staff_dashboard": (STAFF, lambda w: {}),
    "nushi_dashboard": (NUSHI, lambda w: {}),
    "staff_home": (STAFF, lambda w: {}),
    "staff_need_create": (STAFF, lambda w: {}),
    "staff_need_detail": (PRIVATE, lambda w: {"pk": w["need"].pk}),
    "staff_need_reject": (PRIVATE, lambda w: {"pk": w["need"].pk}),
    "staff_program_create": (PRIVATE, lambda w: {"need_pk": w["need"].pk}),
    "staff_program_detail": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    "staff_program_edit": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    "staff_program_action": (PRIVATE, lambda w: {"pk": w["program"].pk, "action": "close"}),
    "staff_session_create": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    "staff_session_edit": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "staff_photo_add": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    "staff_photo_delete": (PRIVATE, lambda w: {"pk": w["photo"].pk}),
    "staff_report_create": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    "staff_report_detail": (PRIVATE, lambda w: {"pk": w["draft_report"].pk}),
    "staff_report_publish": (PRIVATE, lambda w: {"pk": w["draft_report"].pk}),
    "staff_outbox": (STAFF, lambda w: {}),
    "staff_outbox_failures": (STAFF, lambda w: {}),
    "staff_outbox_retry": (PRIVATE, lambda w: {"pk": w["failed_message"].pk}),
    "application_detail": (PRIVATE, lambda w: {"pk": w["application"].pk}),
    "application_cancel": (PRIVATE, lambda w: {"pk": w["application"].pk}),
    "application_qr": (PRIVATE, lambda w: {"pk": w["application"].pk}),
    "application_impression": (PRIVATE, lambda w: {"pk": w["attended"].pk}),
    "application_certificate": (PRIVATE, lambda w: {"pk": w["attended"].pk}),
    "application_decide": (PRIVATE, lambda w: {"pk": w["application"].pk}),
    "application_messages": (PRIVATE, lambda w: {"pk": w["application"].pk}),
    "session_roster": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "session_checkin": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "session_attendance": (PRIVATE, lambda w: {"pk": w["past_session"].pk}),
    "session_close": (PRIVATE, lambda w: {"pk": w["past_session"].pk}),
    "session_cancel": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "attendance_correct": (PRIVATE, lambda w: {"pk": w["attended"].pk, "to": "no_show"}),
    "session_rain_date": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "session_messages": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "session_thanks": (PRIVATE, lambda w: {"pk": w["past_session"].pk}),
    "session_report_draft": (PRIVATE, lambda w: {"pk": w["past_session"].pk}),
    "session_candidates": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "session_invite": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "program_allocation": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    # Bulk decisions' confirmation pages (h-forms).
    "program_allocation_confirm": (PRIVATE, lambda w: {"pk": w["program"].pk}),
    "session_decisions": (PRIVATE, lambda w: {"pk": w["session"].pk}),
    "notification_preferences": (SIGNED_IN, lambda w: {}),
    # The signed link is the authority (one-click unsubscribe): it opens for anyone holding it.
    "notifications_unsubscribe": (PUBLIC, lambda w: {"token": w["unsubscribe_token"]}),
    "page_terms": (PUBLIC, lambda w: {}),
    "page_privacy": (PUBLIC, lambda w: {}),
    "page_faq": (PUBLIC, lambda w: {}),
    "page_terms_municipality": (PUBLIC, lambda w: {"slug": w["program"].municipality.slug}),
    "page_privacy_municipality": (PUBLIC, lambda w: {"slug": w["program"].municipality.slug}),
    "page_faq_municipality": (PUBLIC, lambda w: {"slug": w["program"].municipality.slug}),
    "contact": (PUBLIC, lambda w: {}),
    "contact_municipality": (PUBLIC, lambda w: {"slug": w["program"].municipality.slug}),
    "contact_sent": (PUBLIC, lambda w: {"slug": w["program"].municipality.slug}),
    "consent": (SIGNED_IN, lambda w: {}),
    "staff_pages": (STAFF, lambda w: {}),
    "staff_page_edit": (PRIVATE, lambda w: {"pk": w["program"].municipality_id, "kind": "terms"}),
    "points_wallet": (SIGNED_IN, lambda w: {}),
    "points_wallet_qr": (PRIVATE, lambda w: {"code": w["wallet"].code}),
    "points_ledger": (STAFF, lambda w: {}),
    "points_ledger_export": (STAFF, lambda w: {"fmt": "csv"}),
    "points_redeem": (STAFF, lambda w: {}),
    "points_issuer": (STAFF, lambda w: {}),
    "points_reconcile": (STAFF, lambda w: {}),
    "points_codes": (STAFF, lambda w: {}),
    "points_codes_export": (STAFF, lambda w: {"fmt": "csv"}),
    "points_reconcile_retry": (PRIVATE, lambda w: {"pk": w["failed_push"].pk}),
}
OUR_APPS = ("portal.", "accounts.", "notifications.", "points.")


def our_route_names() -> set[str]:
    """Named routes whose views live in our apps (the admin, allauth and i18n are others' and tested
    by their own rules: the admin, whose views our admin classes override, in test_admin_scoping)."""
    names = set()

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace != "admin":
                    walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name:
                module = getattr(p.callback, "__module__", "")
                if module.startswith(OUR_APPS):
                    names.add(p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_route_is_in_the_matrix():
    assert our_route_names() == set(ROUTES)


@pytest.fixture
def world(municipality, organization, nushi, helper):
    now = timezone.now()
    program = ProgramFactory(municipality=municipality, nushi=organization)
    session = SessionFactory(program=program, capacity=5)
    # A rain date, so that its confirmation page opens for staff.
    session.rain_starts_at = session.starts_at + timedelta(days=1)
    session.rain_ends_at = session.ends_at + timedelta(days=1)
    session.save()
    past_session = SessionFactory(
        program=program,
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=3),
        apply_deadline=now - timedelta(days=4),
    )
    application = ApplicationFactory(session=session, helper=helper, status="accepted")
    attended = ApplicationFactory(session=past_session, helper=helper, status="attended")
    draft = ProgramFactory(municipality=municipality, nushi=organization, status="pending_nushi")
    photo = ProgramPhoto.objects.create(program=program, image="programs/x.jpg", caption="畑")
    report = ActivityReport.objects.create(
        program=program, title="報告", body="ありがとう", status="published", published_at=now
    )
    draft_report = ActivityReport.objects.create(program=program, title="下書き", body="…")
    need = NeedFactory(municipality=municipality, nushi=organization)
    # A notification about this municipality's program that could not be sent after every try.
    failed_message = OutboxMessage.objects.create(
        recipient=helper, kind="program_cancelled", object_key=f"program:{program.pk}",
        subject=program.title, body="…", due_at=now, attempts=MAX_ATTEMPTS,
        last_error="SMTPRecipientsRefused", municipality=municipality,
    )  # fmt: skip
    return {
        "program": program, "session": session, "past_session": past_session,
        "application": application, "attended": attended, "draft": draft, "photo": photo,
        "report": report, "draft_report": draft_report, "need": need,
        "failed_message": failed_message,
        "unsubscribe_token": unsubscribe_token(helper.pk, Topic.NEWS),
        "wallet": points_account(
            municipality_id=municipality.pk, kind="wallet", helper_id=helper.pk
        ),
        "failed_push": OperatorPush.objects.create(
            transaction=PointsTransaction.objects.create(
                kind="credit", municipality=municipality, idempotency_key="matrix:push"
            ),
            municipality=municipality, account="HIDA-1", amount=100, state="failed",
        ),
    }  # fmt: skip


def snapshot() -> dict:
    """Every row of our apps' models, all fields: a refused request must leave this unchanged."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in ("portal", "accounts", "notifications", "points")
    }


@pytest.fixture(params=["anonymous", "stranger", "other_nushi", "other_municipality_staff"])
def outsider(request, client, other_helper):
    if request.param != "anonymous":
        user = (
            other_helper if request.param == "stranger" else request.getfixturevalue(request.param)
        )
        client.force_login(user)
    return request.param


def test_outsiders_get_nothing_from_private_pages(client, world, outsider):
    login = reverse("account_login")
    before = snapshot()
    for name, (access, arguments) in ROUTES.items():
        if access in (PUBLIC, FORM) or (access == SIGNED_IN and outsider != "anonymous"):
            continue
        url = reverse(name, kwargs=arguments(world))
        if (access, outsider) in ((STAFF, "other_municipality_staff"), (NUSHI, "other_nushi")):
            # Their own pages, without a trace of this municipality's or this nushi's things.
            page = client.get(url).content.decode()
            assert world["need"].title not in page and world["program"].title not in page
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            status = response.status_code
            if status == 302:
                assert response["Location"].startswith(login), (method, name, outsider)
            else:
                assert status in (403, 404, 405), (method, name, outsider, status)
    assert snapshot() == before


def test_the_matrix_rows_open_for_those_they_belong_to(client, world, nushi, staff, helper):
    """The same URLs work for their owners (so the refusals above are permission, not broken URLs)."""
    owners = {
        "need_detail": nushi, "program_preview": nushi, "staff_program_detail": staff,
        "staff_report_detail": staff, "application_detail": helper, "application_qr": helper,
        "application_certificate": helper, "session_roster": nushi, "session_messages": helper,
        "staff_outbox": staff, "notification_preferences": helper, "staff_page_edit": staff,
        "staff_pages": staff, "consent": helper, "staff_dashboard": staff, "nushi_dashboard": nushi,
        "points_wallet_qr": helper,
        "points_ledger": staff, "points_redeem": staff, "points_ledger_export": staff,
        # Confirmation pages (GET): staff's, and closing the nushi's too.
        "session_cancel": staff, "session_rain_date": staff, "session_close": nushi,
        "staff_program_action": staff,
        "session_candidates": nushi, "program_allocation": staff,
        "points_issuer": staff, "points_reconcile": staff, "points_codes": staff,
        "points_codes_export": staff,
    }  # fmt: skip
    for name, user in owners.items():
        client.force_login(user)
        url = reverse(name, kwargs=ROUTES[name][1](world))
        assert client.get(url).status_code == 200, name
    client.force_login(staff)
    assert world["need"].title in client.get(reverse("staff_home")).content.decode()
    client.force_login(nushi)
    assert world["program"].title in client.get(reverse("nushi_dashboard")).content.decode()
    client.logout()
    for name, (access, arguments) in ROUTES.items():
        if access == PUBLIC:
            assert client.get(reverse(name, kwargs=arguments(world))).status_code == 200, name
