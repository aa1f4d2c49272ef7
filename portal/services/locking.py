"""Every row lock of the marketplace's write paths, in one place (pretix keeps its locking.py the same way).

Lock order, everywhere, so that two services never wait for each other in opposite orders:

    program (lock_program) -> session (lock_session / share_lock_session / take_place) -> helper (lock_helper)

A need (lock_need) is locked alone. Lock what you make *less* available; freeing a place
(release_place) needs no lock of its own, because whoever frees it already holds the session row.

Every function here must be called inside a transaction: the lock is held until it commits. Services
import these names into their own module, so a test that removes one guard patches it in the module
whose behaviour it shows (e.g. `portal.services.applications.take_place`).
"""

import functools
import logging

from django.db import OperationalError, connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from portal.models import Need, Program, Session

log = logging.getLogger(__name__)


def take_place(session_id: int) -> bool:
    """Take one place of the session if it is still scheduled, not started and not full; True when
    taken. One conditional UPDATE: PostgreSQL re-evaluates the WHERE after waiting for a concurrent
    writer of the row, so two transactions never both take the last place; the row stays locked
    (FOR NO KEY UPDATE) until this transaction commits."""
    return (
        Session.objects.filter(
            pk=session_id,
            status=Session.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
            places_taken__lt=F("capacity"),
        ).update(places_taken=F("places_taken") + 1)
        == 1
    )


def release_place(session_id: int) -> None:
    """Give one place back. The caller holds the session row (lock_session) and changed the
    application that held it in the same transaction."""
    Session.objects.filter(pk=session_id).update(places_taken=F("places_taken") - 1)


def lock_session(session_id: int) -> Session:
    """SELECT ... FOR UPDATE of the session row (not its program's), returned with its program and
    municipality: whatever decides on the session must be read here, not before."""
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("program__municipality")
        .get(pk=session_id)
    )


def share_lock_session(session_id: int) -> None:
    """SELECT ... FOR KEY SHARE: waits for and blocks a cancellation or session change (they lock FOR
    UPDATE), not other waitlisters nor the conditional UPDATE of places_taken."""
    if connection.vendor != "postgresql":
        return  # SQLite (the embedded default) serialises every write transaction anyway
    with connection.cursor() as cursor:
        # The ORM has no FOR KEY SHARE; the table name is ours, the id a parameter.
        cursor.execute("SELECT id FROM portal_session WHERE id = %s FOR KEY SHARE", [session_id])


def lock_helper(helper_id: int) -> None:
    """Serialise "no two overlapping accepted sessions" per helper: lock the helper's user row."""
    list(User.objects.select_for_update().filter(pk=helper_id).values_list("pk", flat=True))


def lock_program(program_id: int) -> Program:
    """SELECT ... FOR UPDATE of the program: its state, photos and sessions change one at a time."""
    return Program.objects.select_for_update().get(pk=program_id)


def lock_need(need_id: int) -> Need:
    """SELECT ... FOR UPDATE of the need: the nushi's edit against staff starting the design."""
    return Need.objects.select_for_update().get(pk=need_id)


def retry_on_deadlock(fn):
    """Run a service again (at most 3 times) when PostgreSQL aborts it as a deadlock victim: a
    promotion may lock more than one helper, which the fixed lock order cannot always avoid."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(3):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if "deadlock detected" not in str(exc) or attempt == 2:
                    raise
                log.info("deadlock in %s, retrying", fn.__name__)
        raise AssertionError("unreachable")

    return wrapper
