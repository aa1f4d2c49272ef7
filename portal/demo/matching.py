"""The demo's participation history, made from hidden helper tastes, so that `manage.py evaluate_matching`
is not circular: the engine (matching.engine) reads only what helpers *state* in their profiles and what
they did, never the tastes below, and the history is sampled from those tastes, never from the engine.

How the history is made (`seed_taste_history`, a fixed seed: the same tastes every time, and the
same history for the same day, since it is laid out backwards from now):

1. **Hidden tastes.** Each helper of the cohort (`t00000@taste.example.jp`, ...) draws, from a seeded RNG:
   a preference over the eight categories (one to three liked ones well above the rest); preferred
   weekdays (a weekend person, a weekday person with one to three days, or anyone); a preferred time of
   day (morning, afternoon, evening); a mild preference per season; a home prefecture and a travel
   tolerance (hours one would happily travel; the cost of an in-person session is the straight-line
   distance turned into hours by a speed model of its own, divided by that tolerance; online ones cost
   nothing); a loyalty (how much a nushi they attended before draws them back); an activity level (how
   many weeks in a month they look for something). Each program also has a quality every helper sees
   alike, and each helper a private liking of each program.
2. **Stated profile: a noisy, partial view.** What the helper wrote in the form: each liked category with
   probability 0.7, each other one with 0.08 (wrong); each preferred weekday with 0.85, each other with
   0.1, nothing at all for a third of those who do not mind the day; seasons liked with 0.6, and a third
   leave them empty; the prefecture, left blank by one in ten; a bio that names a liked activity for
   six in ten; skills at random. Time of day, tolerance, loyalty and activity are never stated.
3. **The history.** Programs of the cohort's nushi (a category each, ones fitting the nushi) are published
   over the past year and hold dated sessions (snow in winter, farming spring to autumn, online ones in
   the evening; weekends more often) with a capacity of 4 to 12. Week by week, each helper looks with the
   probability of their activity level; one who looks picks, among the sessions published then, open to
   applications, starting within six weeks and not full, the one with the highest utility (the tastes
   above, plus the loyalty bonus for nushi they attended, plus Gumbel noise), and applies if it beats
   staying at home; sometimes a second one. First come first served: the session's places go to the first
   applicants; once a session is over, nine in ten of those accepted attended, the rest did not show.

The cohort's programs are all over (募集終了, no points, their nushi named with TASTE_MARK): the public
pages do not list them and the points demo does not credit them; the other demo seeds leave their
sessions alone. Idempotent: a second run adds nothing.
"""

import heapq
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.categories import Category
from accounts.models import HelperProfile, Organization, Season, Skill, User
from accounts.pages import required_versions
from accounts.services import consent_record_many
from matching import travel
from portal.demo.people import FAMILY, GIVEN, HOME_AREAS, Cast, _password_hash
from portal.demo.photos import demo_photo
from portal.demo.programs import ACTIVITIES, PLACES
from portal.models import Application, Attendance, Program, Session
from portal.search import program_search_text

TASTE_MARK = "好みデモ"  # the cohort's nushi names start with it
TASTE_DOMAIN = "taste.example.jp"  # the cohort's helpers' emails end with it
S = Application.Status
CATEGORIES = list(Category.values)
SEASONS = [Season.WINTER, Season.SPRING, Season.SUMMER, Season.AUTUMN]
SEASON_OF_MONTH = [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0]  # index of SEASONS, by month - 1
# When each category's sessions happen (months) and at what hours.
MONTHS: dict[str, tuple[int, ...]] = {
    Category.SNOW: (12, 1, 2),
    Category.FARMING: (4, 5, 6, 7, 8, 9, 10),
    Category.NATURE: (5, 6, 7, 8, 9, 10, 11),
    Category.FESTIVAL: (4, 8, 10),
}
HOURS: dict[str, tuple[int, ...]] = {
    Category.REMOTE: (19, 20),
    Category.CARE: (10, 13),
    Category.COMMUNITY: (10, 13, 18),
}
BIO_WORDS: dict[str, str] = {
    Category.FARMING: "畑仕事", Category.CRAFT: "ものづくり", Category.FESTIVAL: "お祭り",
    Category.NATURE: "森や里山", Category.COMMUNITY: "地域の行事", Category.CARE: "高齢の方とのおしゃべり",
    Category.SNOW: "雪国の暮らし", Category.REMOTE: "オンラインでのお手伝い",
}  # fmt: skip


@dataclass(frozen=True)
class Size:
    helpers: int
    nushi: int
    programs: int


