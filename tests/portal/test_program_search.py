"""The listing's search: hiragana, katakana, half-width and kanji forms find each other; the count of
results; a message naming each invalid filter while the rest of the search applies; the three orders;
the map of the page's programs."""

import datetime as dt
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.categories import Category
from portal import search
from portal.models import Program
from portal.services.programs import program_update
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


def published(municipality, title, *, days=14, capacity=10, taken=0, **kwargs):
    kwargs.setdefault("summary", "")  # the factory's texts mention みょうが: keep searches honest
    kwargs.setdefault("story", "")
    program = ProgramFactory(
        municipality=municipality, nushi__municipality=municipality, title=title, **kwargs
    )
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + timedelta(days=days), dt.time(10))
    )
    SessionFactory(program=program, starts_at=start, capacity=capacity, places_taken=taken)
    return program


def titles(client, **params) -> list[str]:
    return [
        card.title for card in client.get(reverse("program_list"), params).context["listing"].cards
    ]


@pytest.mark.parametrize("q", ["みょうが", "ミョウガ", "ﾐｮｳｶﾞ", "茗荷", "ミョウガ畑"])
def test_every_written_form_finds_both_spellings(client, municipality, q):
    kana = published(municipality, "みょうが畑づくり体験", days=3)
    kanji = published(municipality, "茗荷畑の草取り", days=4)
    published(municipality, "楮の皮はぎ", days=5, story="山中和紙の原料です。")
    assert titles(client, q=q) == [kana.title, kanji.title]


def test_a_kanji_word_finds_its_reading_written_in_kana_and_back(client, municipality):
    kana = published(municipality, "ゆきかたづけ", story="やねのゆきおろしをします")
    kanji = published(municipality, "屋根の雪下ろし", days=20)
    assert titles(client, q="雪下ろし") == [kana.title, kanji.title]
    assert titles(client, q="ユキオロシ") == [kana.title, kanji.title]


def test_a_short_reading_finds_only_its_kanji(client, municipality):
    """A single kanji often reads as two kana found inside unrelated words (祭 in 古川祭 reads さい,
    as in ください): the kanji is looked for, its short reading is not."""
    festival = published(municipality, "古川祭 屋台曳き")
    published(municipality, "草刈り", story="長靴でお越しください")
    assert search.query_words("祭") == [["祭", "まつり"]]
    assert search.query_words("雪") == [["雪"]]
    assert titles(client, q="古川祭") == [festival.title]


def test_every_word_must_match_in_some_form(client, municipality):
    program = published(municipality, "茗荷畑づくり", okaeshi="とれたての野菜")
    assert titles(client, q="ミョウガ　やさい") == [
        program.title
    ]  # full-width space, as an IME types
    assert titles(client, q="みょうが 屋台") == []


def test_the_private_address_is_never_searched(client, municipality):
    published(municipality, "茗荷畑", meeting_address="岐阜県飛騨市古川町殿町1-2")
    assert titles(client, q="殿町") == []
    assert titles(client, q="とのまち") == []


def test_the_program_service_keeps_the_search_text_in_step(client, municipality, staff):
    program = published(municipality, "草刈り")
    assert titles(client, q="みょうが") == []
    program_update(program=program, actor=staff, data={"title": "茗荷畑の草刈り"})
    assert titles(client, q="ミョウガ") == ["茗荷畑の草刈り"]
    program_update(program=program, actor=staff, data={"title": "田植え"})
    assert titles(client, q="ミョウガ") == []
    program.refresh_from_db()
    assert program.search_text == search.program_search_text(program)
    assert "たうえ" in program.search_text and "みょうが" not in program.search_text


def test_the_migration_fills_programs_saved_before_it(municipality):
    """Rows written before the search text existed (or with an older dictionary) are filled in
    batches by the migration's reindex."""
    programs = [published(municipality, f"茗荷畑 {n}") for n in range(5)]
    Program.objects.update(search_text="")
    assert search.reindex(Program.objects.all(), batch=2) == 5
    for program in programs:
        program.refresh_from_db()
        assert "みょうがはたけ" in program.search_text


def test_the_migration_fills_the_text_with_its_historical_model(municipality):
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("portal.migrations.0011_search_folded_text")
    state = MigrationLoader(connection).project_state(("portal", "0011_search_folded_text"))
    program = published(municipality, "茗荷畑")
    Program.objects.update(search_text="")
    migration.fill_search_text(state.apps, None)
    program.refresh_from_db()
    assert program.search_text == search.program_search_text(program)
    assert "みょうがはたけ" in program.search_text


