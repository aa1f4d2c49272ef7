"""scripts/ensure-services, which `make test` (and so .ci/run) calls before the suite: it starts a stopped
service and fails with a clear message when one cannot be had."""

import os
import shutil
import socket
import subprocess

from django.conf import settings

SCRIPT = str(settings.BASE_DIR / "scripts" / "ensure-services")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT], env={**os.environ, "ENSURE_WAIT_SECONDS": "5", **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_stopped_redis_is_started():
    assert shutil.which("redis-server"), (
        "the suite's machine has Redis installed (Debian redis-server)"
    )
    port = free_port()  # nothing listens here: the "stopped" Redis
    try:
        result = run(ENSURE_REDIS_PORT=str(port))
        assert result.returncode == 0, result.stderr
        assert "Redis is stopped: starting it" in result.stdout
        pong = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
        )
        assert pong.stdout.strip() == "PONG"
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)


def test_a_missing_postgresql_fails_with_a_clear_message():
    result = run(ENSURE_PGPORT=str(free_port()), ENSURE_WAIT_SECONDS="1")
    assert result.returncode == 1
    assert "error: PostgreSQL is not running" in result.stderr
