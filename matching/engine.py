"""Features and scoring: pure functions over plain data (no ORM here; portal.selectors.matching builds the
dataclasses from the database).

Entry points (the package docstring, matching/__init__.py, lists them all):
- rank_sessions(helper, table, now=...)   the sessions one helper should see first, each with reasons;
- rank_helpers(session, helpers, ...)     the helpers to invite to one session, each with reasons;
- rank_sessions_many(helpers, table, ...) rank_sessions for many helpers at once (the weekly digest),
  spreading exposure over the programs as it goes (SmartSort-style fairness).

How a score is made: every term below maps (helper, sessions) to one number per session, already weighted
(Weights, overridable with settings.MATCHING_WEIGHTS), and has a reason function that says in words why
it counted for one session. A session's score is the sum of its terms; its reasons are the one or two
terms that added the most. Every term depends only on the pair (and on corpus statistics fixed when the
TextModel was fitted), never on which other sessions are in the table: adding an unrelated session
never reorders the others (tests/matching/test_properties.py), and ties break by session id.

Eligibility is not a term: a session that is closed, full, past its deadline, or that the helper may not
join (age, residents only, already applied, overlapping a session they hold a place in) is never ranked.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from accounts.categories import Category
from accounts.models import Skill, Weekday
from matching import travel

SEASON_OF_MONTH = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
                   6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}  # fmt: skip
CATEGORIES = list(Category.values)
SKILLS = list(Skill.values)
SEASONS = ["spring", "summer", "autumn", "winter"]
DAY = 86400.0
# The ordinary day trip of a city helper to a rural program: the travel term's neutral level.
TYPICAL_TRIP_HOURS = 3.0


@dataclass(frozen=True)
class Weights:
    """How much each term counts. Defaults were set by hand so that one strong reason (an interest, a
    returning relationship) outweighs a small travel difference, and tuned on evaluate_matching.
    Override any of them with settings.MATCHING_WEIGHTS = {"travel_per_hour": 0.5, ...}."""

    fit_category: float = 2.0  # the session's category is one of the helper's interests
    fit_skills: float = 1.0  # times the share of the session's required skills the helper has
    fit_text: float = 3.0  # times the cosine similarity of the program text and the helper's text
    availability_weekday: float = (
        1.0  # + on a weekday the helper stated, - on another (0 if none stated)
    )
    availability_season: float = 0.5  # the same for seasons
    travel_per_hour: float = 0.6  # subtracted per hour of estimated one-way travel, up to 5 hours
    relationship_nushi: float = 1.5  # the helper attended a session of this nushi before
    relationship_municipality: float = 0.75  # ... or of this municipality
    newcomer: float = 0.75  # the helper never attended anything (matters when ranking helpers)
    need_places: float = 0.5  # times the share of places still open
    need_deadline: float = 0.5  # growing linearly as the deadline comes within 14 days
    need_at_risk: float = 1.0  # a session with under half its places asked for, within 21 days
    fairness: float = (
        1.0  # times demand (applications + times shown in this run) / capacity, up to 1
    )
    newcomer_quota: float = 0.3  # allocation: this share of a session's places (rounded up) is kept
    # for first-timers whenever enough of them applied

    @classmethod
    def from_settings(cls) -> "Weights":
        overrides = getattr(settings, "MATCHING_WEIGHTS", {}) or {}
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: float(v) for k, v in overrides.items() if k in known})


@dataclass(frozen=True)
class HelperFeatures:
    id: int
    interests: frozenset[str] = frozenset()  # Category values
    skills: frozenset[str] = frozenset()  # Skill values
    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    seasons: frozenset[str] = frozenset()
    prefecture: str = ""
    birth_year: int | None = None
    text: str = ""  # bio and the titles and summaries of programs they joined
    helped_nushi: frozenset[int] = frozenset()  # Organization ids of sessions they attended
    helped_municipalities: frozenset[int] = frozenset()
    attended: int = 0
    busy: tuple[tuple[datetime, datetime], ...] = ()  # sessions where they hold a place
    applied: frozenset[int] = frozenset()  # sessions with an active application
    resident_of: frozenset[int] = frozenset()  # municipality ids they live in (residents-only rule)
    display_name: str = ""


@dataclass(frozen=True)
class SessionFeatures:
    id: int
    program_id: int
    title: str
    nushi_id: int
    nushi_name: str
    municipality_id: int
    municipality_name: str
    prefecture: str
    category: str
    starts_at: datetime
    ends_at: datetime
    apply_deadline: datetime
    capacity: int
    places_taken: int = 0
    demand: int = 0  # active applications (applied, waitlisted, accepted)
    is_open: bool = True  # scheduled, and its program published
    is_online: bool = False
    min_age: int | None = None
    residents_only: bool = False
    required_skills: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    published_at: datetime | None = None  # the program's


class TextModel:
    """Character n-gram TF-IDF (scikit-learn; no model to download): Japanese needs no word splitting
    for this, and 2-3 character grams catch 草取り/草刈り and 和紙/紙すき alike. Fitted once on a
    corpus of program texts; its statistics then stay fixed, so scoring one pair never depends on what
    else is being ranked."""

    def __init__(self, corpus: Sequence[str]):
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, max_features=200_000
        )
        # No program yet (a new deployment): a placeholder, so that vectors() still answers (zeros).
        self.vectorizer.fit([t for t in corpus if t.strip()] or ["お手伝い"])

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if not texts:
            return sparse.csr_matrix((0, len(self.vectorizer.vocabulary_)), dtype=np.float32)
        return self.vectorizer.transform(list(texts)).astype(np.float32).tocsr()


def _bits(values: Sequence[str], universe: Sequence[str]) -> int:
    return sum(1 << universe.index(v) for v in values if v in universe)


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a).astype(np.float64)


@dataclass
class SessionTable:
    """Sessions as column arrays, so that a helper is scored against all of them in one NumPy pass."""

    sessions: list[SessionFeatures]
    text: sparse.csr_matrix
    ids: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        s = self.sessions
        local = [timezone.localtime(x.starts_at) for x in s]
        self.text_columns = self.text.tocsc()
        self.travel_from: dict[str, np.ndarray] = {}  # travel_hours, by home prefecture
        self.ids = np.array([x.id for x in s], dtype=np.int64)
        self.nushi = np.array([x.nushi_id for x in s], dtype=np.int64)
        self.municipality = np.array([x.municipality_id for x in s], dtype=np.int64)
        self.category = np.array([_bits([x.category], CATEGORIES) for x in s], dtype=np.int64)
        self.required = np.array([_bits(x.required_skills, SKILLS) for x in s], dtype=np.int64)
        self.required_count = _popcount(self.required)
        self.weekday = np.array([t.weekday() for t in local], dtype=np.int64)
        self.weekday_bit = np.left_shift(1, self.weekday)
        # dtype given: an empty table's arrays must still be integers for the bit tests.
        self.season = np.array(
            [1 << SEASONS.index(SEASON_OF_MONTH[t.month]) for t in local], dtype=np.int64
        )
        self.starts = np.array([x.starts_at.timestamp() for x in s])
        self.ends = np.array([x.ends_at.timestamp() for x in s])
        self.deadline = np.array([x.apply_deadline.timestamp() for x in s])
        self.capacity = np.array([x.capacity for x in s], dtype=np.float64)
        self.taken = np.array([x.places_taken for x in s], dtype=np.float64)
        self.demand = np.array([x.demand for x in s], dtype=np.float64)
        self.is_open = np.array([x.is_open for x in s], dtype=bool)
        self.online = np.array([x.is_online for x in s], dtype=bool)
        self.min_age = np.array([x.min_age or 0 for x in s], dtype=np.int64)
        self.start_year = np.array([t.year for t in local], dtype=np.int64)
        self.residents_only = np.array([x.residents_only for x in s], dtype=bool)
        self.lat = np.array([np.nan if x.latitude is None else x.latitude for x in s])
        self.lon = np.array([np.nan if x.longitude is None else x.longitude for x in s])
        self.published = np.array(
            [np.nan if x.published_at is None else x.published_at.timestamp() for x in s]
        )

    @classmethod
    def build(cls, sessions: Sequence[SessionFeatures], model: TextModel) -> "SessionTable":
        return cls(list(sessions), model.vectors([x.text for x in sessions]))

    def __len__(self) -> int:
        return len(self.sessions)


@dataclass(frozen=True)
class Reason:
    """One reason in two voices: to the helper (「前回お手伝いした中田さんのプログラム」) and to staff
    choosing whom to invite (「中田さんのお手伝い経験あり」)."""

    helper: str
    staff: str
    # A returning relationship is said first, whatever its weight: it is the point of 関係人口.
    first: bool = False


@dataclass
class Context:
    """What a term may look at besides the pair: the time, the weights, the helper's text vector and
    this run's exposure counts (how often each session was already shown, by row)."""

    now: float
    weights: Weights
    helper_text: sparse.csr_matrix | None = None
    shown: np.ndarray | None = None
    similarity: np.ndarray | None = None  # text_similarity's answer, kept for the reasons


