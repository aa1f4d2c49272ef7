"""Photo files and transactions: image work happens before the transaction, and a transaction that fails
leaves no file behind in MEDIA_ROOT (accounts.images.StoredFiles). The activity report drafted from a
session goes through the same writer, with the same checks, as one staff write by hand."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.images import process_upload
from portal.models import ActivityReport, Program, ProgramPhoto, ThankYou, ThankYouPhoto
from portal.services import programs as program_services
from portal.services import reports as report_services
from portal.services._state import InvalidTransition
from tests.portal.factories import ProgramFactory, SessionFactory
from tests.portal.images import jpeg_with_gps

pytestmark = pytest.mark.django_db


def files_in_media() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def program(municipality, organization):
    return ProgramFactory(municipality=municipality, nushi=organization)


def test_a_report_whose_transaction_fails_leaves_no_file(monkeypatch, staff, program):
    written = report_services._write

    def write_then_fail(**kwargs):
        written(**kwargs)  # the rows (and with them the files' names) are in the transaction
        raise RuntimeError("the database went away")

    monkeypatch.setattr(report_services, "_write", write_then_fail)
    with pytest.raises(RuntimeError):
        report_services.activity_report_create(
            program=program, actor=staff, title="x", body="y",
            photos=[(process_upload(jpeg_with_gps()), "畝")],
        )  # fmt: skip
    assert not ActivityReport.objects.exists()
    assert files_in_media() == []


def test_a_report_that_commits_keeps_its_files(staff, program):
    report = report_services.activity_report_create(
        program=program, actor=staff, title="x", body="y",
        photos=[(process_upload(jpeg_with_gps()), "畝")],
    )  # fmt: skip
    photo = report.photos.get()
    assert sorted(p.name for p in files_in_media()) == sorted(
        [Path(photo.image.name).name, Path(photo.thumbnail.name).name]
    )


def test_a_refused_program_photo_leaves_no_file(staff, program):
    ProgramPhoto.objects.bulk_create(
        ProgramPhoto(program=program, image=f"programs/{i}.jpg", order=i)
        for i in range(program_services.MAX_PHOTOS)
    )
    with pytest.raises(InvalidTransition):
        program_services.program_photo_add(
            program=program, actor=staff, image=process_upload(jpeg_with_gps())
        )
    assert files_in_media() == []


def test_a_cover_whose_edit_is_refused_leaves_no_file(staff, program):
    Program.objects.filter(pk=program.pk).update(status=Program.Status.CANCELLED)
    with pytest.raises(InvalidTransition):
        program_services.program_update(
            program=program, actor=staff, data={"cover_image": process_upload(jpeg_with_gps())}
        )
    assert files_in_media() == []


def _thanked_session(program, nushi, photos: int):
    start = timezone.now() - timedelta(days=2)
    session = SessionFactory(program=program, starts_at=start, apply_deadline=start)
    thank_you = ThankYou.objects.create(session=session, author=nushi, body="ありがとう")
    ThankYouPhoto.objects.bulk_create(
        ThankYouPhoto(thank_you=thank_you, image=f"thanks/{i}.jpg", thumbnail=f"thumbs/{i}.jpg")
        for i in range(photos)
    )
    return session


def test_the_draft_from_a_session_is_refused_like_a_report_by_hand(staff, nushi, program):
    session = _thanked_session(program, nushi, photos=1)
    Program.objects.filter(pk=program.pk).update(status=Program.Status.CANCELLED)
    with pytest.raises(InvalidTransition):
        report_services.activity_report_draft_from_session(session=session, actor=staff)
    assert not ActivityReport.objects.exists()


def test_the_draft_from_a_session_takes_at_most_the_photos_a_report_holds(staff, nushi, program):
    session = _thanked_session(program, nushi, photos=report_services.MAX_PHOTOS + 3)
    report = report_services.activity_report_draft_from_session(session=session, actor=staff)
    assert report.photos.count() == report_services.MAX_PHOTOS
    assert report.author == staff and report.status == ActivityReport.Status.DRAFT
    # The thank-you's own files: nothing was copied, nothing is written.
    assert files_in_media() == []


def test_a_refused_need_leaves_no_photo(organization, nushi, other_municipality):
    from django.core.exceptions import ValidationError

    from portal.models import Need
    from portal.services import needs as need_services
    from tests.accounts.factories import DistrictFactory

    their_district = DistrictFactory(municipality=other_municipality, name="八幡")
    with pytest.raises(ValidationError):
        need_services.need_submit(
            actor=nushi, nushi=organization,
            data={"title": "雪かき", "description": "玄関前", "district": their_district,
                  "photo": process_upload(jpeg_with_gps())},
        )  # fmt: skip
    assert not Need.objects.exists()
    assert files_in_media() == []


def test_an_individual_nushi_is_not_left_behind_by_a_refused_need(nushi, other_municipality):
    from django.core.exceptions import ValidationError

    from accounts.models import Organization
    from portal.services import needs as need_services
    from tests.accounts.factories import DistrictFactory, UserFactory

    resident = UserFactory()
    their_district = DistrictFactory(municipality=other_municipality, name="八幡")
    before = Organization.objects.count()
    with pytest.raises(ValidationError):
        need_services.need_submit_as_individual(
            actor=resident, municipality=nushi.organization_memberships.get().organization.municipality,
            name="山田 はな", data={"title": "雪かき", "description": "玄関前", "district": their_district},
        )  # fmt: skip
    assert Organization.objects.count() == before
