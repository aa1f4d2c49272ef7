"""The public listing, search, calendar, program pages, .ics and reports: what anyone may see."""

import datetime as dt
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.categories import Category
from portal.models import ActivityReport, Program
from tests.accounts.factories import DistrictFactory
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


def published(municipality, title, *, days=14, hour=10, **kwargs):
    kwargs.setdefault("summary", "")  # the factory's texts mention みょうが: keep searches honest
    kwargs.setdefault("story", "")
    program = ProgramFactory(
        municipality=municipality, nushi__municipality=municipality, title=title, **kwargs
    )
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + timedelta(days=days), dt.time(hour))
    )
    SessionFactory(program=program, starts_at=start, capacity=10)
    return program


def titles(response) -> list[str]:
    return [card.title for card in response.context["listing"].cards]


def test_japanese_keyword_finds_the_program(client, municipality):
    published(municipality, "みょうが畑づくり体験")
    published(municipality, "楮の皮はぎ", story="山中和紙の原料になる楮の皮をはぎます。")
    published(municipality, "古川祭 屋台曳き", story="ユネスコ無形文化遺産の祭りです。")
    assert titles(client.get(reverse("program_list"), {"q": "みょうが"})) == [
        "みょうが畑づくり体験"
    ]
    assert titles(client.get(reverse("program_list"), {"q": "和紙"})) == ["楮の皮はぎ"]
    # Several words (full-width space, as a Japanese IME types it) must all match.
    assert titles(client.get(reverse("program_list"), {"q": "古川祭\u3000屋台"})) == [
        "古川祭 屋台曳き"
    ]
    assert titles(client.get(reverse("program_list"), {"q": "みょうが 屋台"})) == []


def test_search_is_served_by_the_trigram_index(municipality):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'portal_program_search_trgm'"
        )
        assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_unpublished_programs_are_invisible(client, municipality):
    visible = published(municipality, "公開中のプログラム")
    for status in [s for s in Program.Status.values if s not in ("published", "closed")]:
        hidden = published(municipality, f"非公開 {status}", status=status)
        assert client.get(reverse("program_detail", args=[hidden.pk])).status_code == 404
        session = hidden.sessions.get()
        assert client.get(reverse("session_ics", args=[hidden.pk, session.pk])).status_code == 404
    assert titles(client.get(reverse("program_list"))) == [visible.title]
    assert titles(client.get(reverse("program_list"), {"q": "非公開"})) == []


def test_filters(client, municipality):
    kawai = DistrictFactory(municipality=municipality, name="河合町")
    saturday = 5 - timezone.localdate().weekday()
    saturday = saturday if saturday > 0 else saturday + 7
    craft = published(
        municipality, "楮の皮はぎ", category=Category.CRAFT, district=kawai, days=saturday + 7
    )
    online = published(
        municipality,
        "オンラインでSNS発信",
        category=Category.REMOTE,
        is_online=True,
        days=saturday + 8,
    )
    weekday = published(municipality, "平日の草刈り", days=saturday + 9)  # a Monday
    full = published(municipality, "満員の屋台曳き", days=saturday + 14)
    full.sessions.update(places_taken=10)

    def get(**params):
        return titles(client.get(reverse("program_list"), params))

    assert get(category="craft") == [craft.title]
    assert get(district=kawai.pk) == [craft.title]
    assert get(mode="online") == [online.title]
    assert weekday.title not in get(weekend="on") and craft.title in get(weekend="on")
    assert full.title not in get(open_only="on") and full.title in get()
    day = timezone.localdate() + timedelta(days=saturday + 9)
    assert get(date_from=day.isoformat(), date_to=day.isoformat()) == [weekday.title]


def test_past_only_programs_leave_the_listing(client, municipality):
    program = ProgramFactory(municipality=municipality)
    SessionFactory(
        program=program,
        starts_at=timezone.now() - timedelta(days=3),
        apply_deadline=timezone.now() - timedelta(days=5),
    )
    assert titles(client.get(reverse("program_list"))) == []
    assert client.get(reverse("program_detail", args=[program.pk])).status_code == 200


