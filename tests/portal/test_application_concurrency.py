"""Capacity, waitlist and overlap under real concurrency on PostgreSQL: threads with their own
connections (`transaction=True`). Each guard comes as a pair: the race with the guard bypassed, then
the same load with the guard in place."""

import threading
import time
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from portal.models import Application, Session
from portal.services import applications as services
from tests.portal.apply_helpers import (
    Pause,
    assert_invariants,
    interleave,
    make_helpers,
    pause_after,
    run_concurrently,
)
from tests.portal.factories import SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)
Status = Application.Status


def _statuses(session):
    return list(
        Application.objects.filter(session=session)
        .order_by("created_at", "pk")
        .values_list("status", flat=True)
    )


def test_200_concurrent_applications_fill_exactly_ten_places_every_time():
    helpers = make_helpers(200)
    for day in range(2):
        # A different day each round: the same 200 helpers must not overlap their own earlier places.
        session = SessionFactory(capacity=10, starts_at=timezone.now() + timedelta(days=10 + day))
        results = run_concurrently(
            lambda h, s=session: services.application_submit(helper=h, session_id=s.pk), helpers
        )
        assert not [r for r in results if isinstance(r, Exception)]
        statuses = _statuses(session)
        assert statuses.count(Status.ACCEPTED) == 10
        assert statuses.count(Status.WAITLISTED) == 190
        session.refresh_from_db()
        assert session.places_taken == 10
        # The waitlist is in order of arrival: every accepted row came before every waitlisted one
        # that was written after the session filled.
        assert_invariants([session])


def test_concurrent_cancellations_promote_the_waitlist_in_order():
    session = SessionFactory(capacity=10)
    helpers = make_helpers(50)
    apps = [services.application_submit(helper=h, session_id=session.pk) for h in helpers]
    accepted, waitlisted = apps[:10], apps[10:]
    assert {a.status for a in accepted} == {Status.ACCEPTED}
    cancel_waitlisted = waitlisted[::4]  # 10 waitlisted helpers give up too
    to_cancel = accepted + cancel_waitlisted
    results = run_concurrently(
        lambda a: services.application_cancel(application_id=a.pk, actor=a.helper), to_cancel
    )
    assert not [r for r in results if isinstance(r, Exception)]
    remaining = [a.pk for a in waitlisted if a not in cancel_waitlisted]
    now_accepted = list(
        Application.objects.filter(session=session, status=Status.ACCEPTED).values_list(
            "pk", flat=True
        )
    )
    assert sorted(now_accepted) == sorted(remaining[:10])
    assert (
        Application.objects.filter(session=session, status=Status.WAITLISTED).count()
        == len(remaining) - 10
    )
    assert_invariants([session])


def test_concurrent_applications_and_cancellations_never_strand_a_free_place():
    # Cancellations racing with new applications: a place freed while someone is being waitlisted must
    # end up taken (the waitlist path serialises on the session row).
    session = SessionFactory(capacity=10)
    first = [services.application_submit(helper=h, session_id=session.pk) for h in make_helpers(10)]
    newcomers = make_helpers(60)
    work = [("cancel", a) for a in first] + [("apply", h) for h in newcomers]

    def do(item):
        kind, obj = item
        if kind == "cancel":
            return services.application_cancel(application_id=obj.pk, actor=obj.helper)
        return services.application_submit(helper=obj, session_id=session.pk)

    results = run_concurrently(do, work)
    assert not [r for r in results if isinstance(r, Exception)]
    session.refresh_from_db()
    assert session.places_taken == 10
    assert Application.objects.filter(session=session, status=Status.ACCEPTED).count() == 10
    assert_invariants([session])


# --- concurrency pair: capacity ---------------------------------------------------------------------


