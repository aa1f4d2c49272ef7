import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_redis(client, settings):
    assert "Redis" in settings.CACHES["default"]["BACKEND"]  # the suite runs on the real stack
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    caches._settings = None  # let the cache handler re-read the setting
    try:
        response = client.get(reverse("healthz"))
    finally:
        caches._settings = None
    assert response.status_code == 503
    assert response.json()["cache"].startswith("error")
    assert response.json()["database"] == "ok"