def test_list_uses_constant_queries(client, municipality, django_assert_num_queries):
    for i in range(3):
        published(municipality, f"プログラム{i}")
    # Queries: districts for the filter (1, then cached five minutes); while these results are not
    # cached: a prefix of matching sessions with their programs (1, which read every match, so it
    # counted them too) and the map points of the page's programs (1).
    with django_assert_num_queries(3):
        client.get(reverse("program_list"), {"q": "プログラム"})
    with django_assert_num_queries(0):
        client.get(reverse("program_list"), {"q": "プログラム"})
    for i in range(3, 25):
        published(municipality, f"プログラム{i}")
    # Other filters (same programs, all on site): not cached yet, still two queries for 25 programs.
    with django_assert_num_queries(2):
        response = client.get(reverse("program_list"), {"q": "プログラム", "mode": "onsite"})
    page = response.content.decode()
    assert page.count('data-testid="program-card"') == 20 and "次へ" in page


def test_list_pages(client, municipality):
    for i in range(22):
        published(municipality, f"プログラム{i:02d}", days=i + 1)
    second = client.get(reverse("program_list"), {"page": 2})
    assert (
        titles(second) == ["プログラム20", "プログラム21"]
        and not second.context["listing"].has_next
    )


def test_htmx_request_gets_only_the_results(client, municipality):
    published(municipality, "みょうが畑づくり体験")
    response = client.get(
        reverse("program_list"),
        {"q": "みょうが"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="program-results",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="program-results"') and "<html" not in body


def test_program_page_shows_places_map_link_and_share_metadata(client, municipality):
    program = published(
        municipality, "みょうが畑づくり体験", latitude="36.238100", longitude="137.186300"
    )
    program.sessions.update(places_taken=7)
    page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert "残り3人" in page
    assert "地図アプリで開く" in page and "query=36.238100,137.186300" in page
    assert "cyberjapandata.gsi.go.jp/xyz/std/16/" in page and 'data-testid="static-map"' in page
    assert '<meta property="og:title" content="みょうが畑づくり体験">' in page
    assert "カレンダーに追加" in page and "古川町公民館" in page
    # The exact address is for those who may see the nushi's contact (tests/portal/test_private_address.py).
    assert "古川町殿町1-2" not in page


def test_session_ics(client, municipality):
    program = published(municipality, "楮の皮はぎ")
    session = program.sessions.get()
    response = client.get(reverse("session_ics", args=[program.pk, session.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "楮の皮はぎ"
    assert event.decoded("DTSTART") == session.starts_at


def test_calendar_shows_the_months_sessions(client, municipality):
    program = published(municipality, "古川祭 屋台曳き", days=3)
    hidden = published(municipality, "下書きの行事", days=3, status=Program.Status.DRAFT)
    day = timezone.localtime(program.sessions.get().starts_at)
    page = client.get(
        reverse("program_calendar"), {"year": day.year, "month": day.month}
    ).content.decode()
    assert "古川祭 屋台曳き" in page and hidden.title not in page


def test_reports_are_public_only_when_published(client, municipality):
    program = published(municipality, "楮の皮はぎ")
    shown = ActivityReport.objects.create(
        program=program,
        title="皮はぎをしました",
        body="寒い中ありがとう",
        status="published",
        published_at=timezone.now(),
    )
    draft = ActivityReport.objects.create(program=program, title="下書きレポート", body="…")
    listing = client.get(reverse("report_list")).content.decode()
    assert shown.title in listing and draft.title not in listing
    assert client.get(reverse("report_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("report_detail", args=[shown.pk])).status_code == 200
    assert shown.title in client.get(reverse("program_detail", args=[program.pk])).content.decode()


def test_order_is_exact_even_when_one_program_has_many_early_sessions(client, municipality):
    """The listing reads a prefix of sessions in date order; a program with many early sessions can fill
    that prefix, and then the exact (second) query must still list every program once, in order."""
    busy = published(municipality, "毎日の見守り", days=1)
    start = busy.sessions.get().starts_at
    for hour in range(1, 121):
        SessionFactory(program=busy, starts_at=start + timedelta(hours=hour), capacity=5)
    later = [published(municipality, f"あとの行事{i:02d}", days=200 + i) for i in range(3)]
    assert titles(client.get(reverse("program_list"))) == [busy.title] + [p.title for p in later]


def test_page_cache_follows_new_photos_and_reports(client, municipality, staff):
    from portal.services.programs import program_photo_add
    from portal.services.reports import activity_report_create, activity_report_publish
    from tests.portal.images import jpeg_with_gps

    program = published(municipality, "楮の皮はぎ")
    url = reverse("program_detail", args=[program.pk])
    assert "寒い朝の皮はぎ" not in client.get(url).content.decode()
    report = activity_report_create(
        program=program, actor=staff, title="寒い朝の皮はぎ", body="ありがとう"
    )
    activity_report_publish(report=report, actor=staff)
    from accounts.images import process_upload

    program_photo_add(
        program=program, actor=staff, image=process_upload(jpeg_with_gps()), caption="蒸した楮"
    )
    page = client.get(url).content.decode()
    assert "寒い朝の皮はぎ" in page and 'alt="蒸した楮"' in page


def test_program_page_costs_one_query_while_its_article_is_cached(
    client, municipality, django_assert_num_queries
):
    program = published(
        municipality, "みょうが畑づくり", story="畑の草を取ります", required_skills=["driving"]
    )
    url = reverse("program_detail", args=[program.pk])
    first = client.get(url).content.decode()  # a miss: the whole program, sessions, photos, reports
    with django_assert_num_queries(1):
        again = client.get(url).content.decode()
    article = again[again.index("<article") : again.index("</article>")]
    assert article == first[first.index("<article") : first.index("</article>")]
    for text in (
        "畑の草を取ります",
        program.nushi.name,
        "運転",
        "残り10人",
        "<title>みょうが畑づくり",
    ):
        assert text in again


def test_preview_shows_the_same_place_section_as_the_public_page(client, municipality, staff):
    program = ProgramFactory(
        municipality=municipality,
        nushi__municipality=municipality,
        status=Program.Status.PENDING_NUSHI,
        latitude="36.238100",
        longitude="137.186300",
    )
    client.force_login(staff)
    page = client.get(
        reverse("program_preview", args=[program.pk, program.preview_token])
    ).content.decode()
    assert "query=36.238100,137.186300" in page and 'name="robots" content="noindex"' in page


def test_cards_count_places_in_the_visitors_language(client, municipality):
    program = published(municipality, "楮の皮はぎ")
    program.sessions.update(places_taken=5)
    assert "5人" in client.get(reverse("program_list")).content.decode()
    client.cookies["django_language"] = "en"
    assert "5 people" in client.get(reverse("program_list")).content.decode()


def test_static_map_centres_the_meeting_point_on_its_tiles():
    from portal.maps import static_map, world_pixel

    shown = static_map(36.2381, 137.1863)
    left, top, width, height = (float(v) for v in shown.view_box.split())
    x, y = (float(v) for v in shown.marker.removeprefix("translate(").rstrip(")").split())
    assert (x - left, y - top) == pytest.approx((width / 2, height / 2), abs=0.1)
    # The tiles cover the whole window, and each is the tile that holds its pixels at zoom 16.
    covered = {(tx, ty) for _, tx, ty in shown.tiles}
    for corner_x in (left, left + width - 1):
        for corner_y in (top, top + height - 1):
            assert (corner_x // 256 * 256, corner_y // 256 * 256) in covered
    px, py = world_pixel(36.2381, 137.1863, 16)
    assert f"/16/{int(px // 256)}/{int(py // 256)}.png" in " ".join(u for u, _, _ in shown.tiles)


def test_dates_follow_the_visitors_language(client, municipality):
    program = published(municipality, "楮の皮はぎ")
    start = timezone.localtime(program.sessions.get().starts_at)
    url = reverse("program_detail", args=[program.pk])
    assert f"{start.year}年{start.month}月{start.day}日" in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert f"{start:%a} {start.day} {start:%b} {start.year}, 10:00" in page
    assert f"{start.year}年" not in page


def test_share_metadata_carries_the_municipalitys_site_name(client, municipality):
    program = published(municipality, "楮の皮はぎ")
    url = reverse("program_detail", args=[program.pk])
    municipality.site_name = "ヒダスケ！"
    municipality.save()
    assert '<meta property="og:site_name" content="ヒダスケ！">' in client.get(url).content.decode()
    municipality.site_name = "ひだすけ"  # a rename shows at once in the process that saved it
    municipality.save()
    assert '<meta property="og:site_name" content="ひだすけ">' in client.get(url).content.decode()


def test_cards_name_the_local_currency(client, municipality):
    municipality.points_name = "さるぼぼコイン"
    municipality.save()
    published(municipality, "楮の皮はぎ", points_per_participant=500)
    assert "500 さるぼぼコイン" in client.get(reverse("program_list")).content.decode()


def test_sitemap_lists_public_programs_and_reports_only(client, municipality):
    shown = published(municipality, "楮の皮はぎ")
    hidden = published(municipality, "下書きの行事", status=Program.Status.DRAFT)
    report = ActivityReport.objects.create(
        program=shown, title="皮はぎ", body="…", status="published", published_at=timezone.now()
    )
    draft_report = ActivityReport.objects.create(program=shown, title="下書き", body="…")
    body = client.get("/sitemap.xml").content.decode()
    assert f"/programs/{shown.pk}/</loc>" in body and f"/programs/{hidden.pk}/</loc>" not in body
    assert f"/reports/{report.pk}/</loc>" in body and f"/reports/{draft_report.pk}/" not in body
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /staff/" in robots and "Sitemap: http://testserver/sitemap.xml" in robots


def json_ld_events(page: str) -> list[dict]:
    import json
    import re

    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [event for block in blocks for event in json.loads(block)]


def test_program_page_describes_its_upcoming_sessions_for_search_engines(client, municipality):
    program = published(
        municipality,
        "みょうが畑づくり</script><script>alert(1)</script>",
        latitude="36.238100",
        longitude="137.186300",
    )
    upcoming = program.sessions.get()
    upcoming.places_taken = upcoming.capacity
    upcoming.save()
    SessionFactory(program=program, starts_at=timezone.now() - timedelta(days=3))  # past: left out
    page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    (event,) = json_ld_events(page)
    assert event["@type"] == "Event" and event["name"] == program.title
    assert event["startDate"] == timezone.localtime(upcoming.starts_at).isoformat()
    assert event["location"]["geo"] == {
        "@type": "GeoCoordinates", "latitude": 36.2381, "longitude": 137.1863
    }  # fmt: skip
    assert event["offers"]["availability"] == "https://schema.org/SoldOut"
    assert event["eventAttendanceMode"].endswith("OfflineEventAttendanceMode")
    assert event["offers"]["url"] == f"http://testserver/programs/{program.pk}/"


def test_drafts_previewed_by_the_nushi_carry_no_structured_data(client, municipality, staff):
    program = ProgramFactory(
        municipality=municipality, nushi__municipality=municipality, status="pending_nushi"
    )
    SessionFactory(program=program)
    client.force_login(staff)
    page = client.get(reverse("program_preview", args=[program.pk, program.preview_token]))
    assert json_ld_events(page.content.decode()) == []


def test_program_page_shows_places_left_live_after_someone_applies(client, municipality, helper):
    """The article is cached, but not its places: right after an application (or a cancellation) the
    page shows the new number, not the one cached a moment ago."""
    from portal.services.applications import application_cancel, application_submit

    program = published(municipality, "みょうが畑づくり")
    session = program.sessions.get()
    url = reverse("program_detail", args=[program.pk])
    assert "残り10人" in client.get(url).content.decode()
    application = application_submit(helper=helper, session_id=session.pk)
    page = client.get(url).content.decode()
    assert "残り9人" in page and "残り10人" not in page
    application_cancel(application_id=application.pk, actor=helper)
    assert "残り10人" in client.get(url).content.decode()


def test_program_page_follows_a_session_cancelled_or_filled_without_a_program_edit(
    client, municipality
):
    from portal.models import Session

    program = published(municipality, "みょうが畑づくり")
    url = reverse("program_detail", args=[program.pk])
    assert "残り10人" in client.get(url).content.decode()
    # Raw updates, as a conditional UPDATE in a service writes them: no save(), no updated_at.
    Session.objects.filter(program=program).update(places_taken=10)
    assert "満員（キャンセル待ちできます）" in client.get(url).content.decode()
    Session.objects.filter(program=program).update(status=Session.Status.CANCELLED)
    page = client.get(url).content.decode()
    assert "満員" not in page and "中止" in page


@pytest.mark.parametrize(
    ("taken", "shown"),
    [(0, "10人"), (6, "4人"), (7, "わずか"), (9, "わずか"), (10, "満員（キャンセル待ち）")],
)
def test_listing_cards_give_an_exact_count_only_while_it_cannot_run_out_unseen(
    client, municipality, taken, shown
):
    """Cards are cached for a while: a count of a few places left may be gone by then, so a card says
    わずか (after 残り) and the program page gives the live number."""
    program = published(municipality, "みょうが畑づくり")
    program.sessions.update(places_taken=taken)
    page = client.get(reverse("program_list")).content.decode()
    card = page[page.index('data-testid="program-card"') :]
    card = card[: card.index("</li>")]
    assert shown in card
    if shown == "わずか":
        assert "人" not in card.split("残り", 1)[1]
