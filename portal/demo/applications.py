"""Applications in every state, attendance for past sessions, thank-yous (small scale), and a million
applications over three years written with COPY (large scale). Works off whatever sessions exist.

Both keep the invariants: places_taken equals the held rows (recomputed in SQL at the end), never more
held rows than capacity, and no helper holding two places on the same day (checked while generating)."""

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.bulk import foreign_keys_checked_at_end
from accounts.models import HelperProfile, User
from points.models import Transaction
from portal.demo.matching import TASTE_DOMAIN, TASTE_MARK
from portal.demo.people import HELPER_EMAIL, HIDA_SLUG
from portal.demo.programs import LARGE_MARK
from portal.models import Application, Attendance, Impression, Session, ThankYou
from portal.services.attendance import attendance_correct

S = Application.Status
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NULL = "\\N"  # COPY's text format


# The large scale's check-in codes start with "1", a character new_checkin_code() never uses (no 1/I/L),
# so they can neither collide with a real code nor be confused with one when counting what exists.
LARGE_CODE_PREFIX = "1"


def _code(n: int, prefix: str = LARGE_CODE_PREFIX) -> str:
    # Deterministic, unique check-in codes for bulk rows: uniqueness comes from n (base 31, 7 digits).
    digits = []
    for _ in range(7):
        n, r = divmod(n, 31)
        digits.append(ALPHABET[r])
    return prefix + "".join(reversed(digits))


def _recount_places() -> None:
    """places_taken := held rows, in one statement (portable: PostgreSQL and SQLite)."""
    held = (
        "(SELECT count(*) FROM portal_application a WHERE a.session_id = portal_session.id"
        " AND a.status IN ('accepted', 'attended'))"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE portal_session SET places_taken = {held} WHERE places_taken <> {held}"  # noqa: S608
        )


@transaction.atomic
def seed_applications(*, limit_sessions: int = 300) -> int:
    """Small scale: for sessions without applications, a roster in realistic states."""
    rng = random.Random(5)
    helper_ids = list(
        HelperProfile.objects.exclude(user__email__endswith="@large.example.jp")
        .exclude(user__email__endswith=f"@{TASTE_DOMAIN}")
        .order_by("pk")
        .values_list("user_id", flat=True)[:200]
    )
    if not helper_ids:
        return 0
    now = timezone.now()
    candidates = (
        Session.objects.filter(applications__isnull=True)
        .exclude(status=Session.Status.CANCELLED)
        # Not the large scale's sessions (seed_large_applications fills them) nor a benchmark's own.
        .exclude(program__nushi__name__startswith=LARGE_MARK)
        .exclude(program__nushi__name__startswith=TASTE_MARK)  # their history is made from tastes
        .exclude(program__title__startswith="bench")
    )
    # The demo's programs are all first come: make every third upcoming session a selection, so that
    # the demo shows applications waiting for the nushi's decision ("applied").
    upcoming = list(
        candidates.filter(starts_at__gt=now).order_by("starts_at").values_list("pk", flat=True)
    )
    Session.objects.filter(pk__in=upcoming[::3]).update(
        acceptance_mode=Session.AcceptanceMode.SELECTION
    )
    sessions = list(
        candidates.select_related(
            "program__nushi", "program__created_by", "program__municipality"
        ).order_by("starts_at")[:limit_sessions]
    )
    busy: set[tuple[int, object]] = {
        (h, timezone.localdate(d))
        for h, d in Application.objects.filter(status__in=Application.HOLDS_PLACE).values_list(
            "helper_id", "session__starts_at"
        )
    }
    demo_helper = User.objects.filter(email=HELPER_EMAIL).values_list("pk", flat=True).first()
    demo_history = _demo_helper_history(sessions, now) if demo_helper in helper_ids else set()
    made = 0
    for n, session in enumerate(sessions):
        past = session.ends_at < now
        # Every other upcoming session is only half booked, so a demo visitor finds open places;
        # the others overflow into the waitlist.
        wanted = session.capacity // 2 + 1 if not past and n % 2 else session.capacity + 3
        chosen = rng.sample(helper_ids, min(len(helper_ids), wanted))
        if session.pk in demo_history and demo_helper is not None:
            chosen = [demo_helper, *(h for h in chosen if h != demo_helper)][: len(chosen)]
        taken = 0
        rows = []
        for i, helper_id in enumerate(chosen):
            day = timezone.localdate(session.starts_at)
            if (
                session.pk in demo_history
                and helper_id == demo_helper
                and (helper_id, day) not in busy
            ):
                status = S.ATTENDED
                taken += 1
                busy.add((helper_id, day))
            elif i == len(chosen) - 1:
                status = S.CANCELLED
            elif session.acceptance_mode == "selection" and not past and i % 3 == 2:
                status = S.APPLIED
            elif taken < session.capacity and (helper_id, day) not in busy:
                status = (S.ATTENDED if rng.random() < 0.85 else S.NO_SHOW) if past else S.ACCEPTED
                taken += 1  # a no-show held a place until the session
                busy.add((helper_id, day))
            else:
                status = S.DECLINED if past else S.WAITLISTED
            rows.append(Application(session=session, helper_id=helper_id, status=status,
                                    decided_at=now, cancelled_at=now if status == S.CANCELLED else None))  # fmt: skip
        created = Application.objects.bulk_create(rows)
        made += len(created)
        attended = [a for a in created if a.status == S.ATTENDED]
        Attendance.objects.bulk_create(
            [
                Attendance(application=a, checked_in_at=session.starts_at, method="qr")
                for a in attended
            ]
        )
        if past and attended:
            author = session.program.nushi.members.first() or session.program.created_by
            if author:
                ThankYou.objects.create(
                    session=session, author=author,
                    body="先日はありがとうございました！おかげさまで作業がはかどりました。またお待ちしています。",
                )  # fmt: skip
    _recount_places()
    seed_impressions()
    return made


