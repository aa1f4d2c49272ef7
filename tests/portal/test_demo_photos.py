"""The demo's pictures: every published program has a cover, every report a photo and the programs a
small gallery; all drawn at seed time into a few shared files (the large scale points 10,000 programs at
them), and a second seed writes nothing new."""

import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import Image

from accounts.categories import Category
from portal.demo import photos
from portal.demo.people import seed_people
from portal.demo.programs import LARGE_MARK, seed_large_programs
from portal.models import ActivityReport, Impression, Program, ProgramPhoto

pytestmark = pytest.mark.django_db


def media_files() -> dict[str, float]:
    root = settings.MEDIA_ROOT
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}


def test_every_published_demo_program_and_report_has_pictures():
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    published = Program.objects.filter(status=Program.Status.PUBLISHED)
    assert published.exists() and not published.filter(cover_image="").exists()
    assert not published.filter(cover_thumbnail="").exists()
    assert all(p.photos.exists() for p in published)
    reports = ActivityReport.objects.filter(status=ActivityReport.Status.PUBLISHED)
    assert reports.exists() and all(r.photos.exists() for r in reports)
    # Impressions for the past sessions, some kept to the hosts.
    assert Impression.objects.filter(may_publish=True).exists()
    assert Impression.objects.filter(may_publish=False).exists()


def test_the_pictures_are_a_few_shared_files_written_once():
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    files = media_files()
    assert set(files) <= {f"demo/{c}{s}.jpg" for c in Category.values for s in ("", "-thumb")}
    with Image.open(settings.MEDIA_ROOT / "demo/farming.jpg") as img:
        assert img.size == photos.SIZE
    with Image.open(settings.MEDIA_ROOT / "demo/farming-thumb.jpg") as img:
        assert max(img.size) == 480
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    assert media_files() == files  # nothing rewritten
    assert ProgramPhoto.objects.filter(image__startswith="demo/").exists()


def test_large_programs_share_the_category_pictures():
    cast = seed_people()
    seed_large_programs(cast, total=30, batch=10)
    large = Program.objects.filter(nushi__name__startswith=LARGE_MARK)
    assert large.count() == 30 and not large.filter(cover_image="").exists()
    assert {p.cover_image.name for p in large} <= {
        photos.demo_photo(c).image for c in Category.values
    }
    # Programs seeded before covers existed get theirs on the next seed.
    large.update(cover_image="", cover_thumbnail="")
    seed_large_programs(cast, total=30, batch=10)
    assert not large.filter(cover_image="").exists()


def test_demo_pictures_carry_a_credit(client):
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    program = Program.objects.filter(status=Program.Status.PUBLISHED).first()
    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert str(photos.CREDIT) in page
