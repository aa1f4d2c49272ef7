"""`seed_demo` (what `make run` calls): idempotent, and the printed logins work, staff with TOTP; with
DEBUG off (pytest-django's default here) it makes no login with the published password unless told to."""

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from portal.demo import people

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "portal"} and not m._meta.label.endswith("Historical")
    }


def test_seed_demo_is_idempotent_and_prints_the_logins(capsys):
    call_command("seed_demo", "--with-demo-logins")
    first = row_counts()
    out = capsys.readouterr().out
    for email in (people.HELPER_EMAIL, people.NUSHI_EMAIL, people.STAFF_EMAIL):
        assert email in out
    assert people.DEMO_PASSWORD in out
    call_command("seed_demo", "--with-demo-logins")
    assert row_counts() == first
    assert first["accounts.HelperProfile"] > 10
    # 飛騨市's four districts, and 荻町 of 白川村 (the demo's point-codes municipality).
    assert first["accounts.District"] == 4 + 1


def login(client, email):
    return client.post(
        reverse("account_login"), {"login": email, "password": people.DEMO_PASSWORD}, follow=True
    )


@pytest.mark.parametrize(
    ("email", "lands_on"),
    [(people.HELPER_EMAIL, "mypage"), (people.NUSHI_EMAIL, "nushi_dashboard")],
)
def test_printed_helper_and_nushi_logins_work(client, email, lands_on):
    call_command("seed_demo", "--with-demo-logins")
    response = login(client, email)
    assert response.redirect_chain[-1][0] == reverse(lands_on)
    assert response.status_code == 200


def test_printed_staff_login_works_with_the_demo_totp_code(client):
    call_command("seed_demo", "--with-demo-logins")
    response = login(client, people.STAFF_EMAIL)
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    code = format_hotp_value(
        hotp_value(people.DEMO_TOTP_SECRET, int(time.time()) // mfa_settings.TOTP_PERIOD)
    )
    response = client.post(reverse("mfa_authenticate"), {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff_dashboard")
    assert client.get(reverse("admin:index")).status_code == 200


def test_seed_demo_refuses_the_demo_logins_with_debug_off_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--with-demo-logins") as refused:
        call_command("seed_demo")
    assert "DEBUG がオフです" in str(refused.value)
    assert not User.objects.exists()
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_seed_demo_needs_no_flag_with_debug_on_as_make_run_has_it(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    assert User.objects.filter(email=people.STAFF_EMAIL).exists()
    assert people.DEMO_PASSWORD in capsys.readouterr().out


def test_the_printed_logins_give_the_totp_command_as_it_must_be_typed():
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", "--with-demo-logins", stdout=out)
    assert ".venv/bin/python manage.py demo_totp" in out.getvalue()


def test_links_in_emails_point_where_make_run_serves():
    """`make run` serves 127.0.0.1:8000; SITE_URL's default (links in emails) is the same address."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    served = re.search(r"runserver (\S+)", (root / "Makefile").read_text()).group(1)
    default = re.search(
        r'SITE_URL = env.str\("SITE_URL", default="([^"]+)"\)',
        (root / "config/settings.py").read_text(),
    ).group(1)
    assert default == f"http://{served}"