def _demo_helper_history(sessions: list[Session], now: datetime) -> set[int]:
    """The two most recent past sessions of 飛騨市 with points, on different days, that the demo
    helper attended: their マイページ shows a history and a wallet with points not yet expired."""
    picked: dict[object, int] = {}
    for session in reversed(sessions):
        program = session.program
        if (
            session.ends_at < now
            and program.municipality.slug == HIDA_SLUG
            and program.points_per_participant > 0
            and timezone.localdate(session.starts_at) not in picked
        ):
            picked[timezone.localdate(session.starts_at)] = session.pk
            if len(picked) == 2:
                break
    return set(picked.values())


IMPRESSIONS = [
    "はじめての農作業でしたが、ヌシさんが丁寧に教えてくれました。また来たいです。",
    "地元の方のお話が面白くて、あっという間の半日でした。",
    "体を動かしたあとのお昼ごはんが最高でした。",
    "思っていたより大変でしたが、終わったあとの景色が忘れられません。",
]


def seed_impressions() -> None:
    """Up to four impressions per past demo session (not the large scale's), on sessions that have
    none yet (idempotent); every fourth is kept to the hosts, so the pages show only those agreed to."""
    attended = (
        Application.objects.filter(status=S.ATTENDED)
        .exclude(session__program__nushi__name__startswith=LARGE_MARK)
        .exclude(session__program__nushi__name__startswith=TASTE_MARK)
        .exclude(session__applications__impression__isnull=False)
        .order_by("session_id", "pk")
        .values_list("pk", "session_id")
    )
    per_session: dict[int, int] = {}
    rows = []
    for pk, session_id in attended:
        i = per_session[session_id] = per_session.get(session_id, -1) + 1
        if i < 4:
            rows.append(Impression(application_id=pk, body=IMPRESSIONS[i], may_publish=i != 3))
    Impression.objects.bulk_create(rows)


