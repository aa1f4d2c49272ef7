"""Activity reports: staff of the municipality write and publish them after a session; the public sees
only published ones; photos are stripped; other municipalities' staff get 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import ActivityReport, Program
from portal.services import reports as svc
from portal.services._state import InvalidTransition
from tests.portal.factories import ProgramFactory, SessionFactory
from tests.portal.images import fake_image, has_exif, jpeg_with_gps

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(municipality, organization):
    return ProgramFactory(municipality=municipality, nushi=organization)


@pytest.fixture
def past_session(program):
    start = timezone.now() - timedelta(days=3)
    return SessionFactory(
        program=program, starts_at=start, apply_deadline=start - timedelta(days=1)
    )


def test_staff_write_a_report_with_photos_and_publish_it(client, staff, program, past_session):
    client.force_login(staff)
    response = client.post(
        reverse("staff_report_create", args=[program.pk]),
        {"session": past_session.pk, "title": "畝ができました", "body": "6人で作業しました。",
         "photos": [jpeg_with_gps("a.jpg"), jpeg_with_gps("b.jpg")], "photo_caption": "畝を立てる参加者"},
    )  # fmt: skip
    report = ActivityReport.objects.get()
    assert response.status_code == 302 and report.status == ActivityReport.Status.DRAFT
    assert report.photos.count() == 2
    assert not any(has_exif(p.image.path) for p in report.photos.all())
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 404
    client.post(reverse("staff_report_publish", args=[report.pk]))
    assert ActivityReport.objects.get().status == ActivityReport.Status.PUBLISHED
    client.logout()
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "畝ができました" in page and 'alt="畝を立てる参加者"' in page


def test_fake_photo_is_refused_and_nothing_saved(client, staff, program):
    client.force_login(staff)
    response = client.post(
        reverse("staff_report_create", args=[program.pk]),
        {"title": "x", "body": "y", "photos": [fake_image()]},
    )
    assert response.status_code == 200 and "画像" in response.content.decode()
    assert not ActivityReport.objects.exists()


def test_no_report_for_an_unpublished_program(staff, municipality):
    draft = ProgramFactory(municipality=municipality, status=Program.Status.DRAFT)
    with pytest.raises(InvalidTransition):
        svc.activity_report_create(program=draft, actor=staff, title="x", body="y")


def test_no_publishing_before_the_session_happened(staff, program):
    future = SessionFactory(program=program)
    report = svc.activity_report_create(
        program=program, actor=staff, title="x", body="y", session=future
    )
    with pytest.raises(InvalidTransition):
        svc.activity_report_publish(report=report, actor=staff)


def test_other_municipality_staff_get_404(client, other_municipality_staff, staff, program):
    report = svc.activity_report_create(program=program, actor=staff, title="x", body="y")
    client.force_login(other_municipality_staff)
    assert client.get(reverse("staff_report_create", args=[program.pk])).status_code == 404
    assert client.get(reverse("staff_report_detail", args=[report.pk])).status_code == 404
    assert client.post(reverse("staff_report_publish", args=[report.pk])).status_code == 404
    assert ActivityReport.objects.get().status == ActivityReport.Status.DRAFT


def test_nushi_and_anonymous_cannot_use_staff_report_pages(client, nushi, staff, program):
    report = svc.activity_report_create(program=program, actor=staff, title="x", body="y")
    client.force_login(nushi)
    assert client.post(reverse("staff_report_publish", args=[report.pk])).status_code == 403
    client.logout()
    assert client.post(reverse("staff_report_publish", args=[report.pk])).status_code == 302
    assert ActivityReport.objects.get().status == ActivityReport.Status.DRAFT
