"""apply_burst and apply_race.

apply_burst: 1,000 applications across 100 sessions (10 places each) from 8 parallel HTTP clients against
a gunicorn server on 127.0.0.1 (the full stack: middleware, session auth, CSRF, rate limit, form, service,
outbox), in applications/s. Floor: the same rows written with raw SQL in one connection (conditional
UPDATE of places_taken + INSERT, one transaction per application).

apply_race: 1,000 concurrent applications for one 10-place session, 20 rounds, through the service from
16 threads with their own connections; reported for the production strategy (conditional UPDATE) and,
as `lock_rate`, for SELECT ... FOR UPDATE, the measurement behind the choice.

Both lines carry `"overbooked"`: sessions whose accepted rows or places_taken exceed capacity, counted in
SQL afterwards; it must be 0."""

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.utils import timezone

from bench.harness import emit

BENCH_PREFIX = "bench-apply"


def _world(n_sessions: int, capacity: int, day_offset: int):
    from accounts.models import Organization
    from portal.models import Program, Session

    organization = Organization.objects.order_by("pk").first()
    program = Program.objects.create(
        municipality_id=organization.municipality_id,
        nushi=organization,
        title=f"{BENCH_PREFIX} {day_offset}",
        category="farming",
        status=Program.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    base = timezone.now() + timedelta(days=400 + day_offset)
    return [
        Session.objects.create(
            program=program,
            starts_at=base + timedelta(days=i),
            ends_at=base + timedelta(days=i, hours=3),
            apply_deadline=base - timedelta(days=1),
            capacity=capacity,
        )
        for i in range(n_sessions)
    ]


def _helpers(n: int):
    from accounts.models import HelperProfile, User

    tag = secrets.token_hex(4)
    users = User.objects.bulk_create(
        [User(email=f"{BENCH_PREFIX}-{tag}-{i}@example.jp", password="!") for i in range(n)]  # noqa: S106 - unusable
    )
    HelperProfile.objects.bulk_create(
        [
            HelperProfile(user=u, display_name=f"b{i}", home_prefecture="東京都", birth_year=1990)
            for i, u in enumerate(users)
        ]
    )
    return users


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


def _session_cookie(user) -> str:
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int):
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_ALLOWED_HOSTS": "*"}
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "8", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def _post_apply(port: int, session_id: int, cookie: str) -> int:
    token = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/sessions/{session_id}/apply/",
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "message": ""}).encode(),
        headers={"Cookie": f"sessionid={cookie}; csrftoken={token}"},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


def _floor(n: int) -> float:
    sessions = _world(100, 10, day_offset=200)
    helpers = _helpers(n)
    from portal.models import new_checkin_code

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for i, helper in enumerate(helpers):
            session_id = sessions[i % 100].pk
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
    return n / (time.perf_counter() - started)


def apply_burst() -> dict:
    n, clients = 1000, 8
    sessions = _world(100, 10, day_offset=0)
    helpers = _helpers(n)
    cookies = [_session_cookie(h) for h in helpers]
    port = _free_port()
    server = _start_server(port)
    try:
        jobs = [(sessions[i % 100].pk, cookies[i]) for i in range(n)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            codes = list(pool.map(lambda job: _post_apply(port, *job), jobs))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    from portal.models import Application

    written = Application.objects.filter(session__in=sessions).count()
    if written != n:
        raise AssertionError(f"apply_burst: {written} of {n} written; codes {set(codes)}")
    floor = _floor(n)
    return emit(
        "apply_burst", n / elapsed, "applications/s", floor,
        overbooked=_overbooked(s.pk for s in sessions), clients=clients,
    )  # fmt: skip


def _race(strategy: str, rounds: int, n: int = 1000, threads: int = 16) -> tuple[float, list[int]]:
    from portal.services import applications as services

    services.capacity_strategy = strategy
    helpers = _helpers(n)
    session_ids = []
    elapsed = 0.0
    try:
        for r in range(rounds):
            (session,) = _world(
                1, 10, day_offset=600 + r + (0 if strategy == "conditional" else 100)
            )
            session_ids.append(session.pk)
            gate = threading.Event()

            def apply(helper, session_id=session.pk, gate=gate):
                gate.wait()
                try:
                    return services.application_submit(helper=helper, session_id=session_id).status
                finally:
                    connection.close()

            with ThreadPoolExecutor(max_workers=threads) as pool:
                futures = [pool.submit(apply, h) for h in helpers]
                started = time.perf_counter()
                gate.set()
                statuses = [f.result() for f in futures]
                elapsed += time.perf_counter() - started
            if statuses.count("accepted") != 10:
                raise AssertionError(f"apply_race: {statuses.count('accepted')} accepted")
    finally:
        services.capacity_strategy = "conditional"
    return rounds * n / elapsed, session_ids


def apply_race() -> dict:
    rounds = int(os.environ.get("BENCH_APPLY_RACE_ROUNDS", "20"))
    rate, session_ids = _race("conditional", rounds)
    lock_rate, lock_ids = _race("lock", max(rounds // 4, 1))
    floor = _floor(1000)
    return emit(
        "apply_race", rate, "applications/s", floor,
        overbooked=_overbooked(session_ids + lock_ids), rounds=rounds, lock_rate=round(lock_rate, 1),
    )  # fmt: skip


def run() -> list[dict]:
    return [apply_burst(), apply_race()]