SIZES = {"small": Size(helpers=250, nushi=15, programs=60), "large": Size(1500, 60, 300)}


@dataclass
class Tastes:
    """The hidden tastes of the cohort, one row per helper (never stored: the engine cannot read them)."""

    category: np.ndarray  # helpers x categories
    weekday: np.ndarray  # helpers x 7
    hour: np.ndarray  # helpers x 3 (morning, afternoon, evening)
    season: np.ndarray  # helpers x 4
    travel_cost: np.ndarray  # per helper: utility lost by going somewhere in person
    loyalty: np.ndarray  # per helper: bonus for a nushi they attended
    activity: np.ndarray  # per helper: chance of looking in a given week
    liked: list[list[str]]  # the liked categories
    days: list[set[int]]  # the preferred weekdays (empty: any day)


def _hour_bucket(hour: int) -> int:
    return 0 if hour < 12 else 1 if hour < 17 else 2


def draw_tastes(rng: np.random.Generator, prefectures: list[str]) -> Tastes:
    n, c = len(prefectures), len(CATEGORIES)
    category = rng.normal(-1.0, 0.5, (n, c))
    liked: list[list[str]] = []
    for h in range(n):
        picks = rng.choice(c, size=rng.choice([1, 2, 2, 3]), replace=False)
        category[h, picks] = rng.uniform(1.5, 3.0, len(picks))
        liked.append([CATEGORIES[i] for i in picks])
    weekday = np.zeros((n, 7))
    days: list[set[int]] = []
    for h in range(n):
        kind = rng.random()
        if kind < 0.55:
            chosen = {5, 6} | ({4} if rng.random() < 0.3 else set())
        elif kind < 0.85:
            chosen = {int(d) for d in rng.choice(5, size=rng.integers(1, 4), replace=False)}
        else:
            chosen = set()
        if chosen:
            weekday[h] = -1.2
            weekday[h, sorted(chosen)] = 1.0
        days.append(chosen)
    hour = np.full((n, 3), -0.4)
    hour[np.arange(n), rng.choice(3, size=n, p=[0.5, 0.3, 0.2])] = 0.6
    season = rng.normal(0.0, 0.4, (n, 4))
    tolerance = rng.uniform(1.5, 6.0, n)
    hida = travel.home_point("岐阜県")
    hours = np.array(
        [0.5 + float(travel.distance_km(*travel.home_point(p), *hida)) / 60 for p in prefectures]
    )
    return Tastes(
        category=category,
        weekday=weekday,
        hour=hour,
        season=season,
        travel_cost=-np.minimum(hours / tolerance, 3.0),
        loyalty=rng.exponential(1.5, n),
        activity=np.clip(rng.lognormal(np.log(0.2), 0.6, n), 0.03, 0.8),
        liked=liked,
        days=days,
    )


def stated_profile(rng: np.random.Generator, tastes: Tastes, h: int, pref: str) -> dict:
    """What helper `h` wrote in the form: a noisy, partial view of their tastes (module docstring)."""
    interests = [c for c in CATEGORIES if rng.random() < (0.7 if c in tastes.liked[h] else 0.08)]
    days = tastes.days[h]
    if days:
        weekdays = [d for d in range(7) if rng.random() < (0.85 if d in days else 0.1)]
    else:
        weekdays = [] if rng.random() < 0.33 else list(range(7))
    seasons = []
    if rng.random() >= 0.33:
        seasons = [
            s for i, s in enumerate(SEASONS) if tastes.season[h, i] > 0 and rng.random() < 0.6
        ]
    liked = tastes.liked[h][int(rng.integers(len(tastes.liked[h])))]
    bio = (
        f"{BIO_WORDS[liked]}に関わりたくて登録しました。"
        if rng.random() < 0.6
        else "地域のお手伝いをしてみたいと思い登録しました。"
    )
    return {
        "interests": interests,
        "available_weekdays": sorted(weekdays),
        "available_seasons": seasons,
        "home_prefecture": "" if rng.random() < 0.1 else pref,
        "bio": bio,
        "skills": [
            str(s) for s in rng.choice(Skill.values, size=rng.integers(0, 3), replace=False)
        ],
        "birth_year": int(rng.integers(1950, 2006)),
    }


def _at(day: datetime, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), time(hour)))


