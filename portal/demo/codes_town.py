"""A second demo municipality, 白川村, whose points go out as one-time point codes (QR tickets for an
operator without an API): one program with two closed sessions whose attendees are credited by
points.demo (each credit makes a code; the older session's codes are redeemed, the newer ones wait to
be printed), and its own staff login. Idempotent (get_or_create); a handful of rows, at either scale.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.categories import Category
from accounts.models import District, HelperProfile, Municipality, Organization, StaffMembership
from points import demo as points_demo
from portal.demo.people import HELPER_EMAIL, _demo_totp, _user
from portal.demo.programs import _seed_program_photos
from portal.models import Application, Attendance, Program, RelationshipType, Session
from portal.search import reindex

CODES_STAFF_EMAIL = "staff-shirakawa@example.jp"
# (days from today, start hour, hours, capacity): two closed sessions and one to come.
SESSIONS = [(-20, 8, 4, 6), (-6, 8, 4, 6), (24, 8, 4, 6)]
ATTENDEES = 5


@transaction.atomic
def seed_codes_municipality() -> Municipality:
    town, _ = Municipality.objects.get_or_create(
        slug="shirakawa",
        defaults={
            "name": "白川村", "prefecture": "岐阜県", "points_name": "結ポイント",
            "contact_email": "yui@example.jp", "latitude": "36.257700", "longitude": "136.906100",
        },
    )  # fmt: skip
    district, _ = District.objects.get_or_create(municipality=town, name="荻町")
    org, _ = Organization.objects.get_or_create(
        municipality=town,
        name="荻町 合掌集落の結",
        defaults={
            "kind": Organization.Kind.SHURAKU, "district": district, "postal_code": "501-5627",
            "address": "大野郡白川村荻町", "phone": "+81576960000",
            "description": "合掌造りの茅葺き屋根を、集落総出の「結」で守っている。",
        },
    )  # fmt: skip
    staff = _user(CODES_STAFF_EMAIL, "白川村 事務局 大野", is_staff=True)
    StaffMembership.objects.get_or_create(user=staff, municipality=town)
    _demo_totp(staff)
    points_demo.use_point_codes(municipality_id=town.pk)

    program, created = Program.objects.get_or_create(
        nushi=org,
        title="合掌造り 茅葺き屋根の葺き替え（結）",
        defaults={
            "municipality": town, "district": district,
            "summary": "集落総出の屋根の葺き替えで、茅を運び、渡します。",
            "story": "合掌造りの屋根は30〜40年に一度、集落の「結」で葺き替えます。担い手が減り、茅運びの手が足りません。",
            "about_nushi": org.description, "category": Category.CRAFT,
            "relationship_type": RelationshipType.DIRECT, "what_to_bring": "軍手、汚れてもよい服",
            "points_per_participant": 1000, "okaeshi": "結ポイント 1000（村内の商店で使えます）",
            "meeting_place": "荻町 公民館", "meeting_postal_code": "501-5627",
            "meeting_address": "大野郡白川村荻町", "latitude": "36.257700", "longitude": "136.906100",
            "status": Program.Status.PUBLISHED, "published_at": timezone.now() - timedelta(days=40),
            "created_by": staff,
        },
    )  # fmt: skip
    if created:
        _seed_sessions(program)
    _seed_program_photos(program)
    reindex(Program.objects.filter(pk=program.pk, search_text=""))
    return town


def _seed_sessions(program: Program) -> None:
    today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    # Not the demo login's helper: their demo stays in 飛騨市 (its staff see their applications).
    helpers = list(
        HelperProfile.objects.exclude(user__email__endswith="@large.example.jp")
        .exclude(user__email=HELPER_EMAIL)
        .order_by("pk")
        .values_list("user_id", flat=True)[: ATTENDEES * 2]
    )
    for n, (days, hour, hours, capacity) in enumerate(SESSIONS):
        starts = (today + timedelta(days=days)).replace(hour=hour)
        past = days < 0
        session = Session.objects.create(
            program=program, starts_at=starts, ends_at=starts + timedelta(hours=hours),
            capacity=capacity, apply_deadline=starts - timedelta(days=2),
            status=Session.Status.CLOSED if past else Session.Status.SCHEDULED,
        )  # fmt: skip
        if not past:
            continue
        # A helper already holding a place that day elsewhere is left out (one place a day).
        busy = set(
            Application.objects.filter(
                helper_id__in=helpers,
                status__in=Application.HOLDS_PLACE,
                session__starts_at__date=starts.date(),
            ).values_list("helper_id", flat=True)
        )
        chosen = [h for h in helpers[n * ATTENDEES :] if h not in busy][:ATTENDEES]
        created = Application.objects.bulk_create(
            Application(session=session, helper_id=h, status=Application.Status.ATTENDED,
                        decided_at=starts - timedelta(days=3))
            for h in chosen
        )  # fmt: skip
        Attendance.objects.bulk_create(
            Attendance(application=a, checked_in_at=starts, method=Attendance.Method.QR)
            for a in created
        )
        Session.objects.filter(pk=session.pk).update(places_taken=len(created))
