"""notifications.reminders on plain data: due times for each schedule setting (Asia/Tokyo, midnight
boundaries), a municipality's own schedule and its defaults, planning and withdrawing rows, what a
schedule change does to rows already planned, the texts in both languages and channels, and delivery
by the sweep at the right minute. Clock frozen at 2026-06-01 10:00 in Tokyo."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import reminders
from notifications.delivery import deliver_due
from notifications.kinds import Kind
from notifications.models import OutboxMessage, ReminderSchedule
from notifications.rendering import render_message

JST = ZoneInfo("Asia/Tokyo")
WEEK, DAY, MORNING = Kind.REMINDER_WEEK_BEFORE, Kind.REMINDER_DAY_BEFORE, Kind.REMINDER_MORNING


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=JST)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(at(1, 10)):
        yield


def context(**overrides) -> dict:
    return {
        "program_title": "みょうが畑づくり体験",
        "ends_at": at(15, 12),
        "is_online": False,
        "online_url": "",
        "meeting_place": "古川町公民館",
        "meeting_address": "飛騨市古川町1-2",
        "what_to_bring": "軍手、長靴",
        "rain_starts_at": at(22, 9),
        "application_url": "https://otagaisama.example.jp/applications/7/",
        **overrides,
    }


def _due(schedule, starts_at) -> dict[str, dt.datetime]:
    return {
        kind: timezone.localtime(d, JST) for kind, d in reminders.due_times(starts_at, schedule)
    }


# --- due times ----------------------------------------------------------------------------------


def test_the_default_schedule():
    assert _due(ReminderSchedule(), at(15, 9)) == {
        WEEK: at(8, 18),
        DAY: at(14, 18),
        MORNING: at(15, 7),
    }


@pytest.mark.parametrize(
    ("switched_off", "left"),
    [("week_before", {DAY, MORNING}), ("day_before", {WEEK, MORNING}), ("morning", {WEEK, DAY})],
)
def test_each_reminder_can_be_switched_off(switched_off, left):
    schedule = ReminderSchedule(**{switched_off: False})
    assert set(_due(schedule, at(15, 9))) == left


def test_each_reminder_has_its_own_time_of_day():
    schedule = ReminderSchedule(
        week_before_at=dt.time(12, 30), day_before_at=dt.time(20, 0), morning_at=dt.time(6, 15)
    )
    assert _due(schedule, at(15, 9)) == {
        WEEK: at(8, 12, 30),
        DAY: at(14, 20),
        MORNING: at(15, 6, 15),
    }


def test_days_are_counted_in_tokyo_not_utc():
    """00:30 on the 15th in Tokyo is 15:30 on the 14th in UTC: the day before is still the 14th."""
    assert _due(ReminderSchedule(), at(15, 0, 30)) == {WEEK: at(8, 18), DAY: at(14, 18)}
    assert _due(ReminderSchedule(), at(15, 23, 59)) == {
        WEEK: at(8, 18),
        DAY: at(14, 18),
        MORNING: at(15, 7),
    }


def test_no_reminder_at_or_after_the_start():
    assert MORNING not in _due(ReminderSchedule(), at(15, 7))  # starts at the morning time
    assert MORNING in _due(ReminderSchedule(), at(15, 7, 1))
    evening = ReminderSchedule(day_before_at=dt.time(23, 59))
    assert _due(evening, at(15, 0, 0))[DAY] == at(14, 23, 59)


# --- schedules per municipality ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_municipality_without_a_schedule_gets_the_defaults(municipality, other_municipality):
    ReminderSchedule.objects.create(municipality=other_municipality, week_before=False)
    ours = reminders.schedule_for(municipality.pk)
    assert ours.pk is None and ours.week_before and ours.morning_at == dt.time(7, 0)
    assert not reminders.schedule_for(other_municipality.pk).week_before


# --- planning and withdrawing -------------------------------------------------------------------


def _plan(helper, municipality, starts_at, key="application:1", **ctx) -> int:
    return reminders.reminders_plan(
        recipient_id=helper.pk,
        municipality_id=municipality.pk,
        object_key=key,
        starts_at=starts_at,
        context=context(**ctx),
    )


def _pending(helper) -> dict[str, dt.datetime]:
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS, sent_at=None)
    return {r.kind: timezone.localtime(r.due_at, JST) for r in rows}


@pytest.mark.django_db
def test_planning_writes_the_rows_still_ahead_and_replaces_its_own(helper, municipality):
    assert _plan(helper, municipality, at(15, 9)) == 3
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    assert {r.object_key for r in rows} == {"application:1@202606150900"}
    assert {r.municipality_id for r in rows} == {municipality.pk}
    assert _plan(helper, municipality, at(16, 9)) == 3  # moved: the old rows are gone
    assert _pending(helper) == {WEEK: at(9, 18), DAY: at(15, 18), MORNING: at(16, 7)}


@pytest.mark.django_db
def test_a_session_tomorrow_morning_gets_only_the_reminders_still_ahead(helper, municipality):
    with time_machine.travel(at(14, 17, 59)):
        assert _plan(helper, municipality, at(15, 9)) == 2
        assert _pending(helper) == {DAY: at(14, 18), MORNING: at(15, 7)}
    with time_machine.travel(at(14, 18, 0)):
        assert (
            _plan(helper, municipality, at(15, 9)) == 1
        )  # the 18:00 one is due now: not caught up
        assert _pending(helper) == {MORNING: at(15, 7)}
    with time_machine.travel(at(15, 7, 30)):
        assert _plan(helper, municipality, at(15, 9)) == 0


@pytest.mark.django_db
def test_withdrawing_leaves_sent_rows_and_other_objects(helper, municipality):
    _plan(helper, municipality, at(15, 9), key="application:1")
    _plan(helper, municipality, at(15, 9), key="application:12")
    OutboxMessage.objects.filter(kind=WEEK, object_key__startswith="application:1@").update(
        sent_at=timezone.now()
    )
    assert reminders.reminders_withdraw(recipient_id=helper.pk, object_key="application:1") == 2
    left = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    assert sorted(left.values_list("object_key", "kind")) == [
        ("application:12@202606150900", DAY),
        ("application:12@202606150900", MORNING),
        ("application:12@202606150900", WEEK),
        ("application:1@202606150900", WEEK),
    ]


@pytest.mark.django_db
def test_a_replan_for_the_same_time_does_not_resend_what_went_out(helper, municipality):
    _plan(helper, municipality, at(15, 9))
    with time_machine.travel(at(8, 18, 1)):
        assert deliver_due() == 1
        assert _plan(helper, municipality, at(15, 9)) == 2
    assert OutboxMessage.objects.filter(recipient=helper, kind=WEEK).count() == 1


@pytest.mark.django_db
def test_a_schedule_change_moves_and_withdraws_what_is_planned(helper, municipality):
    _plan(helper, municipality, at(15, 9))
    _plan(helper, municipality, at(15, 7, 30), key="application:2")
    schedule = ReminderSchedule(
        municipality=municipality, week_before=False, day_before_at=dt.time(20, 0),
        morning_at=dt.time(7, 40),
    )  # fmt: skip
    # Week before: withdrawn twice; day before: moved twice; morning: moved for the 09:00 session,
    # withdrawn for the 07:30 one (07:40 is after its start).
    assert reminders.reminder_schedule_save(schedule=schedule) == 6
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    assert sorted((r.object_key, r.kind, timezone.localtime(r.due_at, JST)) for r in rows) == [
        ("application:1@202606150900", DAY, at(14, 20)),
        ("application:1@202606150900", MORNING, at(15, 7, 40)),
        ("application:2@202606150730", DAY, at(14, 20)),
    ]
    # Switched on again: the next planning writes it; rows of other municipalities never move.
    schedule.week_before = True
    reminders.reminder_schedule_save(schedule=schedule)
    assert WEEK not in _pending(helper)
    _plan(helper, municipality, at(15, 9))
    assert _pending(helper)[WEEK] == at(8, 18)


@pytest.mark.django_db
def test_a_schedule_change_leaves_other_municipalities_and_rows_already_due(
    helper, municipality, other_municipality
):
    _plan(helper, other_municipality, at(15, 9), key="application:3")
    _plan(helper, municipality, at(15, 9))
    schedule = ReminderSchedule(municipality=municipality, day_before_at=dt.time(20, 0))
    with time_machine.travel(at(14, 19)):
        # The day before at 18:00 is due (the sweep has not run yet): it is neither moved nor dropped.
        reminders.reminder_schedule_save(schedule=schedule)
    with time_machine.travel(at(15, 6, 30)):
        # The new morning time has passed already: the row keeps its 07:00, nothing is lost.
        schedule.morning_at = dt.time(6, 0)
        reminders.reminder_schedule_save(schedule=schedule)
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    due = {(r.object_key, r.kind): timezone.localtime(r.due_at, JST) for r in rows}
    assert due[("application:1@202606150900", DAY)] == at(14, 18)
    assert due[("application:1@202606150900", MORNING)] == at(15, 7)
    assert due[("application:3@202606150900", DAY)] == at(14, 18)
    assert due[("application:3@202606150900", MORNING)] == at(15, 7)


@pytest.mark.django_db
def test_a_schedule_change_leaves_a_row_being_sent_or_retried(helper, municipality):
    _plan(helper, municipality, at(15, 9))
    OutboxMessage.objects.filter(kind=WEEK).update(claimed_at=timezone.now())  # a worker holds it
    OutboxMessage.objects.filter(kind=DAY).update(attempts=1)  # failed once, waits for its retry
    schedule = ReminderSchedule(
        municipality=municipality, week_before_at=dt.time(9, 0), day_before_at=dt.time(9, 0)
    )
    assert reminders.reminder_schedule_save(schedule=schedule) == 0
    assert _pending(helper) == {WEEK: at(8, 18), DAY: at(14, 18), MORNING: at(15, 7)}


# --- texts and delivery ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_reminder_goes_out_by_the_sweep_at_its_minute(helper, municipality):
    _plan(helper, municipality, at(15, 9))
    mail.outbox.clear()
    for minute, kind in ((at(8, 18), WEEK), (at(14, 18), DAY), (at(15, 7), MORNING)):
        with time_machine.travel(minute - dt.timedelta(seconds=1)):
            assert deliver_due() == 0
        with time_machine.travel(minute, tick=False):
            assert deliver_due() == 1
            assert deliver_due() == 0  # a second beat doubles nothing
        assert OutboxMessage.objects.get(recipient=helper, kind=kind).sent_at == minute
    assert [m.to for m in mail.outbox] == [[helper.email]] * 3
    assert "古川町公民館" in mail.outbox[-1].body


@pytest.mark.parametrize("kind", reminders.KINDS)
def test_the_texts_carry_time_place_belongings_rain_date_and_link(kind):
    r = render_message(kind, {**context(), "starts_at": at(15, 9)}, "ja")
    assert "みょうが畑づくり体験" in r.subject
    for text in ("2026年6月15日(月) 09:00〜12:00", "古川町公民館", "飛騨市古川町1-2", "軍手、長靴",
                 "予備日（6月22日(月) 09:00〜）", "https://otagaisama.example.jp/applications/7/"):  # fmt: skip
        assert text in r.body
    assert "古川町公民館" in r.line and "https://otagaisama.example.jp/applications/7/" in r.line
    assert "{" not in r.body + r.line + r.subject and "&" not in r.body
    assert "\n\n\n" not in r.body


@pytest.mark.parametrize("kind", reminders.KINDS)
def test_online_sessions_get_the_join_link_instead_of_a_place(kind):
    online = context(
        is_online=True,
        online_url="https://meet.example.jp/abc?x=1&y=2",
        meeting_place="",
        meeting_address="",
        what_to_bring="",
    )
    r = render_message(kind, {**online, "starts_at": at(15, 9)}, "ja")
    assert "https://meet.example.jp/abc?x=1&y=2" in r.body
    assert "https://meet.example.jp/abc?x=1&y=2" in r.line
    assert "集合場所" not in r.body + r.line
    on_site = render_message(kind, {**context(), "starts_at": at(15, 9)}, "ja")
    assert "meet.example.jp" not in on_site.body + on_site.line


@pytest.mark.parametrize("kind", reminders.KINDS)
def test_no_rain_date_line_without_a_rain_date(kind):
    r = render_message(kind, {**context(rain_starts_at=None), "starts_at": at(15, 9)}, "ja")
    assert "予備日" not in r.body


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("kind", reminders.KINDS)
def test_the_texts_in_english(kind):
    r = render_message(kind, {**context(), "starts_at": at(15, 9)}, "en")
    title = "みょうが畑づくり体験"  # the program's own words stay as written
    assert not _japanese(r.subject.replace(title, ""))
    assert not _japanese(r.line.split("\n")[0].replace(title, ""))
    assert not _japanese(r.body.split("\n")[0])
    assert "Mon 15 Jun 2026, 09:00" in r.body
    assert "Meeting point: 古川町公民館" in r.body


# --- admin ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_set_their_own_schedule_in_the_admin(client, staff, municipality, other_municipality):
    theirs = ReminderSchedule.objects.create(municipality=other_municipality)
    client.force_login(staff)
    add = reverse("admin:notifications_reminderschedule_add")
    response = client.post(
        add,
        {
            "municipality": other_municipality.pk,  # not theirs: refused
            "week_before_at": "18:00", "day_before": "on", "day_before_at": "19:30",
            "morning": "on", "morning_at": "06:30",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert ReminderSchedule.objects.count() == 1
    reminders.reminders_plan(
        recipient_id=staff.pk, municipality_id=municipality.pk, object_key="application:9",
        starts_at=at(15, 9), context=context(),
    )  # fmt: skip
    response = client.post(
        add,
        {
            "municipality": municipality.pk,
            "week_before_at": "18:00", "day_before": "on", "day_before_at": "19:30",
            "morning": "on", "morning_at": "06:30",
        },
    )  # fmt: skip
    assert response.status_code == 302
    ours = reminders.schedule_for(municipality.pk)
    assert (ours.week_before, ours.day_before_at, ours.morning_at) == (
        False,
        dt.time(19, 30),
        dt.time(6, 30),
    )
    # The save went through reminder_schedule_save: the planned reminders follow.
    assert _pending(staff) == {DAY: at(14, 19, 30), MORNING: at(15, 6, 30)}
    changelist = client.get(reverse("admin:notifications_reminderschedule_changelist"))
    assert changelist.status_code == 200
    change_theirs = reverse("admin:notifications_reminderschedule_change", args=[theirs.pk])
    assert client.get(change_theirs).status_code in (302, 404)
