"""The settings module's branches, each loaded in a fresh interpreter with only the named variables."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, django
from django.conf import settings as s
django.setup()
print(json.dumps({
    "db": s.DATABASES["default"]["ENGINE"],
    "conn_max_age": s.DATABASES["default"].get("CONN_MAX_AGE"),
    "health": s.DATABASES["default"].get("CONN_HEALTH_CHECKS"),
    "cache": s.CACHES["default"]["BACKEND"],
    "email": s.EMAIL_BACKEND,
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "broker": s.CELERY_BROKER_URL,
    "debug": s.DEBUG,
    "ssl_redirect": getattr(s, "SECURE_SSL_REDIRECT", False),
    "line": "allauth.socialaccount.providers.line" in s.INSTALLED_APPS,
    "tz": s.TIME_ZONE, "lang": s.LANGUAGE_CODE,
}))
"""


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
            "DJANGO_SETTINGS_MODULE": "portal.settings"}  # fmt: skip
    return subprocess.run(
        [sys.executable, *args], env={**base, **env}, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def probe(env: dict) -> dict:
    result = run(env, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_variables_is_the_embedded_default():
    s = probe({})
    assert s["db"] == "django.db.backends.sqlite3"
    assert s["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["email"] == "django.core.mail.backends.console.EmailBackend"
    assert s["eager"] is True and s["broker"] == "memory://"
    assert s["debug"] is True and s["line"] is False
    assert (s["tz"], s["lang"]) == ("Asia/Tokyo", "ja")


def test_database_and_redis_urls_switch_to_the_real_stack():
    s = probe({"DATABASE_URL": "postgres://u@db:5432/x", "REDIS_URL": "redis://cache:6379/0"})
    assert s["db"] == "django.db.backends.postgresql"
    assert s["conn_max_age"] == 60 and s["health"] is True
    assert s["cache"] == "portal.cache.FailOpenRedisCache"  # Django's RedisCache, failing open
    assert s["eager"] is False and s["broker"] == "redis://cache:6379/0"


def test_line_login_is_on_only_with_both_keys():
    assert probe({"LINE_CHANNEL_ID": "123"})["line"] is False
    assert probe({"LINE_CHANNEL_ID": "123", "LINE_CHANNEL_SECRET": "abc"})["line"] is True


def production_env() -> dict:
    return {"DJANGO_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "otagaisama.example.jp"}  # fmt: skip


def test_production_refuses_to_start_without_a_secret_key():
    result = run({"DJANGO_DEBUG": "0"}, "-c", PROBE)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_flags_pass_check_deploy_without_a_warning():
    s = probe(production_env())
    assert s["debug"] is False and s["ssl_redirect"] is True
    result = run(production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
