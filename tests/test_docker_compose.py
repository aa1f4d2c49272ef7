"""docker-compose.yml's web command, run by a real shell with stand-ins for python and gunicorn: it
migrates and serves, and seeds the demo data (logins with a published password) only when DEMO=1."""

import os
import re
import stat
import subprocess
from pathlib import Path

from django.conf import settings

COMPOSE = (Path(settings.BASE_DIR) / "docker-compose.yml").read_text()


def web_command() -> str:
    match = re.search(r"^  web:\n(?:    .*\n)*?    command: sh -c '(?P<cmd>[^']*)'$", COMPOSE, re.M)
    assert match, "no `sh -c '...'` command for the web service"
    return match["cmd"].replace("$$", "$")  # compose's escape for the container's shell


def run_web(tmp_path: Path, demo: str) -> list[str]:
    log = tmp_path / "calls.log"
    for name in ("python", "gunicorn"):
        stub = tmp_path / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "DEMO": demo}
    subprocess.run(["sh", "-c", web_command()], env=env, check=True, timeout=30)
    return log.read_text().splitlines()


def test_compose_passes_demo_to_the_containers_and_defaults_it_to_off():
    assert re.search(r"^    DEMO: \$\{DEMO:-0\}", COMPOSE, re.M)


def test_web_seeds_nothing_without_demo(tmp_path):
    calls = run_web(tmp_path, demo="0")
    assert calls[0] == "python manage.py migrate --noinput"
    assert not any("seed_demo" in call for call in calls)
    assert calls[-1].startswith("gunicorn config.wsgi")


def test_web_seeds_the_demo_logins_when_demo_is_1(tmp_path):
    calls = run_web(tmp_path, demo="1")
    assert "python manage.py seed_demo --with-demo-logins" in calls
    assert calls[-1].startswith("gunicorn config.wsgi")
