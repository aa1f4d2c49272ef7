"""Needs, programs, sessions and activity reports for the demo, modelled on Hida's ヒダスケ！ (seed 001).

`seed_programs(cast)` is idempotent (get_or_create by nushi and title) and writes through plain model
saves: demo rows are not workflow events, so no notifications are queued. `seed_large_programs()` bulk-
inserts 10,000 programs and 30,000 sessions for the benchmarks.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.categories import Category
from accounts.models import Organization
from portal.demo.people import Cast
from portal.demo.photos import demo_photo
from portal.models import (
    ActivityReport,
    ActivityReportPhoto,
    Need,
    Program,
    ProgramPhoto,
    RelationshipType,
    Session,
)
from portal.search import program_search_text, reindex


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """A local (Asia/Tokyo) time `days` from today, as an aware datetime."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@dataclass
class Spec:
    nushi: str
    district: str
    title: str
    summary: str
    story: str
    category: str
    relationship: str
    what_to_bring: str
    points: int
    okaeshi: str
    place: str
    postal: str
    address: str
    lat: str | None
    lng: str | None
    online: bool = False
    tags: tuple = ()
    sessions: tuple = ()  # (days from today, start hour, hours, capacity, places taken)


# The join link and instructions of the demo's online program (seen once accepted).
ONLINE_DEMO = {
    "online_url": "https://meet.example.jp/tanekura-sns",
    "online_instructions": "開始5分前にリンクから入ってください。ミーティングID 123 4567 8901、パスコード tane。",
}

SPECS = [
    Spec(
        "みょうが農家 中田さん", "古川町", "みょうが畑づくり体験",
        "飛騨の山あいで、みょうが畑をいちから作ります。",
        "草を刈り、畝を立て、みょうがの根を植えます。夏には収穫に来られます。農作業がはじめての方も歓迎です。",
        Category.FARMING, RelationshipType.DIRECT, "汚れてもよい服、長靴、軍手、帽子、飲み物",
        500, "とれたてのみょうが", "中田さんの畑（古川町公民館に集合）", "509-4224", "岐阜県飛騨市古川町殿町1-2",
        "36.238100", "137.186300", tags=("農業", "はじめてOK"),
        sessions=((-20, 9, 3, 8, 6), (10, 9, 3, 8, 3), (24, 9, 3, 8, 0)),
    ),
    Spec(
        "山中和紙保存会", "河合町", "楮の皮はぎ",
        "800年続く山中和紙の原料、楮の皮をはぎます。",
        "冬の寒い時期、蒸した楮の皮を一本ずつはいでいきます。地元のみなさんと手を動かしながら、和紙づくりの話を聞けます。",
        Category.CRAFT, RelationshipType.DIRECT, "暖かい服装、エプロン",
        500, "山中和紙のはがき", "山中和紙の里", "509-4301", "岐阜県飛騨市河合町角川100",
        "36.301200", "137.098700", tags=("伝統工芸", "冬"),
        sessions=((-40, 10, 4, 6, 6), (17, 10, 4, 6, 5), (31, 10, 4, 6, 0)),
    ),
    Spec(
        "古川祭 屋台組", "古川町", "古川祭 屋台曳き",
        "ユネスコ無形文化遺産・古川祭で屋台を曳きます。",
        "町内の人手が減り、屋台を曳く人が足りません。法被を着て、町の人と一緒に屋台を曳きましょう。",
        Category.FESTIVAL, RelationshipType.EXCHANGE, "動きやすい服装（法被は貸し出します）",
        1000, "直会（なおらい）へのご招待", "壱之町 屋台蔵前", "509-4234", "岐阜県飛騨市古川町壱之町5-1",
        "36.237000", "137.187900", tags=("祭り", "土日"),
        sessions=((45, 13, 5, 20, 12), (46, 13, 5, 20, 20)),
    ),
    Spec(
        "種蔵集落", "宮川町", "種蔵集落のSNS発信をオンラインで手伝う",
        "石積みの棚田が残る集落の魅力を、オンラインで一緒に発信します。",
        "写真の選び方や投稿文を一緒に考えます。自宅から参加できます。",
        Category.REMOTE, RelationshipType.REMOTE, "パソコンかスマートフォン",
        300, "棚田米 1kg", "", "", "", None, None, online=True, tags=("オンライン", "SNS"),
        sessions=((-10, 20, 1, 10, 4), (12, 20, 1, 10, 2)),
    ),
    Spec(
        "神岡まちづくり協議会", "神岡町", "神岡の雪かきボランティア",
        "高齢の方の家の前の雪かきをします。",
        "雪の多い朝、一人暮らしの高齢者宅の玄関から道路までの雪かきをします。",
        Category.SNOW, RelationshipType.DIRECT, "防寒着、長靴、手袋（スコップは貸し出します）",
        800, "温かい豚汁", "神岡町公民館", "506-1111", "岐阜県飛騨市神岡町東町3",
        "36.333300", "137.300000", tags=("雪かき",),
        sessions=((20, 8, 3, 15, 4),),
    ),
]  # fmt: skip

