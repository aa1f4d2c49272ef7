"""Staff pages: the co-design flow through the views, the session rules with Japanese messages, and the
permission boundaries (another municipality's staff 404, non-staff 403, anonymous to login)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Need, Program, ProgramPhoto, Session
from tests.portal.factories import NeedFactory, ProgramFactory, SessionFactory
from tests.portal.images import fake_image, has_exif, jpeg_with_gps

pytestmark = pytest.mark.django_db
FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def need(municipality, organization, nushi):
    return NeedFactory(municipality=municipality, nushi=organization, created_by=nushi)


@pytest.fixture
def draft(municipality, organization, need):
    return ProgramFactory(
        municipality=municipality,
        nushi=organization,
        need=need,
        status=Program.Status.DRAFT,
        published_at=None,
    )


def session_data(**changes):
    start = timezone.localtime() + timedelta(days=14)
    data = {
        "starts_at": start.strftime(FMT),
        "ends_at": (start + timedelta(hours=3)).strftime(FMT),
        "capacity": "8",
        "apply_deadline": (start - timedelta(days=2)).strftime(FMT),
        "rain_starts_at": "",
        "rain_ends_at": "",
        "acceptance_mode": "first_come",
    }
    return {**data, **changes}


PROGRAM = {
    "title": "みょうが畑づくり体験",
    "summary": "畑をいちから作ります",
    "story": "草を刈り、畝を立てます。",
    "category": "farming",
    "relationship_type": "direct",
    "tags": "農業、週末",
    "points_per_participant": "500",
    "meeting_place": "古川町公民館",
    "meeting_postal_code": "509-4224",
    "latitude": "36.238100",
    "longitude": "137.186300",
}


def test_staff_design_a_program_from_a_need(client, staff, need):
    client.force_login(staff)
    assert (
        "みょうが畑を広げたい"
        in client.get(reverse("staff_program_create", args=[need.pk])).content.decode()
    )
    response = client.post(reverse("staff_program_create", args=[need.pk]), PROGRAM)
    program = Program.objects.get()
    assert response.status_code == 302
    assert (program.need, program.status, program.tags) == (
        need,
        Program.Status.DRAFT,
        ["農業", "週末"],
    )
    assert program.meeting_address.startswith("岐阜県飛騨市")
    assert Need.objects.get(pk=need.pk).status == Need.Status.IN_DESIGN
    client.post(reverse("staff_session_create", args=[program.pk]), session_data())
    client.post(reverse("staff_program_action", args=[program.pk, "send"]))
    assert Program.objects.get(pk=program.pk).status == Program.Status.PENDING_NUSHI
    page = client.get(reverse("staff_program_detail", args=[program.pk])).content.decode()
    assert "ヌシ確認待ち" in page and "変更履歴" in page


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        (
            {"starts_at": "2020-01-01T09:00", "apply_deadline": "2019-12-30T09:00"},
            "開始日時が過ぎています",
        ),
        ({"capacity": "0"}, "募集人数は1人以上にしてください"),
        ({"capacity": "-3"}, "0 以上"),
        ("end_before_start", "終了日時は開始日時より後にしてください"),
        ("deadline_after_start", "申込締切は開始日時より前にしてください"),
        ("rain_half", "予備日は開始と終了の両方を入力してください"),
        ({"starts_at": "あした"}, "日時を正しく入力してください"),
    ],
)
def test_bad_session_input_explains_and_saves_nothing(client, staff, draft, changes, field_message):
    start = timezone.localtime() + timedelta(days=14)
    if changes == "end_before_start":
        changes = {
            "ends_at": (start - timedelta(hours=1)).strftime(FMT),
            "starts_at": start.strftime(FMT),
        }
    elif changes == "deadline_after_start":
        changes = {
            "apply_deadline": (start + timedelta(hours=1)).strftime(FMT),
            "starts_at": start.strftime(FMT),
        }
    elif changes == "rain_half":
        changes = {"rain_starts_at": (start + timedelta(days=7)).strftime(FMT)}
    client.force_login(staff)
    response = client.post(
        reverse("staff_session_create", args=[draft.pk]), session_data(**changes)
    )
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Session.objects.exists()


def test_capacity_cannot_drop_below_places_taken(client, staff, draft):
    session = SessionFactory(program=draft, capacity=5, places_taken=4)
    client.force_login(staff)
    data = session_data(capacity="3", starts_at=timezone.localtime(session.starts_at).strftime(FMT))
    response = client.post(reverse("staff_session_edit", args=[session.pk]), data)
    assert "すでに4人の参加が決まっています" in response.content.decode()
    assert Session.objects.get(pk=session.pk).capacity == 5


def test_program_photo_is_stripped_and_fake_one_refused(client, staff, draft):
    client.force_login(staff)
    client.post(
        reverse("staff_photo_add", args=[draft.pk]), {"image": jpeg_with_gps(), "caption": "畑"}
    )
    photo = ProgramPhoto.objects.get()
    assert not has_exif(photo.image.path) and max(photo.image.width, photo.image.height) <= 1600
    response = client.post(
        reverse("staff_photo_add", args=[draft.pk]),
        {"image": fake_image(), "caption": "x"},
        follow=True,
    )
    assert "画像" in response.content.decode()
    assert ProgramPhoto.objects.count() == 1


def test_bad_program_input_saves_nothing(client, staff, need):
    client.force_login(staff)
    data = {**PROGRAM, "meeting_place": "", "latitude": "36.2", "longitude": ""}
    response = client.post(reverse("staff_program_create", args=[need.pk]), data)
    page = response.content.decode()
    assert "集合場所が必要です" in page and "緯度と経度は両方入力してください" in page
    assert not Program.objects.exists()


# --- permission boundaries -------------------------------------------------------------------------


def staff_urls(need, program, session):
    return [
        ("get", reverse("staff_need_detail", args=[need.pk])),
        ("post", reverse("staff_need_reject", args=[need.pk])),
        ("get", reverse("staff_program_create", args=[need.pk])),
        ("get", reverse("staff_program_detail", args=[program.pk])),
        ("get", reverse("staff_program_edit", args=[program.pk])),
        ("post", reverse("staff_program_action", args=[program.pk, "send"])),
        ("post", reverse("staff_program_action", args=[program.pk, "reject"])),
        ("get", reverse("staff_session_create", args=[program.pk])),
        ("get", reverse("staff_session_edit", args=[session.pk])),
        ("get", reverse("staff_report_create", args=[program.pk])),
    ]


def test_other_municipality_staff_get_404_everywhere_and_change_nothing(
    client, other_municipality_staff, need, draft
):
    session = SessionFactory(program=draft)
    client.force_login(other_municipality_staff)
    for method, url in staff_urls(need, draft, session):
        assert getattr(client, method)(url, {"reason": "x"}).status_code == 404, url
    assert Need.objects.get(pk=need.pk).status == Need.Status.SUBMITTED
    assert Program.objects.get(pk=draft.pk).status == Program.Status.DRAFT


def test_nushi_and_helpers_are_not_staff(client, nushi, helper, need, draft):
    session = SessionFactory(program=draft)
    for user in (nushi, helper):
        client.force_login(user)
        for method, url in staff_urls(need, draft, session):
            assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client, need, draft):
    session = SessionFactory(program=draft)
    for method, url in staff_urls(need, draft, session):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_staff_queue_lists_only_their_municipality(
    client, staff, other_municipality_staff, need, other_municipality
):
    foreign = NeedFactory(municipality=other_municipality, title="郡上の困りごと")
    client.force_login(staff)
    page = client.get(reverse("staff_home")).content.decode()
    assert need.title in page and foreign.title not in page


# --- the nushi's preview and confirmation ---------------------------------------------------------


@pytest.fixture
def pending(draft):
    SessionFactory(program=draft)
    Program.objects.filter(pk=draft.pk).update(status=Program.Status.PENDING_NUSHI)
    draft.refresh_from_db()
    return draft


def test_nushi_confirms_through_the_preview_link(client, nushi, pending):
    client.force_login(nushi)
    url = reverse("program_preview", args=[pending.pk, pending.preview_token])
    page = client.get(url).content.decode()
    assert "この内容でよい" in page and 'name="robots" content="noindex"' in page
    client.post(reverse("program_confirm", args=[pending.pk, pending.preview_token]))
    assert Program.objects.get(pk=pending.pk).status == Program.Status.CONFIRMED


def test_nushi_asks_for_changes(client, nushi, pending):
    client.force_login(nushi)
    client.post(
        reverse("program_request_changes", args=[pending.pk, pending.preview_token]),
        {"reason": "時間を変えて"},
    )
    program = Program.objects.get(pk=pending.pk)
    assert (program.status, program.status_note) == (
        Program.Status.CHANGES_REQUESTED,
        "時間を変えて",
    )


def test_another_nushi_and_other_staff_cannot_see_or_confirm_a_draft(
    client, other_nushi, other_municipality_staff, pending
):
    for user in (other_nushi, other_municipality_staff):
        client.force_login(user)
        assert (
            client.get(
                reverse("program_preview", args=[pending.pk, pending.preview_token])
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("program_confirm", args=[pending.pk, pending.preview_token])
            ).status_code
            == 404
        )
    assert Program.objects.get(pk=pending.pk).status == Program.Status.PENDING_NUSHI


def test_staff_may_look_at_the_preview_but_only_the_nushi_confirms(client, staff, pending):
    client.force_login(staff)
    assert (
        client.get(reverse("program_preview", args=[pending.pk, pending.preview_token])).status_code
        == 200
    )
    client.post(reverse("program_confirm", args=[pending.pk, pending.preview_token]))
    assert Program.objects.get(pk=pending.pk).status == Program.Status.PENDING_NUSHI


def test_an_old_preview_link_is_404(client, nushi, pending):
    import uuid

    client.force_login(nushi)
    assert (
        client.get(reverse("program_preview", args=[pending.pk, uuid.uuid4()])).status_code == 404
    )


def test_anonymous_preview_goes_to_login(client, pending):
    response = client.get(reverse("program_preview", args=[pending.pk, pending.preview_token]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_photos_get_card_sized_copies_for_lists_and_galleries(client, staff, draft):
    from PIL import Image

    from accounts.images import THUMB_SIDE, process_upload
    from portal.services.programs import program_photo_add, program_update
    from tests.portal.images import jpeg_with_gps

    Program.objects.filter(pk=draft.pk).update(created_by=staff)
    program_update(
        program=draft, actor=staff, data={"cover_image": process_upload(jpeg_with_gps())}
    )
    photo = program_photo_add(
        program=draft, actor=staff, image=process_upload(jpeg_with_gps()), caption="畝"
    )
    draft.refresh_from_db()
    for thumb, original in (
        (draft.cover_thumbnail, draft.cover_image),
        (photo.thumbnail, photo.image),
    ):
        with Image.open(thumb.path) as small, Image.open(original.path) as big:
            assert max(small.size) <= THUMB_SIDE < max(big.size)
            assert "exif" not in small.info
    assert photo.thumbnail_url == photo.thumbnail.url != photo.image.url
    # Clearing the cover clears its copy.
    program_update(program=draft, actor=staff, data={"cover_image": False})
    draft.refresh_from_db()
    assert not draft.cover_image and not draft.cover_thumbnail


def test_an_action_is_confirmed_in_the_language_of_the_page(client, staff, draft):
    SessionFactory(program=draft)
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("staff_program_action", args=[draft.pk, "send"]), follow=True)
    assert Program.objects.get(pk=draft.pk).status == Program.Status.PENDING_NUSHI
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["The host has been asked to review it."]


def test_publishing_without_a_cover_says_what_is_missing_and_changes_nothing(client, staff, draft):
    SessionFactory(program=draft)
    Program.objects.filter(pk=draft.pk).update(status=Program.Status.CONFIRMED)
    client.force_login(staff)
    response = client.post(reverse("staff_program_action", args=[draft.pk, "publish"]), follow=True)
    assert Program.objects.get(pk=draft.pk).status == Program.Status.CONFIRMED
    page = response.content.decode()
    assert (
        "メイン写真がありません。「内容を編集」でメイン写真を登録してから公開してください。" in page
    )
    # With a cover it publishes.
    Program.objects.filter(pk=draft.pk).update(cover_image="programs/cover.jpg")
    client.post(reverse("staff_program_action", args=[draft.pk, "publish"]))
    assert Program.objects.get(pk=draft.pk).status == Program.Status.PUBLISHED
