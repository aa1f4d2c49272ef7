"""Fuzz every form of every route in the permission matrix (tests/portal/test_permission_matrix.py), as
the person the route is for: random Unicode, control characters, very long strings, numbers and dates
out of range, several values for one field, files where text is expected and text where a file is.

Whatever arrives: never a server error, and nothing half-written. A refused POST (the form shown again,
a 4xx, or an error message) changes no row; an accepted one leaves the invariants of ARCHITECTURE.md
(assert_invariants) and one-line text in every one-line column it wrote.

The values are drawn from the forms themselves (each field's type, length and choices), so a new field
is fuzzed without a change here; a new route must get a row in TARGETS (a test checks it). Bounded and
reproducible: derandomized, no example database, FUZZ_EXAMPLES examples per route (default 12)."""

import datetime as dt
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from accounts.forms import HelperProfileForm, PostalCodeField
from notifications.forms import PreferenceForm
from points.forms import (
    CodeRedeemForm,
    IssuerForm,
    LedgerFilterForm,
    RedeemForm,
    StatementForm,
)
from portal.forms.applications import ApplyForm, ImpressionForm
from portal.forms.common import ConfirmForm, ReasonConfirmForm, ReasonForm
from portal.forms.corrections import AttendanceCorrectForm
from portal.forms.needs import NeedForm, NushiChoiceForm, StaffIntakeForm
from portal.forms.pages import ContactForm, PageTextForm
from portal.forms.programs import ConfirmForNushiForm, PhotoForm, ProgramFilterForm, ProgramForm
from portal.forms.reports import ReportForm
from portal.forms.sessions import (
    AttendanceForm,
    CheckinForm,
    MessageForm,
    SessionCancelForm,
    SessionForm,
    ThankYouForm,
)
from portal.models import Application, Attendance, Session
from portal.views.matching import AllocationForm, InviteForm
from tests.portal.apply_helpers import assert_invariants
from tests.portal.factories import ApplicationFactory, SessionFactory
from tests.portal.test_permission_matrix import ROUTES, snapshot
from tests.portal.test_permission_matrix import (  # the matrix's world, as fixture "matrix_world"
    world as matrix_world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

# --- values ----------------------------------------------------------------------------------------

# Any character a browser can send (lone surrogates cannot be encoded in UTF-8).
ANY_CHAR = st.characters(exclude_categories=("Cs",))
VISIBLE = st.characters(categories=("L", "N", "P", "S"))
CONTROL = st.one_of(
    st.characters(max_codepoint=0x1F),
    st.sampled_from(["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\ufeff", "\u202e", "\u200b"]),
)
ODD = [
    "", " ", "\u3000", "0", "-1", "1.5", "99999999999999999999", "1e309", "NaN", "-inf", "null",
    "[]", "{}", "true", "2026-02-30", "0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00",
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "１２３",
]  # fmt: skip
LONG = st.builds(
    lambda text, n: text * n,
    st.sampled_from(["あ", "a", "\n", "🙂", "\x00", "\r\n", "9"]),
    st.integers(200, 20_000),
)
JUNK_TEXT = st.one_of(
    st.sampled_from(ODD),
    st.text(ANY_CHAR, max_size=60),
    st.text(st.one_of(CONTROL, ANY_CHAR), min_size=1, max_size=60),
    LONG,
)


def _jpeg(size=(48, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


JPEG = _jpeg()
FILES = st.sampled_from(
    [
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpg", b"#!/bin/sh\necho not a photo\n", "image/jpeg"),
        ("notes.txt", "ただのテキスト".encode(), "text/plain"),
        ("empty.png", b"", "image/png"),
        ("\x00../写真\r\n.jpg", JPEG, "image/jpeg"),
        ("huge.jpg", JPEG[:200] + b"\0" * 50_000, "image/jpeg"),
    ]
).map(lambda f: SimpleUploadedFile(*f))
JUNK = st.one_of(JUNK_TEXT, st.lists(JUNK_TEXT, min_size=2, max_size=3), FILES)


def _text(max_length: int | None, *, multiline: bool) -> st.SearchStrategy[str]:
    """Text a person might mean (at least one visible character) with noise: control characters,
    line breaks, invisible marks; up to the field's length, noise included."""
    n = min(max_length or 300, 300)
    noise = st.one_of(CONTROL, ANY_CHAR, *([st.just("\r\n")] if multiline else []))
    return st.tuples(
        st.lists(noise, max_size=max(n // 4, 1)).map("".join),
        st.text(VISIBLE, min_size=1, max_size=max(n // 2, 1)),
    ).map(lambda t: (t[0] + t[1])[:n])


def _now() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def _datetimes() -> st.SearchStrategy[str]:
    # A few days and hours around a fortnight ahead: consistent combinations (deadline <= start < end)
    # come up often enough for the form to pass and the service to run.
    return st.builds(
        lambda days, hours: (_now() + dt.timedelta(days=days, hours=hours)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        st.integers(8, 16),
        st.integers(-3, 3),
    )


def valid_values(f: forms.Field) -> st.SearchStrategy:
    """Values the field would accept (or nearly), from its own type, length, range and choices."""
    if isinstance(f, forms.FileField):
        jpeg = FILES.filter(lambda u: u.name == "photo.jpg" and u.size == len(JPEG))
        return jpeg if f.required else st.one_of(st.just(ABSENT), jpeg)
    if isinstance(f, forms.BooleanField):
        return st.sampled_from(["on", "true", "1", ABSENT])
    if isinstance(f, forms.MultipleChoiceField):
        values = [str(v) for v, _ in f.choices if v != ""]
        return st.lists(st.sampled_from(values), max_size=len(values), unique=True)
    if isinstance(f, forms.ChoiceField | forms.ModelChoiceField):
        values = [str(v) for v, _ in f.choices if str(v) != ""]
        return st.sampled_from(values) if values else st.just("")
    if isinstance(f, forms.DateTimeField):
        return _datetimes()
    if isinstance(f, forms.DateField):
        return st.integers(-30, 400).map(
            lambda d: (_now().date() + dt.timedelta(days=d)).isoformat()
        )
    if isinstance(f, forms.DecimalField | forms.FloatField):
        low = float(f.min_value) if f.min_value is not None else 20.0
        high = float(f.max_value) if f.max_value is not None else 150.0
        return st.floats(low, high).map(lambda x: f"{x:.6f}")
    if isinstance(f, forms.IntegerField):
        low = f.min_value if f.min_value is not None else 0
        high = f.max_value if f.max_value is not None else 1000
        return st.integers(low, min(high, low + 1000)).map(str)
    if isinstance(f, PostalCodeField):
        return st.sampled_from(["509-4201", "5094224", "100-0001"])
    if isinstance(f, forms.EmailField):
        return st.sampled_from(["someone@example.jp", "a@b.c", "日本語@例え.jp"])
    if isinstance(f, forms.CharField):
        return _text(f.max_length, multiline=isinstance(f.widget, forms.Textarea))
    return JUNK_TEXT


ABSENT = object()


def posted_back(form: forms.BaseForm) -> dict:
    """What the page posts when nothing is changed: the form's initial values (from its instance) as
    its widgets render them. Gives values that fit together (a session's start, end and deadline)."""
    data = {}
    for name, f in form.fields.items():
        value = form[name].value()
        if isinstance(f, forms.FileField) or value in (None, False, ""):
            continue
        if isinstance(f, forms.BooleanField):
            data[form.add_prefix(name)] = "on"
        elif isinstance(value, list | tuple):
            data[form.add_prefix(name)] = [str(v) for v in value]
        elif isinstance(f.widget, forms.DateTimeInput | forms.DateInput):
            data[form.add_prefix(name)] = f.widget.format_value(value)
        else:
            data[form.add_prefix(name)] = str(value)
    return data


def _free_text(f: forms.Field) -> bool:
    """A plain text field, whose content nothing else depends on: always fuzzed."""
    return type(f) is forms.CharField


@st.composite
def form_data(draw, forms_: tuple, raw: dict[str, st.SearchStrategy]) -> dict:
    """POST data for these forms: each field gets a plausible value, except a few (drawn) that get
    junk or are left out. Half the examples start from what the page would post back unchanged
    (fields that must agree with each other do), with every free text fuzzed. `raw` are the names a
    view reads besides its forms (decision=, via=, ...)."""
    fields = fields_of(*forms_)
    baseline = {k: v for form in forms_ for k, v in posted_back(form).items()}
    strategies = {name: valid_values(f) for name, f in fields.items()} | raw
    names = sorted(strategies)
    spoiled = draw(st.sets(st.sampled_from(names), max_size=3)) if names else set()
    coherent = draw(st.booleans())
    data = {}
    for name in names:
        if name in spoiled:
            value = draw(st.one_of(JUNK, st.just(ABSENT)))
        elif coherent and name in fields and not _free_text(fields[name]):
            value = baseline.get(name, ABSENT)
        else:
            value = draw(strategies[name])
        if value is not ABSENT:
            data[name] = value
    # A name no form knows, as a tampered request would carry.
    if draw(st.booleans()):
        data[draw(st.text(ANY_CHAR, min_size=1, max_size=20))] = draw(JUNK_TEXT)
    return data


def fields_of(*built: forms.BaseForm) -> dict[str, forms.Field]:
    """Every field of these (unbound) forms under the name it is posted as (prefix included)."""
    return {form.add_prefix(name): f for form in built for name, f in form.fields.items()}


# --- who posts what where ---------------------------------------------------------------------------


@dataclass
class Target:
    user: str  # a fixture of tests/conftest.py's cast, the person this route is for
    # The forms the view binds, unbound, with the instance or initial values the page shows.
    forms: Callable[[dict], tuple] = lambda w: ()
    raw: Callable[[dict], dict] = lambda w: {}  # names the view reads itself
    method: str = "post"
    args: Callable[[dict], dict] | None = None  # URL arguments, when not the matrix's
    kwargs_strategy: Callable[[dict], st.SearchStrategy] | None = field(default=None)


def _need_form(w):
    return NeedForm(instance=w["need"], municipality_id=w["need"].municipality_id)


def _program_form(w):
    return ProgramForm(instance=w["program"], municipality_id=w["program"].municipality_id)


def _closed_attendance(w):
    """An attended application of a closed session: the attendance correction opens only for those."""
    starts = timezone.now() - dt.timedelta(days=5)
    session = SessionFactory(
        program=w["program"], starts_at=starts, ends_at=starts + dt.timedelta(hours=3),
        apply_deadline=starts - dt.timedelta(days=2), capacity=3, status=Session.Status.CLOSED,
    )  # fmt: skip
    application = ApplicationFactory(session=session, helper=w["helper"], status="attended")
    Attendance.objects.create(
        application=application, checked_in_at=starts, method=Attendance.Method.QR
    )
    Session.objects.filter(pk=session.pk).update(places_taken=1)
    return {"pk": application.pk, "to": "no_show"}


REASON = lambda w: (ReasonForm(),)  # noqa: E731
TARGETS: dict[str, Target] = {
    "set_language": Target(
        "helper", raw=lambda w: {"language": st.sampled_from(["ja", "en"]), "next": JUNK_TEXT}
    ),
    "program_list": Target(
        "helper",
        method="get",
        forms=lambda w: (ProgramFilterForm(districts=[(w["district"].pk, "河合町")]),),
        raw=lambda w: {"page": st.integers(-5, 10**25).map(str)},
    ),
    "program_calendar": Target(
        "helper",
        method="get",
        raw=lambda w: {
            "year": st.integers(-(10**6), 10**6).map(str),
            "month": st.integers(-20, 20).map(str),
        },
    ),
    "postal_lookup": Target(
        "helper",
        method="get",
        raw=lambda w: {
            "field": st.sampled_from(["address", "meeting_address"]),
            "postal_code": valid_values(PostalCodeField()),
            "meeting_postal_code": valid_values(PostalCodeField()),
            "address": JUNK_TEXT,
        },
    ),
    "profile_edit": Target(
        "helper", forms=lambda w: (HelperProfileForm(instance=w["helper"].helper_profile),)
    ),
    "need_create": Target(
        "nushi", forms=lambda w: (NushiChoiceForm(user=w["nushi"], prefix="who"), _need_form(w))
    ),
    "application_apply": Target("other_helper", forms=lambda w: (ApplyForm(),)),
    "need_edit": Target("nushi", forms=lambda w: (_need_form(w),)),
    "need_withdraw": Target("nushi"),
    "program_confirm": Target("nushi"),
    "program_request_changes": Target("nushi", forms=REASON),
    "program_confirm_for_nushi": Target("staff", forms=lambda w: (ConfirmForNushiForm(),)),
    "staff_need_create": Target(
        "staff",
        forms=lambda w: (
            StaffIntakeForm(municipality_ids=[w["program"].municipality_id], prefix="intake"),
            _need_form(w),
        ),
    ),
    "staff_need_reject": Target("staff", forms=REASON),
    "staff_program_create": Target("staff", forms=lambda w: (_program_form(w),)),
    "staff_program_edit": Target("staff", forms=lambda w: (_program_form(w),)),
    "staff_program_action": Target(
        "staff",
        forms=lambda w: (ReasonConfirmForm(),),
        kwargs_strategy=lambda w: st.sampled_from(
            ["send", "publish", "close", "reject", "cancel", "bogus"]
        ).map(lambda action: {"pk": w["program"].pk, "action": action}),
    ),
    "staff_session_create": Target("staff", forms=lambda w: (SessionForm(instance=w["session"]),)),
    "staff_session_edit": Target("staff", forms=lambda w: (SessionForm(instance=w["session"]),)),
    "staff_photo_add": Target("staff", forms=lambda w: (PhotoForm(),)),
    "staff_photo_delete": Target("staff"),
    "staff_report_create": Target("staff", forms=lambda w: (ReportForm(program=w["program"]),)),
    "staff_report_publish": Target("staff", raw=lambda w: {"unpublish": JUNK_TEXT}),
    "application_cancel": Target("helper"),
    "application_impression": Target("helper", forms=lambda w: (ImpressionForm(),)),
    "application_decide": Target(
        "staff",
        raw=lambda w: {
            "decision": st.sampled_from(["accept", "decline", "cancel", "bogus"]),
            "reason": JUNK_TEXT,
        },
    ),
    "application_messages": Target("helper", forms=lambda w: (MessageForm(),)),
    "staff_outbox_retry": Target("staff"),
    "staff_outbox": Target(
        "staff",
        method="get",
        raw=lambda w: {
            "state": st.sampled_from(["", "sent", "waiting", "failed", "skipped"]) | JUNK_TEXT,
            "page": st.integers(-5, 10**25).map(str),
        },
    ),
    "notification_preferences": Target(
        "helper", forms=lambda w: (PreferenceForm(channel_choices=[("email", "メール")]),)
    ),
    "notifications_unsubscribe": Target(
        "helper", raw=lambda w: {"List-Unsubscribe": st.just("One-Click") | JUNK_TEXT}
    ),
    "session_checkin": Target(
        "nushi",
        forms=lambda w: (CheckinForm(),),
        raw=lambda w: {
            "code": st.sampled_from([w["application"].checkin_code, "ABCDEFGH"]),
            "via": st.sampled_from(["qr", "code"]),
        },
    ),
    "session_attendance": Target(
        "nushi",
        forms=lambda w: (AttendanceForm(applications=[w["attended"]]),),
    ),
    "session_close": Target("nushi", forms=lambda w: (ConfirmForm(),)),
    "session_cancel": Target("staff", forms=lambda w: (SessionCancelForm(),)),
    "attendance_correct": Target(
        "staff", forms=lambda w: (AttendanceCorrectForm(),), args=_closed_attendance
    ),
    "session_invite": Target("staff", forms=lambda w: (InviteForm(),)),
    "program_allocation": Target(
        "staff",
        method="get",
        forms=lambda w: (AllocationForm(choices=[]),),
        raw=lambda w: {"accept": st.integers(-5, 10**12).map(str) | JUNK_TEXT},
    ),
    # Bulk decisions' confirmation pages (h-forms): the choice, and the confirmation with its reason.
    "program_allocation_confirm": Target(
        "staff",
        forms=lambda w: (ConfirmForm(),),
        raw=lambda w: {"accept": st.integers(-5, 10**12).map(str) | JUNK_TEXT},
    ),
    "session_decisions": Target(
        "nushi",
        forms=lambda w: (ReasonConfirmForm(),),
        raw=lambda w: {
            "accept": st.integers(-5, 10**12).map(str) | JUNK_TEXT,
            "action": st.sampled_from(["accept", "decline_rest", "bogus"]) | JUNK_TEXT,
        },
    ),
    "session_rain_date": Target("staff", forms=lambda w: (ConfirmForm(),)),
    "session_messages": Target("helper", forms=lambda w: (MessageForm(),)),
    "session_thanks": Target("nushi", forms=lambda w: (ThankYouForm(),)),
    "session_report_draft": Target("staff"),
    "contact": Target("helper", forms=lambda w: (ContactForm(),)),
    "contact_municipality": Target(
        "helper", forms=lambda w: (ContactForm(municipality=w["program"].municipality),)
    ),
    "staff_page_edit": Target(
        "staff",
        forms=lambda w: (PageTextForm(kind="terms"),),
        kwargs_strategy=lambda w: st.sampled_from(["terms", "privacy", "faq", "contact"]).map(
            lambda kind: {"pk": w["program"].municipality_id, "kind": kind}
        ),
    ),
    "consent": Target(
        "helper",
        raw=lambda w: {
            "decision": st.sampled_from(["accept", "bogus"]) | JUNK_TEXT,
            "next": JUNK_TEXT,
        },
    ),
    "points_redeem": Target(
        "staff",
        forms=lambda w: (RedeemForm(),),
        raw=lambda w: {"code": st.sampled_from([w["wallet"].code, "NOPE"]) | JUNK_TEXT},
    ),
    "points_ledger": Target("staff", method="get", forms=lambda w: (LedgerFilterForm(),)),
    "points_issuer": Target("staff", forms=lambda w: (IssuerForm(),)),
    "points_reconcile": Target("staff", forms=lambda w: (StatementForm(),)),
    "points_reconcile_retry": Target("staff"),
    "points_codes": Target("staff", forms=lambda w: (CodeRedeemForm(),)),
    "points_codes_export": Target(
        "staff",
        method="get",
        kwargs_strategy=lambda w: st.sampled_from(["csv", "pdf", "xlsx"]).map(lambda f: {"fmt": f}),
    ),
    "points_ledger_export": Target(
        "staff",
        method="get",
        forms=lambda w: (LedgerFilterForm(),),
        kwargs_strategy=lambda w: st.sampled_from(["csv", "xlsx", "pdf"]).map(lambda f: {"fmt": f}),
    ),
}
# Pages that take no input beyond their URL: nothing to fuzz.
NO_INPUT = {
    "home", "healthz", "robots_txt", "program_detail", "session_ics", "report_list",
    "report_detail", "mypage", "need_detail", "program_preview", "staff_home", "staff_need_detail",
    "staff_program_detail", "staff_report_detail", "application_detail", "application_qr",
    "application_certificate", "session_roster", "staff_outbox_failures",
    "page_terms", "page_privacy", "page_faq", "page_terms_municipality",
    "page_privacy_municipality", "page_faq_municipality", "contact_sent", "staff_pages",
    "staff_dashboard",
    "nushi_dashboard",
    "municipality_page", "nushi_page",
    "points_wallet", "session_candidates",
    "points_wallet_qr",
}  # fmt: skip


def test_every_route_with_input_is_fuzzed():
    assert set(TARGETS) | NO_INPUT == set(ROUTES)
    assert not set(TARGETS) & NO_INPUT


# --- checks ----------------------------------------------------------------------------------------

_LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _column_kinds() -> dict[tuple[str, str], str]:
    from django.apps import apps

    kinds = {}
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.TextField):
                kinds[(model._meta.label, f.attname)] = "text"
            elif isinstance(f, models.CharField) and not f.choices:
                kinds[(model._meta.label, f.attname)] = "line"
    return kinds


COLUMN_KINDS = _column_kinds()


def assert_written_rows_are_clean(before: dict, after: dict) -> None:
    """Rows the request wrote hold one-line text in one-line columns and no control characters
    other than line breaks and tabs in multi-line ones."""
    for label, rows in after.items():
        # The primary key by its name: "id", or a model's own ("token" of a FormToken).
        pk = apps.get_model(label)._meta.pk.attname
        old = {row[pk]: row for row in before.get(label, [])}
        for row in rows:
            if old.get(row[pk]) == row:
                continue
            for column, value in row.items():
                kind = COLUMN_KINDS.get((label, column))
                if not isinstance(value, str) or kind is None:
                    continue
                pattern = _LINE_BREAK_OR_CONTROL if kind == "line" else _CONTROL_BUT_BREAKS
                assert not pattern.search(value), (label, column, value[:80])


def refused(response) -> bool:
    """The form shown again, a 4xx, or a redirect carrying an error or warning."""
    if response.status_code != 302:
        return True
    return any(m.level >= message_levels.WARNING for m in get_messages(response.wsgi_request))


class _Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Every route builds its own cast and world; nobody signs in here with a password (force_login),
    # so the cast's passwords need not cost PBKDF2's deliberate seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fuzz_world(request, municipality):
    """The matrix's world, with places_taken in step with its accepted and attended applications
    (assert_invariants checks that) and a district for the forms' choices."""
    from tests.accounts.factories import DistrictFactory

    world = request.getfixturevalue("matrix_world")
    # An attended application has its attendance record, as check-in or the roster leave it.
    Attendance.objects.create(
        application=world["attended"],
        checked_in_at=world["past_session"].starts_at,
        method=Attendance.Method.CODE,
    )
    for session in (world["session"], world["past_session"]):
        held = Application.objects.filter(session=session, status__in=Application.HOLDS_PLACE)
        Session.objects.filter(pk=session.pk).update(places_taken=held.count())
    return {**world, "district": DistrictFactory(municipality=municipality, name="河合町")}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_forms_take_any_input_without_a_server_error_or_a_half_write(
    name, client, fuzz_world, request, nushi, helper
):
    target = TARGETS[name]
    user = request.getfixturevalue(target.user)
    world = {**fuzz_world, "nushi": nushi, "helper": helper}
    client.force_login(user)  # before any snapshot: it sets last_login
    data_strategy = form_data(target.forms(world), target.raw(world))
    if target.kwargs_strategy:
        kwargs_strategy = target.kwargs_strategy(world)
    else:
        kwargs_strategy = st.just((target.args or ROUTES[name][1])(world))

    @settings(
        max_examples=EXAMPLES,
        # No shrinking: it can take minutes on these requests; the failing example is printed as drawn.
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(data=data_strategy, kwargs=kwargs_strategy)
    def post_anything(data, kwargs):
        # Each example in its own atomic block, rolled back at the end; marked as Django's TestCase
        # marks its own, so that the views' durable=True blocks inside are allowed (as in any test).
        example = transaction.atomic()
        example._from_testcase = True
        try:
            with example:
                cache.clear()  # rate limits
                client.cookies.pop("messages", None)
                for value in data.values():
                    if hasattr(value, "seek"):
                        value.seek(0)
                url = reverse(name, kwargs=kwargs)
                before = snapshot()
                response = getattr(client, target.method)(url, data)
                assert response.status_code < 500, (name, response.status_code)
                after = snapshot()
                if target.method == "get" or refused(response):
                    assert after == before, (name, response.status_code)
                else:
                    assert_invariants()
                    assert_written_rows_are_clean(before, after)
                raise _Rollback
        except _Rollback:
            pass

    post_anything()