NEEDS = [
    # (nushi, title, description, status, rejection reason)
    ("種蔵集落", "棚田の草刈りを手伝ってほしい", "夏の草刈りが年寄りだけでは追いつかない。", Need.Status.SUBMITTED, ""),
    ("神岡まちづくり協議会", "空き家の片付け", "集会所にする予定の空き家の片付けに人手がほしい。", Need.Status.IN_DESIGN, ""),
    ("山中和紙保存会", "展示会の受付", "和紙の展示会で受付をしてほしい。", Need.Status.REJECTED,
     "受付は保存会の会員で足りるとのことで、今回は見送りました。"),
    ("みょうが農家 中田さん", "収穫の手伝い", "8月の収穫を手伝ってほしい。", Need.Status.WITHDRAWN, ""),
]  # fmt: skip


@transaction.atomic
def seed_programs(cast: Cast) -> list[Program]:
    orgs = cast.organizations
    programs = []
    for spec in SPECS:
        nushi = orgs[spec.nushi]
        need, _ = Need.objects.get_or_create(
            nushi=nushi,
            title=f"{spec.title}の人手がほしい",
            defaults={
                "municipality": cast.municipality, "district": cast.districts[spec.district],
                "created_by": cast.staff, "channel": Need.Channel.PHONE, "description": spec.story,
                "meeting_place": spec.place, "postal_code": spec.postal, "address": spec.address,
                "dates_flexible": True, "helpers_wanted": 5, "okaeshi": spec.okaeshi,
                "status": Need.Status.PUBLISHED,
            },
        )  # fmt: skip
        program, created = Program.objects.get_or_create(
            nushi=nushi,
            title=spec.title,
            defaults={
                "municipality": cast.municipality, "district": cast.districts[spec.district], "need": need,
                "summary": spec.summary, "story": spec.story, "about_nushi": nushi.description,
                "background": "人口減少と高齢化で、地域の仕事や行事の担い手が足りなくなっています。",
                "category": spec.category, "relationship_type": spec.relationship, "tags": list(spec.tags),
                "what_to_bring": spec.what_to_bring, "points_per_participant": spec.points,
                "okaeshi": spec.okaeshi, "is_online": spec.online, "meeting_place": spec.place,
                **(ONLINE_DEMO if spec.online else {}),
                "meeting_postal_code": spec.postal, "meeting_address": spec.address,
                "latitude": spec.lat, "longitude": spec.lng, "status": Program.Status.PUBLISHED,
                "published_at": timezone.now() - timedelta(days=60), "created_by": cast.staff,
            },
        )  # fmt: skip
        if created:
            for days, hour, hours, capacity, taken in spec.sessions:
                start = _at(days, hour)
                Session.objects.create(
                    program=program, starts_at=start, ends_at=start + timedelta(hours=hours),
                    capacity=capacity, places_taken=taken if days > 0 else 0,
                    apply_deadline=start - timedelta(days=2),
                    status=Session.Status.CLOSED if days < 0 else Session.Status.SCHEDULED,
                )  # fmt: skip
        _seed_program_photos(program)
        programs.append(program)

    for nushi_name, title, description, status, reason in NEEDS:
        need, _ = Need.objects.get_or_create(
            nushi=orgs[nushi_name],
            title=title,
            defaults={
                "municipality": cast.municipality, "district": orgs[nushi_name].district,
                "created_by": cast.nushi if nushi_name == "みょうが農家 中田さん" else cast.staff,
                "description": description, "dates_flexible": True, "helpers_wanted": 4,
                "status": status, "rejection_reason": reason,
            },
        )  # fmt: skip
        if status == Need.Status.IN_DESIGN:
            draft, created = Program.objects.get_or_create(
                need=need,
                title="空き家を集会所に：片付けのお手伝い",
                defaults={
                    "municipality": cast.municipality, "district": need.district, "nushi": need.nushi,
                    "summary": "空き家を地域の集会所に生まれ変わらせる片付けです。", "story": description,
                    "category": Category.COMMUNITY, "meeting_place": "神岡町東町の空き家",
                    "status": Program.Status.PENDING_NUSHI, "created_by": cast.staff,
                },
            )  # fmt: skip
            if created:
                start = _at(35, 9)
                Session.objects.create(
                    program=draft, starts_at=start, ends_at=start + timedelta(hours=4), capacity=6,
                    apply_deadline=start - timedelta(days=3),
                )  # fmt: skip

    _seed_reports(cast, programs)
    # Demo rows are written without the program service: their search text is filled here.
    reindex(Program.objects.filter(search_text=""))
    return programs


