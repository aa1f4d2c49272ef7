"""apply_burst and apply_race.

apply_burst: 1,000 applications across 100 sessions (10 places each) from 8 parallel HTTP clients against
a gunicorn server on 127.0.0.1: the full stack (middleware, session auth, CSRF, rate limit, form, service,
outbox). Each client is signed in with a session cookie (a server-side session, as `Client.force_login`
makes it: 1,000 password hashes would only measure PBKDF2), fetches the apply form (GET: csrftoken cookie
and the form's csrfmiddlewaretoken, as a browser does) and POSTs it. The timed part is the POSTs, in
applications/s. Floor: the same rows written with raw SQL in one connection (conditional UPDATE of
places_taken + INSERT, one transaction per application).

apply_race: 1,000 concurrent applications for one 10-place session, 20 rounds, through the service from
8 threads with their own connections; reported for the production strategy (conditional UPDATE) and, as
`lock_rate`, for SELECT ... FOR UPDATE (BENCH_APPLY_LOCK_ROUNDS, default 4), the measurement behind the
choice.

Both lines carry `"overbooked"`: bench sessions whose accepted rows or places_taken exceed capacity,
counted in SQL afterwards; it must be 0. Fewer rows than expected, or any overbooking, is an error
(non-zero exit).

The bench owns its world (one organisation, program, sessions and helpers, all marked BENCH_PREFIX),
creates it idempotently and deletes its own applications before each run, so it depends on nothing in
the demo data but one municipality."""

import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookies import SimpleCookie

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection, transaction
from django.utils import timezone

from bench.harness import emit

BENCH_PREFIX = "bench-apply"
CAPACITY = 10
BURST_SESSIONS = 100
# Day offsets (from a fixed far-future base, past the demo's one-year horizon) of the bench's sessions;
# one session per day so that no helper's places can overlap.
BURST_DAY, FLOOR_DAY, RACE_DAY, RACE_FLOOR_DAY = 0, 200, 400, 500


class BenchError(RuntimeError):
    pass


# --- the bench's own world -------------------------------------------------------------------------


def _program():
    from accounts.models import Municipality, Organization
    from portal.models import Program

    municipality = Municipality.objects.order_by("pk").first()
    if municipality is None:
        raise BenchError("no municipality: run seed_demo first")
    organization, _ = Organization.objects.get_or_create(
        municipality=municipality, name=f"{BENCH_PREFIX} 団体"
    )
    program, _ = Program.objects.get_or_create(
        nushi=organization,
        title=BENCH_PREFIX,
        defaults={
            "municipality": municipality,
            "category": "farming",
            "status": Program.Status.PUBLISHED,
            "published_at": timezone.now(),
        },
    )
    return program


def _base():
    # A fixed midnight far enough ahead that the demo's sessions (one year) never share a day with ours.
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    return today + timedelta(days=800)


def _sessions(program, first_day: int, n: int) -> list[int]:
    """n sessions on consecutive days from first_day, created once, reset to empty each run."""
    from portal.models import Session

    base = _base()
    ids = []
    for i in range(n):
        starts_at = base + timedelta(days=first_day + i)
        session, _ = Session.objects.get_or_create(
            program=program,
            starts_at=starts_at,
            defaults={
                "ends_at": starts_at + timedelta(hours=3),
                "apply_deadline": starts_at - timedelta(days=1),
                "capacity": CAPACITY,
            },
        )
        ids.append(session.pk)
    Session.objects.filter(pk__in=ids).update(
        places_taken=0, capacity=CAPACITY, status=Session.Status.SCHEDULED
    )
    return ids


def _helpers(n: int, group: str) -> list:
    from accounts.models import HelperProfile, User
    from accounts.pages import required_versions
    from accounts.services import consent_record_many

    emails = [f"{BENCH_PREFIX}-{group}-{i:04d}@bench.example.jp" for i in range(n)]
    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    users = User.objects.bulk_create(
        [User(email=e, password="!") for e in emails if e not in have]  # noqa: S106 - unusable
    )
    HelperProfile.objects.bulk_create(
        [
            HelperProfile(user=u, display_name="bench", home_prefecture="東京都", birth_year=1990)
            for u in users
        ]
    )
    # They accepted the terms in force, as every real account has (accounts.middleware asks otherwise).
    consent_record_many(user_ids=[u.pk for u in users], versions=required_versions())
    return list(User.objects.filter(email__in=emails).order_by("email"))


