"""Shared set-up for the application tests: many helpers fast, concurrent runners, one forced
interleaving of two transactions, invariant checks."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import count, pairwise

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import HelperProfile, User
from accounts.pages import required_versions
from accounts.services import consent_record_many
from notifications import reminders
from notifications.models import OutboxMessage
from portal.models import Application, Session

_seq = count()


def make_helpers(n: int, **profile) -> list[User]:
    """n helpers with complete profiles, bulk-inserted (no password hashing: the factory's is slow)."""
    base = next(_seq) * 100_000
    users = User.objects.bulk_create(
        [
            User(email=f"bulk{base + i}@example.jp", name=f"応募者{i}", password="!")
            for i in range(n)
        ]
    )
    defaults = {"home_prefecture": "東京都", "home_municipality": "千代田区", "birth_year": 1990}
    defaults.update(profile)
    HelperProfile.objects.bulk_create(
        [HelperProfile(user=u, display_name=f"応募者{i}", **defaults) for i, u in enumerate(users)]
    )
    # They accepted the terms in force at signup, as every account has (accounts.middleware).
    consent_record_many(user_ids=[u.pk for u in users], versions=required_versions())
    return users


def run_concurrently(fn, args_list, *, workers: int = 40) -> list:
    """Call fn(arg) for every arg from `workers` threads, each with its own database connection, the
    first `workers` calls released together by a gate. Returns results or exceptions, in order."""
    gate = threading.Event()

    def call(arg):
        gate.wait()
        try:
            return fn(arg)
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(call, arg) for arg in args_list]
        gate.set()
        return [f.result() for f in futures]


class Pause:
    """A point inside the transaction run as `first` by `interleave`, where it stops once until the
    `second` transaction has finished or is waiting for a lock. Install it with `pause_after`."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.resume = threading.Event()
        self.armed = True

    def __call__(self) -> None:
        if self.armed and threading.current_thread().name == "first":
            self.armed = False
            self.reached.set()
            if not self.resume.wait(60):
                raise TimeoutError("interleave never resumed the first transaction")


def pause_after(monkeypatch, target, name: str, pause: Pause, *, when=lambda result: True) -> None:
    """Replace target.name by a wrapper that calls it, then stops at `pause` (in `first` only, the first
    time `when(result)` is true)."""
    real = getattr(target, name)

    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(result):
            pause()
        return result

    monkeypatch.setattr(target, name, wrapper)


def interleave(first: Callable, second: Callable, pause: Pause) -> tuple[dict, dict]:
    """Force one interleaving, without timing guesses: run `first` in a thread until it reaches `pause`
    (its transaction open), then run `second` in another thread until it either finishes or waits for
    a lock (PostgreSQL says so in pg_stat_activity), then let `first` go on. Each thread has its own
    connection. Returns one dict per side: {"result" or "error", "blocked" (second only)}."""
    outcomes: tuple[dict, dict] = ({}, {})
    pid: list[int] = []

    def run(fn, outcome, record_pid=False):
        try:
            if record_pid:
                connection.ensure_connection()
                pid.append(connection.connection.info.backend_pid)
            outcome["result"] = fn()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    t1 = threading.Thread(target=run, args=(first, outcomes[0]), name="first")
    t1.start()
    while not pause.reached.wait(0.01):
        if not t1.is_alive():
            raise AssertionError(f"first ended without reaching its pause: {outcomes[0]}")
    t2 = threading.Thread(target=run, args=(second, outcomes[1], True), name="second")
    t2.start()
    blocked = False
    deadline = time.monotonic() + 60
    while t2.is_alive() and not blocked:
        if time.monotonic() > deadline:
            raise AssertionError("second neither finished nor waited for a lock")
        if pid:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid)
                row = cursor.fetchone()
            blocked = row is not None and row[0] == "Lock"
        if not blocked:
            time.sleep(
                0.005
            )  # polling a state, not waiting for one: the outcome does not depend on it
    outcomes[1]["blocked"] = blocked
    pause.resume.set()
    t1.join(60)
    t2.join(60)
    assert not t1.is_alive() and not t2.is_alive(), "a transaction did not finish"
    return outcomes


def assert_invariants(sessions=None) -> None:
    """ARCHITECTURE.md's capacity and overlap invariants, places_taken never drifting, a cancelled
    session holding nobody, and pending reminders only for accepted helpers of scheduled sessions, due
    before the session's current start."""
    qs = (
        Session.objects.all()
        if sessions is None
        else Session.objects.filter(pk__in=[s.pk for s in sessions])
    )
    for session in qs.annotate(
        held=Count("applications", filter=Q(applications__status__in=Application.HOLDS_PLACE))
    ):
        assert session.places_taken == session.held, f"places_taken drifted on {session.pk}"
        assert session.held <= session.capacity, f"session {session.pk} overbooked"
    held = list(
        Application.objects.filter(status__in=Application.HOLDS_PLACE).select_related("session")
    )
    by_helper: dict[int, list] = {}
    for application in held:
        by_helper.setdefault(application.helper_id, []).append(application.session)
    for helper_id, sessions_held in by_helper.items():
        sessions_held.sort(key=lambda s: s.starts_at)
        for a, b in pairwise(sessions_held):
            assert a.ends_at <= b.starts_at, f"helper {helper_id} holds overlapping sessions"
    cancelled = qs.filter(status=Session.Status.CANCELLED)
    assert not cancelled.exclude(places_taken=0).exists(), "a cancelled session holds places"
    live = Application.objects.filter(
        session__in=cancelled,
        status__in=(
            *Application.HOLDS_PLACE,
            Application.Status.APPLIED,
            Application.Status.WAITLISTED,
        ),
    )
    assert not live.exists(), "a cancelled session still has open applications"
    # Pending reminders: object_key "application:<id>@<local start, YYYYmmddHHMM>" (reminders.py).
    pending: dict[int, list[str]] = {}
    for key in OutboxMessage.objects.filter(kind__in=reminders.KINDS, sent_at=None).values_list(
        "object_key", flat=True
    ):
        app_id, _, start_key = key.removeprefix("application:").partition("@")
        pending.setdefault(int(app_id), []).append(start_key)
    for application in Application.objects.filter(
        session__in=qs, pk__in=list(pending)
    ).select_related("session"):
        session = application.session
        assert application.status == Application.Status.ACCEPTED, (
            f"application {application.pk} ({application.status}) is still to be reminded"
        )
        assert session.status == Session.Status.SCHEDULED, (
            f"application {application.pk} is reminded of a {session.status} session"
        )
        start_key = timezone.localtime(session.starts_at).strftime("%Y%m%d%H%M")
        assert set(pending[application.pk]) == {start_key}, (
            f"application {application.pk} is reminded of another start: {pending[application.pk]}"
        )