# Two more pictures for each demo program's gallery, besides its cover.
GALLERY: dict[str, tuple[str, ...]] = {
    Category.FARMING: (Category.NATURE, Category.CARE), Category.CRAFT: (Category.SNOW, Category.COMMUNITY),
    Category.FESTIVAL: (Category.COMMUNITY, Category.CARE), Category.REMOTE: (Category.NATURE, Category.FARMING),
    Category.SNOW: (Category.COMMUNITY, Category.CARE),
}  # fmt: skip


def _seed_program_photos(program: Program) -> None:
    """The category's illustration as the cover (a published program needs one) and a small gallery,
    once (a program that has them keeps them)."""
    if not program.cover_image:
        cover = demo_photo(program.category)
        program.cover_image, program.cover_thumbnail = cover.image, cover.thumbnail
        Program.objects.filter(pk=program.pk).update(
            cover_image=cover.image, cover_thumbnail=cover.thumbnail
        )
    if not program.photos.exists():
        for order, category in enumerate(GALLERY.get(program.category, ())):
            photo = demo_photo(category)
            ProgramPhoto.objects.create(
                program=program, image=photo.image, thumbnail=photo.thumbnail, caption=photo.alt,
                order=order,
            )  # fmt: skip


def _seed_reports(cast: Cast, programs: list[Program]) -> None:
    texts = {
        "みょうが畑づくり体験": ("みょうが畑の畝ができました", "6人のヒダスケさんと一緒に、草を刈って畝を立てました。夏の収穫が楽しみです。"),
        "楮の皮はぎ": ("寒さに負けず楮の皮はぎ", "蒸し上がった楮から湯気が立つなか、皮を一本ずつはぎました。山中和紙の原料になります。"),
        "種蔵集落のSNS発信をオンラインで手伝う": ("オンラインで棚田の写真を選びました", "全国から4人が参加し、投稿の文章を一緒に考えました。"),
    }  # fmt: skip
    for program in programs:
        if program.title not in texts:
            continue
        past = program.sessions.filter(starts_at__lt=timezone.now()).order_by("starts_at").first()
        title, body = texts[program.title]
        report, _ = ActivityReport.objects.get_or_create(
            program=program,
            title=title,
            defaults={
                "session": past, "body": body, "author": cast.staff,
                "status": ActivityReport.Status.PUBLISHED, "published_at": timezone.now() - timedelta(days=5),
            },
        )  # fmt: skip
        if not report.photos.exists():
            photo = demo_photo(program.category)
            ActivityReportPhoto.objects.create(
                report=report, image=photo.image, thumbnail=photo.thumbnail, caption=photo.alt
            )


# --- large scale (benchmarks) ---------------------------------------------------------------------