# --- The terms. Each: score(h, t, ctx) -> one weighted number per session; reason(h, t, i, ctx). ---


def fit_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    w = ctx.weights
    interests = _bits(sorted(h.interests), CATEGORIES)
    skills = _bits(sorted(h.skills), SKILLS)
    score = w.fit_category * ((t.category & interests) != 0)
    if t.required.any():
        have = _popcount(t.required & skills)
        score = score + w.fit_skills * np.divide(
            have, t.required_count, out=np.zeros(len(t)), where=t.required_count > 0
        )
    return score + w.fit_text * text_similarity(t, ctx)


def text_similarity(t: SessionTable, ctx: Context) -> np.ndarray:
    """Cosine similarity (the vectors are L2-normalised) of each session's text and the helper's,
    through the table's columns: only the n-grams the helper's text has are touched."""
    h = ctx.helper_text
    if h is None or h.nnz == 0 or len(t) == 0:
        sims = np.zeros(len(t))
    else:
        sims = np.asarray(t.text_columns[:, h.indices] @ h.data, dtype=np.float64).ravel()
    ctx.similarity = sims
    return sims


def fit_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    s = t.sessions[i]
    if s.category in h.interests:
        label = str(Category(s.category).label)
        return Reason(_("興味のある「%(c)s」") % {"c": label}, _("関心：%(c)s") % {"c": label})
    common = [str(Skill(x).label) for x in s.required_skills if x in h.skills]
    if common:
        text = "・".join(common)
        return Reason(_("「%(s)s」を活かせる") % {"s": text}, _("得意：%(s)s") % {"s": text})
    sims = ctx.similarity if ctx.similarity is not None else text_similarity(t, ctx)
    if sims[i] >= 0.2:
        return Reason(_("これまでのお手伝いと似た内容"), _("過去の参加・自己紹介と近い内容"))
    return None


