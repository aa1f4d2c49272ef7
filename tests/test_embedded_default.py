"""`make run` on the embedded default (SQLite, locmem cache, console email, eager Celery), as README's quick
start has it: migrate and seed_demo in fresh processes, then every demo role walks the pages it uses and
staff close a session, whose points Celery (eager) credits. The rest of the suite runs on PostgreSQL only,
so this is what notices SQL that SQLite cannot run.

Each step is its own process with only PATH/HOME and the variables below, nothing from the suite's
environment (tests/test_production_build.py does the same for the production build). The walk and the
close run in a process of their own too: `python -c` imports this module and calls walk() or
close_and_credit(), which set Django up on the embedded default and use Django's test Client (no server).
Every page is visited even after one fails: the test reports all failures at once."""

import json
import re
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.test_production_build import BASE_ENV, manage

OK = 200
# Where the subprocess's list of failures begins on its stderr (Django logs every error before it).
FAILURES = "=== embedded default:"


def embedded_env(tmp_path: Path) -> dict[str, str]:
    """No variables is the embedded default with BASE_DIR/db.sqlite3; DATABASE_URL only moves the file
    out of the checkout. On its own it would also turn DEBUG off (a real database means production,
    config/settings.py), so DJANGO_DEBUG=1 gives back what `make run` has. The demo photos go to
    tmp_path, not the checkout's media/."""
    return {
        **BASE_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_DEBUG": "1",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }


def printed_logins(out: str) -> dict[str, str]:
    """The demo logins as seed_demo prints them (portal/management/commands/seed_demo.py)."""
    patterns = {
        "password": r"password for all: (\S+)\)",
        "helper": r"helper\s*: (\S+)",
        "nushi": r"nushi\s*: (\S+)",
        "staff": r"事務局 staff\s*: (\S+)",
        "codes_staff": r"\(point codes\): (\S+)",
        "totp_secret": r"TOTP secret: (\w+);",
    }
    logins = {}
    for key, pattern in patterns.items():
        found = re.search(pattern, out)
        assert found, f"seed_demo printed no {key} ({pattern}):\n{out}"
        logins[key] = found[1]
    return logins


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """One seeded database for the module: migrate and seed_demo take about a minute on SQLite."""
    env = embedded_env(tmp_path_factory.mktemp("embedded"))
    manage(env, "migrate", "--noinput", "-v0")
    out = manage(env, "seed_demo")
    return env, printed_logins(out)


def run_in_subprocess(env: dict[str, str], function: str, logins: dict[str, str]) -> None:
    code = f"import sys, tests.test_embedded_default as t; sys.exit(t.{function}(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(logins)],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    # The failures first; then the logs (Django's tracebacks) and the console backend's emails.
    logs, _marker, failures = result.stderr.rpartition(FAILURES)
    assert result.returncode == 0, (
        f"{function}: {failures or '(no list of failures)'}\n--- stderr ---\n{logs[-20000:]}"
        f"\n--- stdout (tail) ---\n{result.stdout[-3000:]}"
    )


def test_every_demo_role_walks_its_pages_without_an_error(demo):
    env, logins = demo
    run_in_subprocess(env, "walk", logins)


def test_staff_close_a_session_and_eager_celery_credits_the_points(demo):
    env, logins = demo
    run_in_subprocess(env, "close_and_credit", logins)


# --- In the subprocess ------------------------------------------------------------------------------


def _explain(exc: BaseException) -> str:
    """The innermost frame of ours and every exception in the chain: with DEBUG on, an SQLite error
    surfaces as the one Django's debug_sql raises while formatting the query, the real one is its
    context."""
    base = str(settings.BASE_DIR)
    ours = [
        f"{frame.filename.removeprefix(base + '/')}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename.startswith(base) and "/.venv/" not in frame.filename
        and "/tests/" not in frame.filename
    ]  # fmt: skip
    chain: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 5:
        line = f"{type(seen).__name__}: {str(seen).strip()[:300]}"
        if line not in chain:  # Django's database errors wrap the driver's, same words
            chain.append(line)
        seen = seen.__cause__ or seen.__context__
    where = f"    at {ours[-1]}\n" if ours else ""
    return where + "".join(f"    {line}\n" for line in reversed(chain))


class Walker:
    """Visits pages with Django's test Client and keeps every failure instead of stopping."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.visited = 0

    @staticmethod
    def client() -> Any:
        from django.test import Client

        # The address `make run` serves: ALLOWED_HOSTS has no "testserver" outside the test runner.
        return Client(SERVER_NAME="127.0.0.1", SERVER_PORT="8000")

    def report(self) -> int:
        """Prints the failures after FAILURES (the test shows them first); the exit status."""
        print(f"{FAILURES} {self.visited} requests, {len(self.failures)} failed", file=sys.stderr)
        print("\n".join(self.failures), file=sys.stderr)
        return 1 if self.failures else 0

    def fail(self, role: str, what: str, detail: str) -> None:
        self.failures.append(f"[{role}] {what}: {detail}")

    def request(
        self, client: Any, role: str, url: str, *, expect: int = OK, to: str | None = None,
        data: dict | None = None,
    ) -> Any:  # fmt: skip
        """GET (POST with data) `url`; `expect` the status, and for a redirect where it goes (`to`)."""
        method = "POST" if data is not None else "GET"
        self.visited += 1
        try:
            response = client.post(url, data) if data is not None else client.get(url)
        except Exception as exc:  # every page's error is reported, not only the first
            self.fail(role, f"{method} {url}", f"raised\n{_explain(exc)}")
            return None
        location = response.get("Location", "")
        if response.status_code != expect:
            self.fail(
                role, f"{method} {url}", f"{response.status_code} (expected {expect}) {location}"
            )
        elif to is not None and location.split("?")[0] != to:
            self.fail(role, f"{method} {url}", f"redirects to {location} (expected {to})")
        return response

    def sign_in(
        self, role: str, email: str, password: str, *, lands_on: str, totp_secret: str = ""
    ) -> Any:
        """The real login form (and TOTP, as staff type it from their app); None if it failed."""
        import time

        from allauth.mfa import app_settings as mfa_settings
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
        from django.urls import reverse

        client = self.client()
        self.request(client, role, reverse("account_login"))
        data = {"login": email, "password": password}
        response = self.request(client, role, reverse("account_login"), data=data, expect=302)
        if response is None:
            return None
        if totp_secret:
            if response["Location"] != reverse("mfa_authenticate"):
                self.fail(role, "login", f"no TOTP step: {response['Location']}")
                return None
            self.request(client, role, reverse("mfa_authenticate"))
            counter = int(time.time()) // mfa_settings.TOTP_PERIOD
            data = {"code": format_hotp_value(hotp_value(totp_secret, counter))}
            response = self.request(
                client, role, reverse("mfa_authenticate"), data=data, expect=302
            )
            if response is None:
                return None
        if response["Location"] != reverse(lands_on):
            self.fail(
                role, "login", f"lands on {response['Location']} (expected {reverse(lands_on)})"
            )
            return None
        return client


def _setup() -> None:
    import django

    django.setup()


def walk(logins_json: str) -> int:
    """Every demo role's pages. Prints the failures to stderr; the exit status is their count (capped)."""
    _setup()
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import Municipality, Organization, User
    from points.models import Account
    from portal.models import ActivityReport, Application, Need, Program, Session
    from reports.charts import CHARTS
    from reports.models import MonthlyReport

    logins = json.loads(logins_json)
    password, secret = logins["password"], logins["totp_secret"]
    w = Walker()
    now = timezone.now()

    def url(name: str, *args: Any) -> str:
        return reverse(name, args=args)

    town = Municipality.objects.get(staff_memberships__user__email=logins["staff"])
    codes_town = Municipality.objects.get(staff_memberships__user__email=logins["codes_staff"])
    published = Program.objects.filter(status=Program.Status.PUBLISHED)
    program = published.filter(municipality=town).order_by("pk").first()
    sessions = Session.objects.filter(program__municipality=town)
    upcoming = sessions.filter(starts_at__gt=now, status=Session.Status.SCHEDULED).order_by("pk")
    past = sessions.filter(status=Session.Status.CLOSED).order_by("-ends_at")
    report = ActivityReport.objects.filter(program__municipality=town).order_by("pk").first()
    missing = [
        name
        for name, value in {
            "published program": program, "upcoming session": upcoming.first(),
            "closed session": past.first(), "activity report": report,
        }.items()
        if value is None
    ]  # fmt: skip
    for name in missing:
        w.fail("demo data", name, f"none in {town}")
    if missing:
        print("\n".join(w.failures), file=sys.stderr)
        return 1
    upcoming_session, past_session = upcoming.first(), past.first()

    # The visitor: public pages, and a signed-in page sends them to the login.
    visitor = w.client()
    for page in [
        url("home"), url("program_list"), url("program_calendar"), url("program_detail", program.pk),
        url("session_ics", program.pk, upcoming_session.pk), url("report_list"),
        url("municipality_page", town.slug), url("municipality_page", codes_town.slug),
        url("nushi_page", program.nushi_id), url("monthly_summary", town.slug),
        url("page_terms"), url("page_privacy"), url("page_faq"), url("contact"),
        url("page_terms_municipality", town.slug), url("contact_municipality", town.slug),
        url("robots_txt"), url("sitemap"), url("healthz"), url("account_login"),
        url("account_signup"), url("account_reset_password"),
    ]:  # fmt: skip
        w.request(visitor, "visitor", page)
    published_report = ActivityReport.objects.filter(status=ActivityReport.Status.PUBLISHED).first()
    if published_report:
        w.request(visitor, "visitor", url("report_detail", published_report.pk))
    for codes_program in published.filter(municipality=codes_town)[:1]:
        w.request(visitor, "visitor", url("program_detail", codes_program.pk))
    login = url("account_login")
    for page in [url("mypage"), url("points_wallet"), url("notification_preferences")]:
        w.request(visitor, "visitor", page, expect=302, to=login)

    # The helper: my page, applications, wallet, messages, notification preferences.
    helper_user = User.objects.get(email=logins["helper"])
    helper = w.sign_in("helper", logins["helper"], password, lands_on="mypage")
    if helper:
        for page in [
            url("home"), url("mypage"), url("profile_edit"), url("program_list"),
            url("program_detail", program.pk), url("points_wallet"),
            url("notification_preferences"),
        ]:  # fmt: skip
            w.request(helper, "helper", page)
        applications = Application.objects.filter(helper=helper_user).select_related(
            "session__program"
        )
        if not applications:
            w.fail("helper", "demo data", "the demo helper has no application")
        for application in applications:
            w.request(helper, "helper", url("application_detail", application.pk))
            w.request(helper, "helper", url("application_messages", application.pk))
            w.request(helper, "helper", url("program_detail", application.session.program_id))
            if (
                application.status in Application.HOLDS_PLACE
                and not application.session.program.is_online
            ):
                w.request(helper, "helper", url("application_qr", application.pk))
        for wallet in Account.objects.filter(helper=helper_user, kind=Account.Kind.WALLET):
            w.request(helper, "helper", url("points_wallet_qr", wallet.code))

    # The nushi: their dashboard, needs, a new need, their sessions' rosters and messages.
    nushi_user = User.objects.get(email=logins["nushi"])
    nushi = w.sign_in("nushi", logins["nushi"], password, lands_on="nushi_dashboard")
    if nushi:
        organizations = Organization.objects.filter(memberships__user=nushi_user)
        for page in [url("nushi_dashboard"), url("mypage"), url("need_create")]:
            w.request(nushi, "nushi", page)
        for need in Need.objects.filter(nushi__in=organizations).order_by("pk")[:5]:
            w.request(nushi, "nushi", url("need_detail", need.pk))
        theirs = Session.objects.filter(program__nushi__in=organizations)
        chosen = [
            *theirs.filter(starts_at__gt=now, status=Session.Status.SCHEDULED).order_by("pk")[:2],
            *theirs.filter(status=Session.Status.CLOSED).order_by("-ends_at")[:1],
        ]
        if not chosen:
            w.fail("nushi", "demo data", "the demo nushi has no session")
        for session in chosen:
            w.request(nushi, "nushi", url("session_roster", session.pk))
            w.request(nushi, "nushi", url("session_messages", session.pk))
            w.request(nushi, "nushi", url("program_detail", session.program_id))
            if session.status == Session.Status.SCHEDULED:
                w.request(nushi, "nushi", url("session_candidates", session.pk))
            for application in session.applications.order_by("pk")[:1]:
                w.request(nushi, "nushi", url("application_messages", application.pk))

    # 飛騨市's staff: dashboard, needs, programs, a roster, points, reconciliation, monthly reports,
    # the admin.
    staff = w.sign_in(
        "staff", logins["staff"], password, lands_on="staff_dashboard", totp_secret=secret
    )
    if staff:
        pages = [
            url("staff_home"), url("staff_dashboard"), url("staff_need_create"),
            url("staff_program_detail", program.pk), url("staff_program_edit", program.pk),
            url("staff_session_create", program.pk), url("program_allocation", program.pk),
            url("staff_session_edit", upcoming_session.pk),
            url("session_roster", upcoming_session.pk), url("session_roster", past_session.pk),
            url("session_candidates", upcoming_session.pk), url("session_close", past_session.pk),
            url("staff_report_create", program.pk), url("staff_report_detail", report.pk),
            url("staff_outbox"), url("staff_pages"),
            url("points_ledger"), url("points_ledger_export", "csv"),
            url("points_ledger_export", "xlsx"), url("points_reconcile"), url("points_redeem"),
            url("points_issuer"), url("staff_monthly_reports"),
        ]  # fmt: skip
        for status in Need.Status.values:
            for need in Need.objects.filter(municipality=town, status=status).order_by("pk")[:1]:
                pages.append(url("staff_need_detail", need.pk))
        monthly = (
            MonthlyReport.objects.filter(municipality=town).order_by("-year", "-month").first()
        )
        if monthly is None:
            w.fail("staff", "demo data", f"no monthly report of {town}")
        else:
            pages.append(url("staff_monthly_report", monthly.pk))
            pages += [url("staff_monthly_report_chart", monthly.pk, name) for name in CHARTS]
            pages += [
                url("staff_monthly_report_export", monthly.pk, ext)
                for ext in ("csv", "xlsx", "pdf")
            ]
        for page in pages:
            w.request(staff, "staff", page)
        # The failed messages are a filter of the outbox page.
        w.request(staff, "staff", url("staff_outbox_failures"), expect=302, to=url("staff_outbox"))
        # Every changelist the admin index links (those the staff's permissions show).
        index = w.request(staff, "staff", url("admin:index"))
        if index is not None:
            changelists = sorted(set(re.findall(r'href="(/admin/\w+/\w+/)"', index.text)))
            if not changelists:
                w.fail("staff", "admin", "the index links no changelist")
            for page in changelists:
                w.request(staff, "staff", page)

    # 白川村's staff, whose points go out as one-time codes.
    codes_staff = w.sign_in(
        "白川村 staff", logins["codes_staff"], password, lands_on="staff_dashboard",
        totp_secret=secret,
    )  # fmt: skip
    if codes_staff:
        pages = [
            url("staff_dashboard"), url("points_codes"), url("points_codes_export", "csv"),
            url("points_codes_export", "pdf"), url("points_ledger"), url("points_reconcile"),
            url("staff_monthly_reports"),
        ]  # fmt: skip
        for codes_program in Program.objects.filter(municipality=codes_town).order_by("pk")[:1]:
            pages.append(url("staff_program_detail", codes_program.pk))
            for session in codes_program.sessions.order_by("pk")[:2]:
                pages.append(url("session_roster", session.pk))
        for page in pages:
            w.request(codes_staff, "白川村 staff", page)

    return w.report()


def close_and_credit(logins_json: str) -> int:
    """Staff mark the attendance of the demo helper's next session and close it (the roster's forms,
    after the session ended: the clock is moved there); eager Celery credits the points."""
    _setup()
    from datetime import timedelta

    import time_machine
    from django.urls import reverse

    from accounts.models import Municipality, User
    from points.selectors import wallet_balance
    from portal.models import Application, Session

    logins = json.loads(logins_json)
    w = Walker()
    helper = User.objects.get(email=logins["helper"])
    town = Municipality.objects.get(staff_memberships__user__email=logins["staff"])
    application = (
        Application.objects.filter(
            helper=helper, status=Application.Status.ACCEPTED,
            session__status=Session.Status.SCHEDULED, session__program__municipality=town,
            session__program__points_per_participant__gt=0,
        )
        .select_related("session__program")
        .order_by("session__ends_at")
        .first()
    )  # fmt: skip
    assert application, "the demo helper has no accepted session in the staff's town to close"
    session = application.session
    before = wallet_balance(helper_id=helper.pk, municipality_id=town.pk)
    staff = w.sign_in(
        "staff", logins["staff"], logins["password"], lands_on="staff_dashboard",
        totp_secret=logins["totp_secret"],
    )  # fmt: skip
    assert staff, "\n".join(w.failures)
    roster = reverse("session_roster", args=[session.pk])
    with time_machine.travel(session.ends_at + timedelta(hours=1)):
        w.request(staff, "staff", roster)
        marks = {
            f"app_{pk}": Application.Status.ATTENDED
            for pk in session.applications.filter(
                status__in=(Application.Status.ACCEPTED, Application.Status.ATTENDED)
            ).values_list("pk", flat=True)
        }
        w.request(staff, "staff", reverse("session_attendance", args=[session.pk]), data=marks,
                  expect=302, to=roster)  # fmt: skip
        close = reverse("session_close", args=[session.pk])
        w.request(staff, "staff", close)
        w.request(staff, "staff", close, data={"confirm": "on"}, expect=302, to=roster)
        w.request(staff, "staff", roster)
    application.refresh_from_db()
    session.refresh_from_db()
    if application.status != Application.Status.ATTENDED:
        w.fail("staff", "attendance", f"the helper's application is {application.status}")
    if session.status != Session.Status.CLOSED:
        w.fail("staff", "close", f"the session is {session.status}")
    after = wallet_balance(helper_id=helper.pk, municipality_id=town.pk)
    expected = before + session.program.points_per_participant
    if after != expected:
        # The credit runs in the eager task after the close's commit; its error is logged below.
        w.fail("helper", "wallet", f"balance {before} → {after} (expected {expected})")
    helper_client = w.sign_in("helper", logins["helper"], logins["password"], lands_on="mypage")
    if helper_client:
        w.request(helper_client, "helper", reverse("points_wallet"))
        w.request(helper_client, "helper", reverse("application_detail", args=[application.pk]))
        w.request(
            helper_client, "helper", reverse("application_certificate", args=[application.pk])
        )
    return w.report()