PLACES = ["古川町", "河合町", "宮川町", "神岡町", "数河", "山之村", "種蔵", "角川", "杉崎", "増島"]
ACTIVITIES = [
    ("みょうがの収穫", Category.FARMING), ("田植え", Category.FARMING), ("稲刈り", Category.FARMING),
    ("トマトの芽かき", Category.FARMING), ("楮の皮はぎ", Category.CRAFT), ("和紙すき", Category.CRAFT),
    ("屋台曳き", Category.FESTIVAL), ("獅子舞の練習", Category.FESTIVAL), ("森の間伐", Category.NATURE),
    ("棚田の草刈り", Category.NATURE), ("高齢者サロン", Category.CARE), ("買物支援", Category.CARE),
    ("雪かき", Category.SNOW), ("屋根の雪下ろし", Category.SNOW), ("夏祭りの運営", Category.COMMUNITY),
    ("空き家の片付け", Category.COMMUNITY), ("SNS発信", Category.REMOTE), ("オンライン翻訳", Category.REMOTE),
]  # fmt: skip
LARGE_MARK = "大規模デモ"


def seed_large_programs(
    cast: Cast, total: int = 10_000, per_program: int = 3, batch: int = 2_000
) -> int:
    """Bulk-insert programs (3 sessions each) up to `total`, counted by their marker organisation, so a
    second run adds nothing. One third of the sessions are past, the rest spread over the next year."""
    org, _ = Organization.objects.get_or_create(
        municipality=cast.municipality,
        name=f"{LARGE_MARK}団体",
        defaults={"kind": Organization.Kind.RMO, "district": cast.districts["古川町"]},
    )
    _cover_large_programs(org)
    existing = Program.objects.filter(nushi=org).count()
    if existing >= total:
        return 0
    rng = random.Random(4)
    districts = list(cast.districts.values())
    covers = {category: demo_photo(category) for category in Category.values}
    now = timezone.now()
    made = 0
    for start in range(existing, total, batch):
        stop = min(start + batch, total)
        with transaction.atomic():
            programs = []
            for n in range(start, stop):
                activity, category = rng.choice(ACTIVITIES)
                place = rng.choice(PLACES)
                cover = covers[category]
                programs.append(
                    Program(
                        municipality=cast.municipality, district=rng.choice(districts), nushi=org,
                        title=f"{place}の{activity} {n:05d}",
                        summary=f"{place}で{activity}を手伝ってください。",
                        story=f"{place}の{activity}です。地域の人と一緒に作業します。はじめての方も歓迎します。",
                        category=category, is_online=category == Category.REMOTE,
                        meeting_place=f"{place}公民館", meeting_address=f"岐阜県飛騨市{place}",
                        points_per_participant=rng.choice([0, 300, 500, 1000]),
                        okaeshi=rng.choice(["", "地元の野菜", "お昼ごはん", "温泉券"]),
                        status=Program.Status.PUBLISHED, cover_image=cover.image,
                        cover_thumbnail=cover.thumbnail,
                        published_at=now - timedelta(days=rng.randint(1, 300)),
                    )
                )  # fmt: skip
            for program in programs:
                program.search_text = program_search_text(program)
            programs = Program.objects.bulk_create(programs)
            sessions = []
            for program in programs:
                for k in range(per_program):
                    # Two of three sessions lie in the past three years (the applications seeded on
                    # them are the participation history reports read), one in the coming year.
                    days = rng.randint(-1095, -1) if k < per_program - 1 else rng.randint(1, 365)
                    begins = _at(days, rng.choice([8, 9, 10, 13, 19]))
                    capacity = rng.randint(5, 20)
                    sessions.append(
                        Session(
                            program=program, starts_at=begins, ends_at=begins + timedelta(hours=3),
                            capacity=capacity, places_taken=rng.randint(0, capacity),
                            apply_deadline=begins - timedelta(days=2),
                            status=Session.Status.CLOSED if days < 0 else Session.Status.SCHEDULED,
                        )
                    )  # fmt: skip
            Session.objects.bulk_create(sessions, batch_size=5_000)
        made += stop - start
    if connection.vendor == "postgresql":
        # Fresh statistics: right after a bulk insert the planner would otherwise expect empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE portal_program, portal_session")
    return made


def _cover_large_programs(org: Organization) -> None:
    """Large programs seeded before they had covers get their category's illustration (one UPDATE
    per category: every one of them points at the same two files)."""
    for category in Category.values:
        if Program.objects.filter(nushi=org, category=category, cover_image="").exists():
            cover = demo_photo(category)
            Program.objects.filter(nushi=org, category=category, cover_image="").update(
                cover_image=cover.image, cover_thumbnail=cover.thumbnail
            )