# --- the count --------------------------------------------------------------------------------


def test_the_heading_counts_every_program_found_not_just_the_page(client, municipality):
    for n in range(23):
        published(municipality, f"茗荷畑 {n:02d}", days=n + 1)
    published(municipality, "楮の皮はぎ")
    response = client.get(reverse("program_list"), {"q": "みょうが"})
    page = response.content.decode()
    assert len(response.context["listing"].cards) == 20
    assert '<span class="ml-2 text-base font-normal" data-testid="result-count">23件</span>' in page
    # htmx swaps the results in: the count also fills the live region that stays on the page.
    assert (
        '<span hx-swap-oob="innerHTML:#results-status">23件のプログラムが見つかりました</span>'
        in page
    )
    assert '<p id="results-status" class="sr-only" aria-live="polite" aria-atomic="true">' in page
    assert (
        'data-testid="result-count">24件</span>'
        in client.get(reverse("program_list")).content.decode()
    )


def test_a_listing_longer_than_its_first_query_is_counted_by_a_query_of_its_own(
    client, municipality, django_assert_num_queries
):
    for n in range(25):  # 75 sessions: the first query reads 63 of them, enough for a page
        program = published(municipality, f"茗荷畑 {n:02d}", days=3 * n + 1)
        for later in (1, 2):
            SessionFactory(
                program=program, starts_at=timezone.now() + timedelta(days=3 * n + 1, hours=later)
            )
    client.get(reverse("program_list"), {"q": "茗荷", "sort": "new"})  # districts now cached
    # Queries: the prefix of sessions (1), the count (1), the map points (1).
    with django_assert_num_queries(3):
        page = client.get(reverse("program_list"), {"q": "茗荷"}).content.decode()
    assert 'data-testid="result-count">25件</span>' in page


def test_a_program_with_several_sessions_counts_once(client, municipality):
    program = published(municipality, "茗荷畑")
    SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=30))
    assert (
        'data-testid="result-count">1件</span>'
        in client.get(reverse("program_list")).content.decode()
    )
    client.cookies["django_language"] = "en"
    page = client.get(reverse("program_list")).content.decode()
    assert (
        'data-testid="result-count">1 program</span>' in page and ">1 program found</span>" in page
    )


# --- invalid filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "fishing"}, "「カテゴリ」の「fishing」は使えないため、この条件を外してさがしました（選べる値ではありません）。"),
        ({"district": "999999"}, "「地区」の「999999」は使えないため、この条件を外してさがしました（選べる値ではありません）。"),
        ({"mode": "flying"}, "「参加のしかた」の「flying」は使えないため、この条件を外してさがしました（選べる値ではありません）。"),
        ({"date_from": "2026-13-45"}, "「この日から」の「2026-13-45」は使えないため、この条件を外してさがしました（日付の形ではありません。例: 2026-12-24）。"),
        ({"date_to": "tomorrow"}, "「この日まで」の「tomorrow」は使えないため、この条件を外してさがしました（日付の形ではありません。例: 2026-12-24）。"),
        ({"q": "み" * 51}, f"「キーワード」の「{'み' * 30}…」は使えないため、この条件を外してさがしました（50文字までです）。"),
        ({"sort": "cheapest"}, "「並べ替え」の「cheapest」は使えないため、開催日が近い順に並べています（選べる値ではありません）。"),
    ],
)  # fmt: skip
def test_an_invalid_filter_is_named_and_the_rest_of_the_search_still_applies(
    client, municipality, params, message
):
    farming = published(municipality, "茗荷畑", category=Category.FARMING, days=2)
    published(municipality, "茗荷の販売", category=Category.COMMUNITY, is_online=True, days=1)
    published(municipality, "楮の皮はぎ", category=Category.FARMING, days=3)
    response = client.get(
        reverse("program_list"), {"q": "みょうが", "category": "farming", **params}
    )
    page = response.content.decode()
    assert response.context["problems"] == [message]
    assert 'data-testid="filter-problems"' in page and message in page
    expected = ["茗荷の販売", farming.title] if "category" in params else [farming.title]
    if "q" in params:  # the keyword itself was left out: the category still applies
        expected = [farming.title, "楮の皮はぎ"]
    assert [card.title for card in response.context["listing"].cards] == expected


