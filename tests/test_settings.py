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
    "static_storage": s.STORAGES["staticfiles"]["BACKEND"],
    "secure_cookies": s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE,
    "line": "allauth.socialaccount.providers.line" in s.INSTALLED_APPS,
    "tz": s.TIME_ZONE, "lang": s.LANGUAGE_CODE,
}))
"""


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
            "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
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
    s = probe({"DATABASE_URL": "postgres://u@db:5432/x", "REDIS_URL": "redis://cache:6379/0",
               "DJANGO_DEBUG": "1"})  # fmt: skip
    assert s["db"] == "django.db.backends.postgresql"
    assert s["conn_max_age"] == 60 and s["health"] is True
    assert s["cache"] == "config.cache.FailOpenRedisCache"  # Django's RedisCache, failing open
    assert s["eager"] is False and s["broker"] == "redis://cache:6379/0"


def test_line_login_is_on_only_with_both_keys():
    assert probe({"LINE_CHANNEL_ID": "123"})["line"] is False
    assert probe({"LINE_CHANNEL_ID": "123", "LINE_CHANNEL_SECRET": "abc"})["line"] is True
    assert probe({"LINE_LOGIN_CHANNEL_ID": "1", "LINE_LOGIN_CHANNEL_SECRET": "s"})["line"] is True


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


def test_debug_is_on_only_when_asked_or_on_the_embedded_default():
    assert probe({})["debug"] is True  # no DATABASE_URL: `make run` on a laptop
    assert probe({"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://u@db:5432/x"})["debug"] is True
    assert probe({**production_env(), "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})["debug"] is False


def test_a_database_url_without_django_debug_runs_with_the_production_flags():
    """A server given its database but no DJANGO_DEBUG must not show debug pages to the public."""
    env = {"DATABASE_URL": "postgres://u@db:5432/x", "SECRET_KEY": secrets.token_urlsafe(50)}
    s = probe(env)
    assert s["debug"] is False and s["ssl_redirect"] is True and s["secure_cookies"] is True
    assert s["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    result = run({"DATABASE_URL": "postgres://u@db:5432/x"}, "-c", PROBE)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_flags_serve_static_files_without_collectstatic():
    s = probe({"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://u@db:5432/x"})
    assert s["static_storage"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert s["ssl_redirect"] is False and s["secure_cookies"] is False


def test_the_suite_runs_with_the_development_flags_the_makefile_asks_for():
    """`make test` sets DATABASE_URL, which alone would mean production (manifest storage, HTTPS
    redirect): the Makefile asks for DJANGO_DEBUG=1, and pytest-django then turns DEBUG off per test."""
    assert settings.DEBUG is False
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith(".StaticFilesStorage")
    assert not getattr(settings, "SECURE_SSL_REDIRECT", False)
