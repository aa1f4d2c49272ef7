"""Concurrency pair (STYLE.md): two staff members press 公開 on the same program at the same moment.
Without compare-and-set both "win" and the history shows two publications; with it exactly one wins."""

import threading
import time

import pytest
from django.db import connection

from portal.models import Program
from portal.services import programs as svc
from portal.services._state import InvalidTransition, record_history
from tests.portal.apply_helpers import assert_invariants
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(fn, n: int = 2) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def confirmed(municipality):
    program = ProgramFactory(
        municipality=municipality,
        status=Program.Status.CONFIRMED,
        published_at=None,
        cover_image="programs/cover.jpg",
    )
    SessionFactory(program=program)
    return program


def test_without_compare_and_set_both_publish(confirmed, staff):
    def naive():
        program = Program.objects.get(pk=confirmed.pk)
        if program.status != Program.Status.CONFIRMED:
            raise InvalidTransition("not confirmed")
        time.sleep(0.2)  # the window in which the other request reads the same state
        program.status = Program.Status.PUBLISHED
        program.save()
        record_history(program, actor=staff, reason="published")
        return program

    results = race(naive)
    assert all(isinstance(r, Program) for r in results)
    assert confirmed.history.filter(history_change_reason="published").count() == 2
    assert_invariants()


def test_with_compare_and_set_exactly_one_publishes(confirmed, staff):
    results = race(
        lambda: svc.program_publish(program=Program.objects.get(pk=confirmed.pk), actor=staff)
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "Program"]
    assert confirmed.history.filter(history_change_reason="published").count() == 1
    assert Program.objects.get(pk=confirmed.pk).status == Program.Status.PUBLISHED
    assert_invariants()