def test_race_overbooks_when_the_capacity_guard_is_bypassed(monkeypatch):
    """Apply with take_place replaced by what a naive service does: read, decide in Python, write back.
    Three helpers for two places all read "0 taken" before any writes (a barrier makes sure), so all
    three are accepted and the counter loses two updates."""
    readers = threading.Barrier(3, timeout=30)

    def unguarded_take_place(session_id: int) -> bool:
        row = Session.objects.only("capacity", "places_taken").get(pk=session_id)
        readers.wait()
        if row.places_taken >= row.capacity:
            return False
        Session.objects.filter(pk=session_id).update(places_taken=row.places_taken + 1)
        return True

    monkeypatch.setattr(services, "take_place", unguarded_take_place)
    session = SessionFactory(capacity=2)
    results = run_concurrently(
        lambda h: services.application_submit(helper=h, session_id=session.pk), make_helpers(3)
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Application.objects.filter(session=session, status=Status.ACCEPTED).count() == 3
    session.refresh_from_db()
    assert session.places_taken == 1  # lost updates
    with pytest.raises(AssertionError, match=r"drifted|overbooked"):
        assert_invariants([session])


def test_capacity_guard_prevents_the_race():
    session = SessionFactory(capacity=5)
    results = run_concurrently(
        lambda h: services.application_submit(helper=h, session_id=session.pk), make_helpers(40)
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert [r.status for r in results].count(Status.ACCEPTED) == 5
    assert Application.objects.filter(session=session, status=Status.ACCEPTED).count() == 5
    assert Application.objects.filter(session=session, status=Status.WAITLISTED).count() == 35
    assert_invariants([session])


# --- concurrency pair: a place freed while someone is being waitlisted --------------------------------
# The waitlister holds a shared lock on the session row from its second look until it commits; a
# cancellation locks the row FOR UPDATE before freeing a place, so it waits, then sees the new waitlisted
# row and promotes it. Without either lock the cancellation commits in between and the place is
# stranded: free, with someone on the waitlist.


def _waitlisting_while_a_place_is_freed(monkeypatch):
    session = SessionFactory(capacity=1)
    holder, waiter = make_helpers(2)
    held = services.application_submit(helper=holder, session_id=session.pk)
    assert held.status == Status.ACCEPTED
    pause = Pause()
    calls = []

    def second_look_found_it_full(taken):
        calls.append(taken)
        return len(calls) == 2 and not taken

    # The waitlister stops after its second look (still full), before writing its waitlisted row.
    pause_after(monkeypatch, services, "take_place", pause, when=second_look_found_it_full)
    applied, cancelled = interleave(
        lambda: services.application_submit(helper=waiter, session_id=session.pk),
        lambda: services.application_cancel(application_id=held.pk, actor=holder),
        pause,
    )
    assert "error" not in applied and "error" not in cancelled
    session.refresh_from_db()
    return session, Application.objects.get(pk=applied["result"].pk), cancelled


@pytest.mark.parametrize("guard", ["share_lock_session", "lock_session"])
def test_race_strands_a_freed_place_without_the_share_lock_or_the_cancellation_lock(
    monkeypatch, guard
):
    if guard == "share_lock_session":
        monkeypatch.setattr(services, "share_lock_session", lambda session_id: None)
    else:  # application_cancel reads the session without locking it
        monkeypatch.setattr(
            services,
            "lock_session",
            lambda pk: Session.objects.select_related("program").get(pk=pk),
        )
    session, waiting, cancelled = _waitlisting_while_a_place_is_freed(monkeypatch)
    assert not cancelled["blocked"]
    assert (session.places_taken, session.capacity, waiting.status) == (0, 1, Status.WAITLISTED)
    assert_invariants([session])  # consistent, yet the place is lost to the waitlister


def test_a_place_freed_while_someone_is_being_waitlisted_goes_to_them(monkeypatch):
    session, waiting, cancelled = _waitlisting_while_a_place_is_freed(monkeypatch)
    assert cancelled["blocked"]
    assert (session.places_taken, waiting.status) == (1, Status.ACCEPTED)
    assert_invariants([session])


def test_the_database_refuses_overbooking_even_without_any_service():
    session = SessionFactory(capacity=1, places_taken=1)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError, match="portal_session_places_within_capacity"):
        Session.objects.filter(pk=session.pk).update(places_taken=F("places_taken") + 1)


# --- concurrency pair: one helper, overlapping sessions ----------------------------------------------


def _overlapping_sessions(n):
    first = SessionFactory(capacity=10)
    return [first] + [
        SessionFactory(capacity=10, starts_at=first.starts_at, ends_at=first.ends_at)
        for _ in range(n - 1)
    ]


def test_race_double_books_a_helper_when_the_helper_lock_is_bypassed(monkeypatch):
    from portal.selectors.applications import overlapping_held as real_overlapping_held

    def slow_check(**kwargs):
        qs = real_overlapping_held(**kwargs)
        exists = qs.exists()
        time.sleep(0.05)
        return qs.none() if not exists else qs

    monkeypatch.setattr(services, "lock_helper", lambda pk: None)
    monkeypatch.setattr(services, "overlapping_held", slow_check)
    monkeypatch.setattr("portal.services.applications.eligibility_problems", lambda **kwargs: [])
    helper = make_helpers(1)[0]
    sessions = _overlapping_sessions(6)
    run_concurrently(
        lambda s: services.application_submit(helper=helper, session_id=s.pk), sessions
    )
    assert Application.objects.filter(helper=helper, status=Status.ACCEPTED).count() > 1
    with pytest.raises(AssertionError, match="overlapping"):
        assert_invariants(sessions)


def test_helper_lock_prevents_double_booking_overlapping_sessions():
    helper = make_helpers(1)[0]
    sessions = _overlapping_sessions(6)
    results = run_concurrently(
        lambda s: services.application_submit(helper=helper, session_id=s.pk), sessions
    )
    assert Application.objects.filter(helper=helper, status=Status.ACCEPTED).count() == 1
    assert sum(isinstance(r, Exception) for r in results) == 5
    assert_invariants(sessions)