@transaction.atomic
def seed_taste_history(cast: Cast, *, scale: str = "small", seed: int = 13) -> int:
    """The cohort, its programs and their applications (module docstring); returns the applications
    made (0 when the cohort is already there)."""
    if Organization.objects.filter(name__startswith=TASTE_MARK).exists():
        return 0
    size = SIZES[scale]
    rng = np.random.default_rng(seed)
    names = random.Random(seed)
    now = timezone.now()

    # Helpers: hidden tastes, then the profile they stated.
    areas = [HOME_AREAS[int(i)] for i in rng.integers(len(HOME_AREAS), size=size.helpers)]
    tastes = draw_tastes(rng, [pref for _postal, pref, _city in areas])
    users = User.objects.bulk_create(
        [
            User(
                email=f"t{n:05d}@{TASTE_DOMAIN}",
                name=f"{names.choice(FAMILY)} {names.choice(GIVEN)}",
                password=_password_hash(),
            )
            for n in range(size.helpers)
        ]
    )
    HelperProfile.objects.bulk_create(
        [
            HelperProfile(
                user=user,
                display_name=user.name.split(" ")[-1],
                postal_code=postal,
                home_municipality=city,
                **stated_profile(rng, tastes, h, pref),
            )
            for h, (user, (postal, pref, city)) in enumerate(zip(users, areas, strict=True))
        ]
    )
    consent_record_many(user_ids=[u.pk for u in users], versions=required_versions())

    # Nushi, each with one or two categories of activity; programs published over the past year.
    districts = list(cast.districts.values())
    by_category: dict[str, list[str]] = {}
    for activity, category in ACTIVITIES:
        by_category.setdefault(category, []).append(activity)
    nushi = []
    for n in range(size.nushi):
        place = PLACES[n % len(PLACES)]
        kinds = list(rng.choice(CATEGORIES, size=rng.choice([1, 2]), replace=False))
        org = Organization.objects.create(
            municipality=cast.municipality, name=f"{TASTE_MARK} {place}の会 {n:03d}",
            kind=Organization.Kind.RMO, district=districts[n % len(districts)],
        )  # fmt: skip
        nushi.append((org, place, kinds))
    covers = {c: demo_photo(c) for c in CATEGORIES}
    programs, quality = [], []
    for n in range(size.programs):
        org, place, kinds = nushi[int(rng.integers(len(nushi)))]
        category = kinds[int(rng.integers(len(kinds)))]
        activity = by_category[category][int(rng.integers(len(by_category[category])))]
        program = Program(
            municipality=cast.municipality, district=org.district, nushi=org,
            title=f"{place}の{activity} {n:03d}", summary=f"{place}で{activity}を手伝ってください。",
            story=f"{place}の{activity}です。{org.name.removeprefix(TASTE_MARK).strip()}のみなさんと作業します。",
            category=category, is_online=category == Category.REMOTE, meeting_place=f"{place}公民館",
            meeting_address=f"岐阜県飛騨市{place}", points_per_participant=0,
            status=Program.Status.CLOSED, cover_image=covers[category].image,
            cover_thumbnail=covers[category].thumbnail, created_by=cast.staff,
            # Spread evenly over the year (stratified), so that every month has programs to choose from.
            published_at=now - timedelta(days=20 + 380 * float(n + rng.random()) / size.programs),
        )  # fmt: skip
        program.search_text = program_search_text(program)
        programs.append(program)
        quality.append(rng.normal(0, 0.5))
    programs = Program.objects.bulk_create(programs)
    published_at = [p.published_at or now for p in programs]

    sessions: list[Session] = []
    program_of: list[int] = []
    for p, program in enumerate(programs):
        months = MONTHS.get(program.category)
        hours = HOURS.get(program.category, (8, 9, 10, 13))
        for _k in range(int(rng.integers(5, 11))):
            day = published_at[p] + timedelta(days=float(rng.uniform(7, 220)))
            if months and timezone.localtime(day).month not in months:
                continue
            # Weekends more often: move half the weekday sessions to the Saturday or Sunday after.
            local = timezone.localtime(day)
            if local.weekday() < 5 and rng.random() < 0.5:
                local += timedelta(days=5 - local.weekday() + int(rng.integers(2)))
            starts = _at(local, int(rng.choice(hours)))
            if starts > now - timedelta(hours=6):
                continue
            length = 2 if program.is_online else 3
            sessions.append(
                Session(
                    program=program,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=length),
                    apply_deadline=starts - timedelta(days=2),
                    capacity=int(rng.integers(4, 13)),
                    status=Session.Status.CLOSED,
                )
            )
            program_of.append(p)
    rows = _sample_history(rng, tastes, programs, sessions, program_of, quality, now)
    return _write_history(users, sessions, rows)