def availability_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    w = ctx.weights
    score = np.zeros(len(t))
    if h.weekdays:
        ok = (t.weekday_bit & sum(1 << d for d in h.weekdays)) != 0
        score += np.where(ok, w.availability_weekday, -w.availability_weekday)
    if h.seasons:
        ok = (t.season & _bits(sorted(h.seasons), SEASONS)) != 0
        score += np.where(ok, w.availability_season, -w.availability_season)
    return score


def availability_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    day = int(t.weekday[i])
    if day not in h.weekdays:
        return None
    text = _("週末") if day >= 5 else _("%(d)s曜日") % {"d": Weekday(day).label}
    return Reason(text, _("%(t)sに参加しやすい") % {"t": text})


def travel_hours(h: HelperFeatures, t: SessionTable) -> np.ndarray:
    """Hours from the helper's home to each venue. Homes are prefectures, so the table keeps one
    array per prefecture: the digest's 100,000 helpers cost 47 passes, not 100,000."""
    hours = t.travel_from.get(h.prefecture)
    if hours is None:
        minutes = travel.travel_minutes(travel.home_point(h.prefecture), t.lat, t.lon)
        hours = t.travel_from[h.prefecture] = np.where(t.online, 0.0, minutes / 60.0)
    return hours


def travel_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    # Unknown (no home prefecture): an ordinary trip, neither a reward nor a penalty against the rest.
    hours = np.nan_to_num(travel_hours(h, t), nan=TYPICAL_TRIP_HOURS)
    return -ctx.weights.travel_per_hour * np.minimum(hours, 5.0)


def travel_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    s = t.sessions[i]
    if s.is_online:
        return Reason(_("オンラインで参加できる"), _("オンライン"))
    if h.prefecture and s.prefecture == h.prefecture:
        return Reason(_("%(p)s内") % {"p": s.prefecture}, _("%(p)s内から") % {"p": s.prefecture})
    hours = float(travel.travel_minutes(travel.home_point(h.prefecture), t.lat[i], t.lon[i])) / 60
    if hours <= 1.5:
        minutes = int(round(hours * 60, -1))
        return Reason(_("移動は約%(m)d分") % {"m": minutes}, _("移動は約%(m)d分") % {"m": minutes})
    return None


def relationship_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    w = ctx.weights
    nushi = np.isin(t.nushi, sorted(h.helped_nushi))
    town = np.isin(t.municipality, sorted(h.helped_municipalities))
    score = np.where(nushi, w.relationship_nushi, np.where(town, w.relationship_municipality, 0.0))
    return score + (w.newcomer if h.attended == 0 else 0.0)


