"""The production build as README describes it, on this checkout: under DJANGO_DEBUG=0, collectstatic
builds the manifest, migrate runs, and gunicorn serves the home page and every static file it links
(the hashed stylesheet included) through whitenoise. Each step runs in a fresh process with only the
production variables, so nothing from the test settings leaks in."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

# The tests' environment (DATABASE_URL, REDIS_URL, DJANGO_DEBUG=1 from the Makefile) is not passed on.
BASE_ENV = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
# Behind the TLS-terminating proxy that production has: SECURE_SSL_REDIRECT would send plain HTTP away.
HTTPS = {"X-Forwarded-Proto": "https"}


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        **BASE_ENV,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "staticfiles"),
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> str:
    """Runs manage.py in a fresh process with only `env`; returns what it printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=HTTPS)  # noqa: S310 - our loopback server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    # No control socket: its default path is one per machine, and another gunicorn may hold it.
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning", "--no-control-socket"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"gunicorn exited with {process.returncode}:\n{process.stdout.read()}"
            )
        try:
            get(f"http://127.0.0.1:{port}/healthz")
            return process
        except OSError:  # refused while booting
            time.sleep(0.2)
    process.terminate()
    raise AssertionError(f"gunicorn did not answer within 60 s:\n{process.communicate()[0]}")


def test_collectstatic_migrate_and_gunicorn_serve_the_home_page_and_its_stylesheet(tmp_path):
    env = production_env(tmp_path)
    manage(env, "collectstatic", "--noinput", "-v0")
    static_root = tmp_path / "staticfiles"
    assert (static_root / "staticfiles.json").is_file()
    # The Tailwind source (`@import "tailwindcss"`, for the npm build only) is not published.
    sources = [p for p in static_root.rglob("*.css") if b'@import "tailwindcss"' in p.read_bytes()]
    assert sources == []

    manage(env, "migrate", "--noinput", "-v0")
    port = free_port()
    server = serve(env, port)
    try:
        status, headers, body = get(f"http://127.0.0.1:{port}/")
        assert status == 200, body[:2000]
        assert "Strict-Transport-Security" in headers  # the production flags are on
        page = body.decode()
        stylesheet = re.search(
            r'<link rel="stylesheet" href="(/static/css/app\.[0-9a-f]{12}\.css)"', page
        )
        assert stylesheet, "the home page links no hashed stylesheet"
        status, headers, css = get(f"http://127.0.0.1:{port}{stylesheet[1]}")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert b"--color-blue-900" in css  # the built Tailwind CSS, not an empty or source file
        assert b'@import "tailwindcss"' not in css

        # Every other static file the page names (htmx, scripts) comes from the manifest too.
        for path in set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)):
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", path), f"{path} is not a hashed name"
            assert get(f"http://127.0.0.1:{port}{path}")[0] == 200, path

        # Debug pages are off: an unknown address gets the site's 404, not Django's URL list.
        status, _headers, body = get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404
        assert b"URLconf" not in body
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        print(output)  # shown by pytest when the test fails