def _sample_history(
    rng, tastes, programs, sessions, program_of, quality, now
) -> list[tuple[int, int, float, bool]]:
    """Week by week, helpers pick what they apply to from their hidden tastes (module docstring)."""
    n_helpers = len(tastes.activity)
    cat = np.array([CATEGORIES.index(programs[p].category) for p in program_of])
    local = [timezone.localtime(s.starts_at) for s in sessions]
    weekday = np.array([t.weekday() for t in local])
    bucket = np.array([_hour_bucket(t.hour) for t in local])
    season = np.array([SEASON_OF_MONTH[t.month - 1] for t in local])
    online = np.array([programs[p].is_online for p in program_of])
    nushi = np.array([programs[p].nushi_id for p in program_of])
    liking = rng.normal(0, 0.7, (n_helpers, len(programs)))
    utility = (
        tastes.category[:, cat]
        + tastes.weekday[:, weekday]
        + tastes.hour[:, bucket]
        + tastes.season[:, season]
        + np.outer(tastes.travel_cost, ~online)
        + np.asarray(quality)[program_of]
        + liking[:, program_of]
    )
    starts = np.array([s.starts_at.timestamp() for s in sessions])
    ends = np.array([s.ends_at.timestamp() for s in sessions])
    deadline = np.array([s.apply_deadline.timestamp() for s in sessions])
    published = np.array([programs[p].published_at.timestamp() for p in program_of])
    capacity = np.array([s.capacity for s in sessions])
    taken = np.zeros(len(sessions), dtype=int)
    day = np.array([t.date().toordinal() for t in local])
    applied: list[set[int]] = [set() for _ in range(n_helpers)]
    busy: list[set[int]] = [set() for _ in range(n_helpers)]  # local days with a place held
    # Places taken, by when their session ends: once it is over, those who came know the nushi.
    pending: list[
        tuple[float, int, int]
    ] = []  # a heap of (ends, helper, session) of those who came
    helped: list[set[int]] = [set() for _ in range(n_helpers)]
    rows: list[tuple[int, int, float, bool]] = []  # helper, session, created, came
    week = 7 * 86400.0
    t, end = float(published.min()), now.timestamp()
    while t < end:
        while pending and pending[0][0] < t:
            _e, h, s = heapq.heappop(pending)
            helped[h].add(int(nushi[s]))
        open_ = np.flatnonzero(
            (published <= t) & (deadline > t) & (starts <= t + 6 * week) & (taken < capacity)
        )
        if open_.size:
            for looking in np.flatnonzero(rng.random(n_helpers) < tastes.activity):
                h = int(looking)
                u = utility[h, open_] + rng.gumbel(0, 1, open_.size)
                if helped[h]:
                    u = u + tastes.loyalty[h] * np.isin(nushi[open_], sorted(helped[h]))
                for _pick in range(2):
                    i = int(np.argmax(u))
                    s = int(open_[i])
                    if (
                        u[i] < 2.0
                        or s in applied[h]
                        or day[s] in busy[h]
                        or taken[s] >= capacity[s]
                    ):
                        break
                    created = min(t + rng.uniform(0, week), deadline[s] - 3600, end - 60)
                    applied[h].add(s)
                    busy[h].add(int(day[s]))
                    taken[s] += 1
                    came = bool(rng.random() < 0.9)
                    if came:
                        heapq.heappush(pending, (float(ends[s]), int(h), s))
                    rows.append((int(h), s, created, came))
                    u[i] = -np.inf
                    if rng.random() > 0.3:
                        break
        t += week
    return rows


def _write_history(users, sessions, rows) -> int:
    """Sessions (their places_taken from the history) and applications, set-wise."""
    for _h, s, _c, came in rows:
        sessions[s].places_taken += came
    sessions = Session.objects.bulk_create(sessions, batch_size=2000)
    # Every session is over: those who came attended, the others did not show.
    applications = Application.objects.bulk_create(
        [
            Application(
                session=sessions[s],
                helper=users[h],
                status=S.ATTENDED if came else S.NO_SHOW,
                decided_at=datetime.fromtimestamp(created, tz=UTC),
            )
            for h, s, created, came in rows
        ],
        batch_size=2000,
    )
    # created_at is auto_now_add (bulk_create sets it to now): the history's own times, in one UPDATE.
    Application.objects.filter(helper__email__endswith=f"@{TASTE_DOMAIN}").update(
        created_at=F("decided_at")
    )
    Attendance.objects.bulk_create(
        [
            Attendance(application=a, checked_in_at=a.session.starts_at, method="qr")
            for a in applications
            if a.status == S.ATTENDED
        ],
        batch_size=2000,
    )
    return len(applications)