def relationship_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    s = t.sessions[i]
    if s.nushi_id in h.helped_nushi:
        return Reason(
            _("前回お手伝いした%(n)sのプログラム") % {"n": s.nushi_name},
            _("%(n)sのお手伝い経験あり") % {"n": s.nushi_name},
            first=True,
        )
    if s.municipality_id in h.helped_municipalities:
        return Reason(
            _("前にもお手伝いした%(m)s") % {"m": s.municipality_name},
            _("%(m)sでのお手伝い経験あり") % {"m": s.municipality_name},
            first=True,
        )
    if h.attended == 0:
        return Reason(_("はじめての方も歓迎"), _("はじめての参加"))
    return None


def _days_left(t: SessionTable, ctx: Context) -> np.ndarray:
    return (t.deadline - ctx.now) / DAY


def _fill(t: SessionTable) -> np.ndarray:
    return np.minimum(t.demand, t.capacity) / t.capacity


def need_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    w = ctx.weights
    days = _days_left(t, ctx)
    open_share = (t.capacity - t.taken) / t.capacity
    soon = np.clip(1 - days / 14, 0, 1)
    at_risk = (days < 21) & (_fill(t) < 0.5)
    return w.need_places * open_share + w.need_deadline * soon + w.need_at_risk * at_risk


def need_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    days = int(_days_left(t, ctx)[i])
    if days < 21 and _fill(t)[i] < 0.5:
        left = int(t.capacity[i] - t.demand[i])
        return Reason(
            _("人手が足りていません（あと%(n)d名）") % {"n": left},
            _("応募が少ない日程（あと%(n)d名）") % {"n": left},
        )
    if days <= 7:
        return Reason(
            _("締切まであと%(d)d日") % {"d": days}, _("締切まであと%(d)d日") % {"d": days}
        )
    return None


def fairness_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    """Exposure penalty: a session already asked for by many (applications, and in a batch run the
    helpers it was already shown to) gives way to one nobody has seen, so that small hamlets are not
    drowned out by popular programs (VolunteerMatch's SmartSort: 8-9% more listings reached at least
    one volunteer without fewer connections in total)."""
    demand = t.demand if ctx.shown is None else t.demand + ctx.shown
    return -ctx.weights.fairness * np.minimum(demand / t.capacity, 1.0)


def no_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    return None


ScoreFn = Callable[[HelperFeatures, SessionTable, Context], np.ndarray]
ReasonFn = Callable[[HelperFeatures, SessionTable, int, Context], Reason | None]
TERMS: dict[str, tuple[ScoreFn, ReasonFn]] = {
    "fit": (fit_score, fit_reason),
    "availability": (availability_score, availability_reason),
    "travel": (travel_score, travel_reason),
    "relationship": (relationship_score, relationship_reason),
    "need": (need_score, need_reason),
    "fairness": (fairness_score, no_reason),
}


# A term counts as a reason when it adds more than its usual level: 0 for most; for travel (always a
# cost) a trip of TYPICAL_TRIP_HOURS.
def _usual(name: str, w: Weights) -> float:
    return -TYPICAL_TRIP_HOURS * w.travel_per_hour if name == "travel" else 0.0