def seed_large_applications(*, total: int = 1_000_000) -> int:
    """Large scale: `total` applications over the past three years via COPY (idempotent: counts the ones
    already there). Rows go to sessions in time order, helpers chosen so nobody holds two places a day."""
    existing = Application.objects.filter(checkin_code__startswith=LARGE_CODE_PREFIX).count()
    if existing >= total:
        return 0
    since = timezone.now() - timedelta(days=3 * 365)
    sessions = list(
        # Only sessions nobody applied for yet: the small demo's rosters (and their helpers' places)
        # stay as they are, and capacity is never exceeded by adding to an existing roster.
        Session.objects.filter(starts_at__gte=since, applications__isnull=True)
        .exclude(status=Session.Status.CANCELLED)
        .exclude(program__title__startswith="bench")
        .exclude(program__nushi__name__startswith=TASTE_MARK)
        .order_by("starts_at")
        .values_list("pk", "capacity", "starts_at", "ends_at")
    )
    helper_ids = list(
        HelperProfile.objects.filter(user__email__endswith="@large.example.jp").values_list(
            "user_id", flat=True
        )
    ) or list(HelperProfile.objects.values_list("user_id", flat=True))
    if not sessions or not helper_ids:
        return 0
    per_session = max(1, -(-(total - existing) // len(sessions)))
    per_session = min(per_session, len(helper_ids))
    made = 0
    with (
        transaction.atomic(),
        foreign_keys_checked_at_end("portal_application", "portal_attendance"),
        connection.cursor() as cursor,
    ):
        # Chunks go to the server as they are made: PostgreSQL loads one while Python makes the next.
        with cursor.copy(
            "COPY portal_application (session_id, helper_id, message, status, checkin_code,"
            " late_cancellation, created_at, updated_at, decided_at, cancelled_at) FROM STDIN"
        ) as copy:
            for chunk in _large_rows(sessions, helper_ids, per_session, existing, total):
                copy.write(chunk)
                made += chunk.count("\n")
        cursor.execute(
            """
            INSERT INTO portal_attendance (application_id, checked_in_at, method)
            SELECT a.id, s.starts_at, 'qr' FROM portal_application a
            JOIN portal_session s ON s.id = a.session_id
            LEFT JOIN portal_attendance t ON t.application_id = a.id
            WHERE a.status = 'attended' AND a.checkin_code LIKE '1%%' AND t.id IS NULL
            """
        )
        _recount_places()
    return made


def _large_rows(
    sessions: list[tuple[int, int, datetime, datetime]],
    helper_ids: list[int],
    per_session: int,
    existing: int,
    total: int,
    chunk: int = 20_000,
) -> Iterator[str]:
    """COPY text of the large scale's applications numbered existing..total-1, `chunk` rows at a
    time (one row per line)."""
    rng = random.Random(7)
    now = timezone.now()
    lines: list[str] = []
    busy: dict[int, int] = {}  # helper -> last busy day ordinal (sessions are in time order)
    n = existing
    for pk, capacity, starts_at, ends_at in sessions:
        if n >= total:
            break
        # The local day: sessions at 08:00 and 09:00 JST fall on different UTC days yet can overlap.
        day = timezone.localtime(starts_at).date().toordinal()
        past = ends_at < now
        taken = 0
        offset = rng.randrange(len(helper_ids))
        for j in range(per_session):
            if n >= total:
                break
            helper_id = helper_ids[(offset + j * 7919) % len(helper_ids)]
            r = rng.random()
            if r < 0.07:
                status = S.CANCELLED
            elif taken < capacity and busy.get(helper_id) != day:
                status = (S.ATTENDED if r < 0.9 else S.NO_SHOW) if past else S.ACCEPTED
                taken += 1  # a no-show held a place until the session
                busy[helper_id] = day
            else:
                status = S.DECLINED if past else S.WAITLISTED
            # Applied 3-40 days before the session, and never in the future.
            created = min(
                starts_at - timedelta(days=rng.randint(3, 40)),
                now - timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
            )
            stamp = created.isoformat()
            lines.append(
                f"{pk}\t{helper_id}\t\t{status}\t{_code(n)}\tf\t{stamp}\t{stamp}\t"
                f"{stamp}\t{stamp if status == S.CANCELLED else NULL}\n"
            )
            n += 1
            if len(lines) == chunk:
                yield "".join(lines)
                lines.clear()
    if lines:
        yield "".join(lines)


def seed_attendance_correction() -> bool:
    """The demo's one reversal of points: staff correct the last credited attendee to a no-show
    after closing, through the service staff use (the points worker reverses the credit after the
    commit). Idempotent: skipped once an attendance was corrected (its history says so)."""
    corrected = Application.history.filter(
        history_change_reason__startswith="attendance:correction"
    )
    if corrected.exists():
        return False
    first = (
        Transaction.objects.filter(
            kind="credit", application_id__in=Application.objects.filter(
                status=Application.Status.ATTENDED, session__status=Session.Status.CLOSED
            ).values("pk"),
        )
        # The latest credit: still in the wallet (an older one may have expired, leaving nothing to
        # take back); of a wallet municipality (飛騨市, the demo staff's).
        .exclude(municipality__points_issuer__kind="codes")
        .order_by("-pk")
        .first()
    )  # fmt: skip
    if first is None or first.application_id is None:
        return False
    staff = (
        User.objects.filter(staff_memberships__municipality_id=first.municipality_id)
        .order_by("pk")
        .first()
    )
    if staff is None:
        return False
    attendance_correct(
        application_id=first.application_id, to=Application.Status.NO_SHOW,
        reason="受付の取り違え（デモ）", actor=staff,
    )  # fmt: skip
    return True
