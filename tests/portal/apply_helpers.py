"""Shared set-up for the application tests: many helpers fast, concurrent runners, invariant checks."""

import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import count, pairwise

from django.db import connection
from django.db.models import Count, Q

from accounts.models import HelperProfile, User
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


def assert_invariants(sessions=None) -> None:
    """ARCHITECTURE.md's capacity and overlap invariants, plus places_taken never drifting."""
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
