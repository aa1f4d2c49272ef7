"""Redis unreachable (cache and Celery broker both pointed at a closed loopback port; the machine's Redis
is left alone): PostgreSQL is the truth, so applying, cancelling, check-in and signing in still work
through the real views and say nothing alarming; rate limits let requests through with a logged
warning; the outbox rows wait, and the sweep sends them once delivery works again. /healthz alone
reports the outage."""

import logging
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from config.celery import app as celery_app
from notifications import delivery
from notifications.models import OutboxMessage
from portal.models import Application
from portal.services import applications as services

# Real commits: the enqueue runs in on_commit during the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

ALARMING = ("エラー", "Error", "Traceback", "障害")


def closed_port() -> int:
    """A loopback port nothing listens on (bound once by the OS, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_broker_pools() -> None:
    # Celery keeps its connection and producer pools per app; new ones follow the current broker_url.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The cache and the broker on a port where nothing answers; Celery not eager, so enqueueing talks
    to the broker as it does in production."""
    port = closed_port()
    unreachable = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": unreachable}
    }  # setting_changed gives the test a new cache handler
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    celery_app.conf.update(task_always_eager=False)
    _reset_broker_pools()
    assert celery_app.connection_for_write().port == port
    yield
    monkeypatch.undo()
    celery_app.conf.update(task_always_eager=True)
    _reset_broker_pools()


@pytest.fixture
def accepted(session, helper):
    return services.application_submit(helper=helper, session_id=session.pk)


def assert_calm(response) -> None:
    page = response.content.decode()
    assert response.status_code == 200
    assert not any(word in page for word in ALARMING), page


def test_applying_works_and_the_sweep_sends_later(client, session, helper, redis_down, caplog):
    client.force_login(helper)
    with caplog.at_level(logging.WARNING):
        response = client.post(
            reverse("application_apply", args=[session.pk]), {"message": "宜しく"}
        )
    assert response.status_code == 302
    application = Application.objects.get(session=session, helper=helper)
    assert application.status == Application.Status.ACCEPTED and application.message == "宜しく"
    assert_calm(client.get(response["Location"]))
    # The rate limiter could not count: it let the request through and said so in the log.
    assert "cache unreachable" in caplog.text
    # The broker refused the task: the row waits in PostgreSQL, unsent.
    assert "not queued, the sweep will send it" in caplog.text
    row = OutboxMessage.objects.get(recipient=helper, kind="application_accepted")
    assert row.sent_at is None and mail.outbox == []

    assert delivery.deliver_due() == 1  # the beat sweep, once a worker runs again
    row.refresh_from_db()
    assert row.sent_at is not None
    assert [m.to for m in mail.outbox] == [[helper.email]]
    assert mail.outbox[0].message()["Message-ID"] == row.message_id


def test_cancelling_works(client, accepted, helper, redis_down):
    client.force_login(helper)
    response = client.post(reverse("application_cancel", args=[accepted.pk]))
    assert response.status_code == 302
    assert Application.objects.get(pk=accepted.pk).status == Application.Status.CANCELLED
    assert_calm(client.get(response["Location"]))
    row = OutboxMessage.objects.get(recipient=helper, kind="application_cancelled")
    assert row.sent_at is None
    assert delivery.deliver_due() >= 1
    row.refresh_from_db()
    assert row.sent_at is not None


def test_check_in_works(client, session, accepted, nushi, redis_down, time_machine):
    time_machine.move_to(session.starts_at - timedelta(minutes=30))
    client.force_login(nushi)
    response = client.post(
        reverse("session_checkin", args=[session.pk]), {"code": accepted.checkin_code}
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=accepted.pk).status == Application.Status.ATTENDED
    assert "受付をしました" in client.get(response["Location"]).content.decode()


def test_signing_in_works(client, helper, redis_down):
    """allauth's rate limits (a lock and a counter in the cache) let the sign-in through."""
    helper.set_password("a long enough passphrase")
    helper.save()
    response = client.post(
        reverse("account_login"), {"login": helper.email, "password": "a long enough passphrase"}
    )
    assert response.status_code == 302
    assert client.get(reverse("mypage")).status_code == 200


def test_the_public_pages_are_served_uncached(client, session, redis_down, caplog):
    with caplog.at_level(logging.WARNING):
        assert client.get(reverse("program_list")).status_code == 200
        assert client.get(reverse("program_detail", args=[session.program.pk])).status_code == 200
    # One warning for the outage, not one per cache call.
    assert caplog.text.count("cache unreachable") == 1


def test_healthz_still_reports_the_outage(client, redis_down):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["cache"] == "error: ConnectionError"
    assert response.json()["database"] == "ok"


def test_healthz_is_ok_again_once_redis_answers(client, redis_down, settings):
    assert client.get(reverse("healthz")).status_code == 503
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.REDIS_URL}}
    assert client.get(reverse("healthz")).status_code == 200