def test_a_date_range_backwards_is_named(client, municipality):
    program = published(municipality, "茗荷畑")
    day = timezone.localdate()
    response = client.get(
        reverse("program_list"),
        {"date_from": (day + timedelta(days=5)).isoformat(), "date_to": day.isoformat()},
    )
    assert response.context["problems"] == [
        f"「この日まで」の「{day.isoformat()}」は使えないため、この条件を外してさがしました"
        "（「この日から」より前の日です）。"
    ]
    assert [card.title for card in response.context["listing"].cards] == [program.title]


def test_valid_filters_bring_no_message(client, municipality):
    published(municipality, "茗荷畑")
    response = client.get(
        reverse("program_list"),
        {"q": "みょうが", "category": "farming", "sort": "places", "page": "1"},
    )
    assert response.context["problems"] == []
    assert 'data-testid="filter-problems"' not in response.content.decode()


def test_the_message_follows_an_htmx_swap(client, municipality):
    published(municipality, "茗荷畑")
    response = client.get(
        reverse("program_list"),
        {"category": "fishing"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="program-results",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="program-results"')
    assert "「カテゴリ」の「fishing」は使えないため" in body


# --- order ------------------------------------------------------------------------------------


@pytest.fixture
def three(municipality):
    """Soonest: a, b, c. Most places left (at each program's next session): c, a, b. Newest: b, c, a."""
    now = timezone.now()
    a = published(
        municipality, "a", days=1, capacity=10, taken=5, published_at=now - timedelta(days=9)
    )
    b = published(
        municipality, "b", days=2, capacity=10, taken=9, published_at=now - timedelta(days=1)
    )
    c = published(
        municipality, "c", days=3, capacity=20, taken=2, published_at=now - timedelta(days=5)
    )
    # b's later session has many places: the order (and the card) use the next one.
    SessionFactory(program=b, starts_at=now + timedelta(days=40), capacity=50)
    return a, b, c


@pytest.mark.parametrize(
    ("sort", "order"), [("", "abc"), ("date", "abc"), ("places", "cab"), ("new", "bca")]
)
def test_each_order(client, three, sort, order):
    response = client.get(reverse("program_list"), {"sort": sort} if sort else {})
    cards = response.context["listing"].cards
    assert "".join(card.title for card in cards) == order
    assert {card.title: card.places_left for card in cards} == {"a": 5, "b": 1, "c": 18}


def test_an_order_applies_with_the_filters_and_pages(client, municipality):
    for n in range(22):
        published(municipality, f"茗荷畑 {n:02d}", days=n + 1, taken=n % 10)
    published(municipality, "楮の皮はぎ", days=1)
    first = client.get(reverse("program_list"), {"q": "茗荷", "sort": "places"})
    second = client.get(reverse("program_list"), {"q": "茗荷", "sort": "places", "page": 2})
    places = [
        c.places_left for c in first.context["listing"].cards + second.context["listing"].cards
    ]
    assert len(places) == 22 and places == sorted(places, reverse=True)
    assert first.context["listing"].has_next and not second.context["listing"].has_next
    assert "ページ" in first.content.decode() and "sort=places&amp;page=2" in first.content.decode()


def test_orders_are_cached_apart(client, three):
    assert titles(client) == ["a", "b", "c"]
    assert titles(client, sort="places") == ["c", "a", "b"]


# --- the map ----------------------------------------------------------------------------------


def test_the_map_shows_public_points_of_the_page_with_links(client, municipality):
    placed = published(municipality, "茗荷畑", latitude="36.238100", longitude="137.186300")
    published(municipality, "場所なし")
    published(
        municipality, "オンライン", is_online=True, latitude="36.000000", longitude="137.000000"
    )
    page = client.get(reverse("program_list")).content.decode()
    assert page.count("data-point ") == 1
    assert (
        f'<li data-point data-lat="36.238100" data-lng="137.186300"><a href="/programs/{placed.pk}/">茗荷畑</a></li>'
        in page
    )
    assert "岐阜県飛騨市" not in page  # never the exact address
    assert "portal/listing_map.js" in page and "leaflet.js" in page


def test_no_map_without_points(client, municipality):
    published(municipality, "場所なし")
    assert "data-listing-map" not in client.get(reverse("program_list")).content.decode()