def eligible(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    """Sessions this helper may be shown: open, places left, before the deadline, and nothing in the
    helper's situation that would refuse the application (the rules of
    portal.selectors.applications.eligibility_problems, on plain data)."""
    ok = t.is_open & (t.taken < t.capacity) & (t.deadline > ctx.now) & (t.starts > ctx.now)
    if h.birth_year is None:
        ok &= t.min_age == 0
    else:
        ok &= (t.start_year - h.birth_year) >= t.min_age
    ok &= ~t.residents_only | np.isin(t.municipality, sorted(h.resident_of))
    ok &= ~np.isin(t.ids, sorted(h.applied))
    for start, end in h.busy:
        ok &= ~((t.starts < end.timestamp()) & (t.ends > start.timestamp()))
    return ok


@dataclass(frozen=True)
class Ranked:
    """One ranked pair: the session (or helper) id, the total score, the terms and the reasons."""

    id: int
    score: float
    terms: dict[str, float]
    reasons: tuple[Reason, ...]

    @property
    def reason(self) -> str:
        """The one-line reason shown to a helper: 「週末・岐阜県内」."""
        return "・".join(r.helper for r in self.reasons)

    @property
    def staff_reason(self) -> str:
        return "・".join(r.staff for r in self.reasons)


def score_sessions(
    h: HelperFeatures, t: SessionTable, ctx: Context
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    parts = {name: score(h, t, ctx) for name, (score, _reason) in TERMS.items()}
    total = np.sum(list(parts.values()), axis=0) if parts and len(t) else np.zeros(len(t))
    return total, parts


# Terms about the session alone: the same for every helper, so no reason to prefer one helper.
SESSION_TERMS = ("need", "fairness")


def _explain(
    h: HelperFeatures, t: SessionTable, i: int, parts, ctx: Context, total, *, staff: bool = False
) -> Ranked:
    terms = {name: float(p[i]) for name, p in parts.items()}
    candidates = []
    for name, (_score, reason_fn) in TERMS.items():
        if staff and name in SESSION_TERMS:
            continue
        gain = terms[name] - _usual(name, ctx.weights)
        if gain > 0 and (reason := reason_fn(h, t, i, ctx)) is not None:
            candidates.append((gain, reason))
    candidates.sort(key=lambda c: (not c[1].first, -c[0]))
    reasons = tuple(r for _v, r in candidates[:2])
    return Ranked(int(t.ids[i]), float(total[i]), terms, reasons)


def _top(total: np.ndarray, ids: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best eligible rows, by score then id (a stable order, whatever else is in the
    table)."""
    rows = np.flatnonzero(mask)
    if rows.size > k * 4:
        # Keep a margin past k so that ties at the cut are settled by id below, not by the partition.
        cut = np.partition(total[rows], -k)[-k]
        rows = rows[total[rows] >= cut]
    order = np.lexsort((ids[rows], -total[rows]))
    return rows[order[:k]]


def _context(now: datetime | float, weights: Weights | None, **kw: Any) -> Context:
    when = now.timestamp() if isinstance(now, datetime) else float(now)
    return Context(now=when, weights=weights or Weights.from_settings(), **kw)


def rank_sessions(
    helper: HelperFeatures,
    table: SessionTable,
    *,
    model: TextModel,
    now: datetime,
    k: int = 10,
    weights: Weights | None = None,
) -> list[Ranked]:
    """The k sessions this helper should see first, best first, each with its reasons."""
    ctx = _context(now, weights, helper_text=model.vectors([helper.text]) if helper.text else None)
    total, parts = score_sessions(helper, table, ctx)
    rows = _top(total, table.ids, eligible(helper, table, ctx), k)
    return [_explain(helper, table, int(i), parts, ctx, total) for i in rows]


def rank_helpers(
    session: SessionFeatures,
    helpers: Sequence[HelperFeatures],
    *,
    model: TextModel,
    now: datetime,
    k: int | None = None,
    weights: Weights | None = None,
) -> list[Ranked]:
    """The helpers to invite to one session, best first, each with reasons for staff. Helpers for whom
    the session is not eligible are left out."""
    table = SessionTable.build([session], model)
    texts = model.vectors([h.text for h in helpers]) if helpers else None
    ranked = []
    for n, h in enumerate(helpers):
        ctx = _context(now, weights, helper_text=texts[n] if texts is not None else None)
        if not eligible(h, table, ctx)[0]:
            continue
        total, parts = score_sessions(h, table, ctx)
        r = _explain(h, table, 0, parts, ctx, total, staff=True)
        ranked.append(Ranked(h.id, r.score, r.terms, r.reasons))
    ranked.sort(key=lambda r: (-r.score, r.id))
    return ranked[:k] if k is not None else ranked


def rank_sessions_many(
    helpers: Sequence[HelperFeatures],
    table: SessionTable,
    *,
    model: TextModel,
    now: datetime,
    k: int = 5,
    weights: Weights | None = None,
    explain: bool = True,
    new_since: datetime | None = None,
) -> dict[int, list[Ranked]]:
    """rank_sessions for each helper, in order, counting as it goes how often each session was already
    shown in this run: the fairness term spreads the digest over programs instead of sending every
    helper the same five. The text similarities are computed in blocks of helpers (one sparse product
    each). `explain=False` returns the ids and scores only (the benches and the evaluation);
    `new_since` keeps only programs published since then (the digest's "new programs")."""
    shown = np.zeros(len(table))
    ctx = _context(now, weights, shown=shown)
    new = np.ones(len(table), dtype=bool)
    if new_since is not None:
        new = table.published >= new_since.timestamp()  # NaN (never published) compares False
    block = 512
    out: dict[int, list[Ranked]] = {}
    for start in range(0, len(helpers), block):
        chunk = helpers[start : start + block]
        texts = model.vectors([h.text for h in chunk])
        for n, h in enumerate(chunk):
            ctx.helper_text = texts[n]
            total, parts = score_sessions(h, table, ctx)
            rows = _top(total, table.ids, new & eligible(h, table, ctx), k)
            shown[rows] += 1
            if explain:
                out[h.id] = [_explain(h, table, int(i), parts, ctx, total) for i in rows]
            else:
                out[h.id] = [Ranked(int(table.ids[i]), float(total[i]), {}, ()) for i in rows]
    return out