def _clean(program) -> None:
    """Delete every application (with history and outbox rows) of the bench program's sessions."""
    from notifications.models import OutboxMessage
    from portal.models import Application

    apps = Application.objects.filter(session__program=program)
    keys = [f"application:{pk}" for pk in apps.values_list("pk", flat=True)]
    with transaction.atomic():
        for start in range(0, len(keys), 5000):
            OutboxMessage.objects.filter(object_key__in=keys[start : start + 5000]).delete()
        Application.history.filter(session__program=program).delete()
        apps.delete()


def _overbooked(session_ids) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM portal_session s
            WHERE s.id = ANY(%s) AND (s.places_taken > s.capacity OR (
                SELECT count(*) FROM portal_application a
                WHERE a.session_id = s.id AND a.status IN ('accepted', 'attended')) > s.capacity)
            """,
            [list(session_ids)],
        )
        return cursor.fetchone()[0]


def _written(session_ids) -> int:
    from portal.models import Application

    return Application.objects.filter(session_id__in=list(session_ids)).count()


def _floor(session_ids: list[int], helpers: list) -> float:
    """The same rows with raw SQL in one connection: one transaction per application."""
    from portal.models import new_checkin_code

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for i, helper in enumerate(helpers):
            session_id = session_ids[i % len(session_ids)]
            cursor.execute("BEGIN")
            cursor.execute(
                "UPDATE portal_session SET places_taken = places_taken + 1 "
                "WHERE id = %s AND places_taken < capacity",
                [session_id],
            )
            status = "accepted" if cursor.rowcount == 1 else "waitlisted"
            cursor.execute(
                "INSERT INTO portal_application (session_id, helper_id, message, status, checkin_code,"
                " late_cancellation, created_at, updated_at) VALUES (%s, %s, '', %s, %s, false, now(), now())",
                [session_id, helper.pk, status, new_checkin_code()],
            )
            cursor.execute("COMMIT")
    elapsed = time.perf_counter() - started
    if _written(set(session_ids)) != len(helpers):
        raise BenchError("floor: rows missing")
    return len(helpers) / elapsed


# --- HTTP --------------------------------------------------------------------------------------------


def _session_key(user) -> str:
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",  # plain HTTP; the cached template loader is on either way
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # Enqueue the outbox send as production does (a cheap broker write), not send it in the request.
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_BROKER_URL": "memory://localhost/",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "8", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(150):
            if process.poll() is not None:
                raise BenchError(f"gunicorn exited with {process.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
                return process
            except OSError:  # refused while booting (URLError), or a slow first response
                time.sleep(0.2)
        raise BenchError("gunicorn did not start")
    except BaseException:
        _stop_server(process)
        raise


def _stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One signed-in helper's cookies over a keep-alive connection of the calling thread."""

    local = threading.local()

    def __init__(self, port: int, session_key: str):
        self.port = port
        self.cookies = {"sessionid": session_key}

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return conn

    def request(self, method: str, path: str, body: str | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # What a browser sends with a same-origin form post (checked by Django over HTTPS).
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode()
                break
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, text

    def apply_form(self, session_id: int) -> str:
        status, _, text = self.request("GET", f"/sessions/{session_id}/apply/")
        match = TOKEN_RE.search(text)
        if status != 200 or match is None or "csrftoken" not in self.cookies:
            raise BenchError(f"GET apply form: {status}, token found: {match is not None}")
        return match.group(1)

    def apply(self, session_id: int, token: str) -> int:
        from urllib.parse import urlencode

        body = urlencode({"csrfmiddlewaretoken": token, "message": ""})
        status, headers, _ = self.request("POST", f"/sessions/{session_id}/apply/", body)
        if status != 302 or "/applications/" not in (headers.get("Location") or ""):
            raise BenchError(f"POST apply: {status} (expected a redirect to the application)")
        return status


def apply_burst() -> dict:
    n, clients = 1000, 8
    program = _program()
    _clean(program)
    session_ids = _sessions(program, BURST_DAY, BURST_SESSIONS)
    floor_ids = _sessions(program, FLOOR_DAY, BURST_SESSIONS)
    helpers = _helpers(n, "burst")
    floor_helpers = _helpers(n, "floor")
    port = _free_port()
    session_keys = [_session_key(h) for h in helpers]
    server = _start_server(port)
    try:
        browsers = [Browser(port, key) for key in session_keys]
        jobs = [(browsers[i], session_ids[i % BURST_SESSIONS]) for i in range(n)]
        with ThreadPoolExecutor(max_workers=clients) as pool:
            tokens = list(pool.map(lambda job: job[0].apply_form(job[1]), jobs))
            started = time.perf_counter()
            list(pool.map(lambda job, token: job[0].apply(job[1], token), jobs, tokens))
            elapsed = time.perf_counter() - started
    finally:
        _stop_server(server)
        from django.contrib.sessions.models import Session as DjangoSession

        DjangoSession.objects.filter(session_key__in=session_keys).delete()
    written = _written(session_ids)
    if written != n:
        raise BenchError(f"apply_burst: {written} of {n} applications written")
    overbooked = _overbooked(session_ids)
    floor = _floor(floor_ids, floor_helpers)
    line = emit(
        "apply_burst", n / elapsed, "applications/s", floor,
        overbooked=overbooked, clients=clients, sessions=BURST_SESSIONS,
    )  # fmt: skip
    if overbooked:
        raise BenchError(f"apply_burst: {overbooked} sessions overbooked")
    return line


def _take_place_with_row_lock(session_id: int) -> bool:
    """The alternative to the service's conditional UPDATE, kept here for the comparison only: lock the
    row (SELECT ... FOR UPDATE), compare in Python, then write. Same conditions as the service's."""
    from django.db.models import F

    from portal.models import Session

    row = (
        Session.objects.select_for_update()
        .only("capacity", "places_taken", "status", "starts_at")
        .get(pk=session_id)
    )
    if (
        row.places_taken >= row.capacity
        or row.status != Session.Status.SCHEDULED
        or row.starts_at <= timezone.now()
    ):
        return False
    Session.objects.filter(pk=session_id).update(places_taken=F("places_taken") + 1)
    return True


def _race(program, strategy: str, rounds: int, day: int, helpers, threads: int = 8):
    """`rounds` rounds of len(helpers) concurrent service calls on a fresh 10-place session each.
    `strategy`: "conditional" (the service as it is) or "lock" (_take_place_with_row_lock swapped in
    for the name the apply service calls; production code keeps one strategy, in
    portal.services.locking, and no switch)."""
    from portal.services import applications as services

    session_ids = _sessions(program, day, rounds)
    elapsed = 0.0
    production = services.take_place
    if strategy == "lock":
        services.take_place = _take_place_with_row_lock
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for session_id in session_ids:
                gate = threading.Event()

                def apply(helper, session_id=session_id, gate=gate):
                    gate.wait()
                    return services.application_submit(helper=helper, session_id=session_id).status

                futures = [pool.submit(apply, h) for h in helpers]
                started = time.perf_counter()
                gate.set()
                statuses = [f.result() for f in futures]
                elapsed += time.perf_counter() - started
                if statuses.count("accepted") != CAPACITY or len(statuses) != len(helpers):
                    raise BenchError(
                        f"apply_race ({strategy}): {statuses.count('accepted')} accepted"
                    )
            # Each worker thread opened its own connection: close each in the thread that owns it (the
            # barrier makes every thread take exactly one of these calls).
            barrier = threading.Barrier(threads)

            def close():
                barrier.wait(timeout=60)
                connection.close()

            list(pool.map(lambda _: close(), range(threads)))
    finally:
        services.take_place = production
    written = _written(session_ids)
    if written != rounds * len(helpers):
        raise BenchError(f"apply_race: {written} of {rounds * len(helpers)} written")
    return rounds * len(helpers) / elapsed, session_ids


def apply_race() -> dict:
    rounds = int(os.environ.get("BENCH_APPLY_RACE_ROUNDS", "20"))
    # The row-lock comparison runs fewer rounds by default: each round of 1,000 takes a minute or more on
    # this 2-core machine, and a few rounds are enough to compare the two strategies.
    lock_rounds = int(os.environ.get("BENCH_APPLY_LOCK_ROUNDS", "4"))
    n = 1000
    program = _program()
    helpers = _helpers(n, "race")
    # The outbox send is enqueued (to an in-memory broker nobody reads), as production enqueues it to
    # Redis, instead of being sent in the caller's thread by eager Celery: the race measures the service.
    from config.celery import app

    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "memory://localhost/"
    try:
        rate, ids = _race(program, "conditional", rounds, RACE_DAY, helpers)
        lock_rate, lock_ids = _race(program, "lock", lock_rounds, RACE_DAY + rounds, helpers)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
    floor_ids = _sessions(program, RACE_FLOOR_DAY, 1)
    floor = _floor(floor_ids, _helpers(n, "floor2"))
    overbooked = _overbooked(ids + lock_ids)
    line = emit(
        "apply_race", rate, "applications/s", floor,
        overbooked=overbooked, rounds=rounds, per_round=n, capacity=CAPACITY,
        strategy="conditional", lock_rate=round(lock_rate, 1), lock_rounds=lock_rounds,
        conditional_vs_lock=round(rate / lock_rate, 2),
    )  # fmt: skip
    if overbooked:
        raise BenchError(f"apply_race: {overbooked} sessions overbooked")
    return line


def run() -> list[dict]:
    return [apply_burst(), apply_race()]
