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
never reorders the others (tests/matching/test_ranking.py), and ties break by session id.

One path for every ranking (_rank_block): a block of helpers (HelperBlock) is scored against the whole
table at once, each term a float32 (helpers x sessions) array; what depends only on a few session
columns (category and skills, weekday/season/time of day, age) is computed per distinct key and
gathered; the text similarity is one product per block (common n-grams dense, the rest sparse); the
eligibility a boolean mask. Then helper by helper, in order: the fairness term from this run's exposure
counts, the top k by np.partition, and reasons for those k only. rank_sessions is a block of one, so
it and rank_sessions_many agree for the same input (tests/matching/test_ranking.py).

Eligibility is not a term: a session that is closed, full, past its deadline, or that the helper may not
join (age, residents only, already applied, overlapping a session they hold a place in) is never ranked.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import ThreadpoolController

from accounts.categories import Category
from accounts.models import Skill, TimeOfDay, Weekday
from matching import travel

SEASON_OF_MONTH = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
                   6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}  # fmt: skip
CATEGORIES = list(Category.values)
SKILLS = list(Skill.values)
SEASONS = ["spring", "summer", "autumn", "winter"]
TIMES = ["morning", "afternoon", "evening"]  # accounts.models.TimeOfDay
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
    availability_time: float = 0.5  # the same for the time of day a session starts (Asia/Tokyo)
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
    times_of_day: frozenset[str] = frozenset()  # "morning", "afternoon", "evening"
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


# The dense product runs on one BLAS thread: on a busy 2-core machine OpenBLAS's own threads spin
# against the web and worker processes (measured: recommend_one's ranking took 3x the CPU with two).
_blas = ThreadpoolController()

# An n-gram in more than this share of the programs is multiplied densely (similarity_block).
COMMON_GRAM_SHARE = 0.1

# Within one ranking call (one language): gettext's answers, kept, since the digest asks the same few
# hundred phrases half a million times. A ContextVar: each thread or task has its own.
_phrases: ContextVar[dict[Any, str] | None] = ContextVar("matching_phrases", default=None)


def _(message: str) -> str:
    known = _phrases.get()
    if known is None:
        return gettext(message)
    if (said := known.get(message)) is None:
        said = known[message] = gettext(message)
    return said


def _label(choice: Any) -> str:
    """The translated label of a choice (Category, Skill, Weekday, TimeOfDay), kept like _()."""
    known = _phrases.get()
    if known is None:
        return str(choice.label)
    key = (type(choice), choice)  # Category("farming") and Skill("farming") are equal strings
    if (said := known.get(key)) is None:
        said = known[key] = str(choice.label)
    return said


@contextmanager
def _same_language() -> Iterator[None]:
    token = _phrases.set({})
    try:
        yield
    finally:
        _phrases.reset(token)


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


def time_of_day(hour: int) -> str:
    """The part of the day a session starts in (Asia/Tokyo): before noon, before five, later."""
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def _keys(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of some integer columns, the first session of each, and for each session the
    index of its row: a term that depends only on these columns is computed once per distinct row and
    gathered."""
    if not len(columns[0]):
        empty = np.zeros(0, dtype=np.intp)
        return np.zeros((0, len(columns)), dtype=np.int64), empty, empty
    stacked = np.stack(columns, axis=1)
    unique, first, index = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return unique, first, index.ravel().astype(np.intp)


def _rows_by(values: np.ndarray) -> dict[int, np.ndarray]:
    if not values.size:
        return {}
    order = np.argsort(values, kind="stable")
    uniq, starts = np.unique(values[order], return_index=True)
    return {int(v): part for v, part in zip(uniq, np.split(order, starts[1:]), strict=True)}


@dataclass
class SessionTable:
    """Sessions as column arrays, so that helpers are scored against all of them in one NumPy pass."""

    sessions: list[SessionFeatures]
    text: sparse.csr_matrix
    ids: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        s = self.sessions
        local = [timezone.localtime(x.starts_at) for x in s]
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
        self.time_of_day = np.array(
            [1 << TIMES.index(time_of_day(t.hour)) for t in local], dtype=np.int64
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
        # Distinct (category, required skills, text): about one per program, its sessions share it;
        # (weekday, season, time of day) and (year, minimum age): a few hundred at most.
        texts: dict[str, int] = {}
        text_id = np.array([texts.setdefault(x.text, len(texts)) for x in s], dtype=np.int64)
        self.fit_keys, first, self.fit_key = _keys(self.category, self.required, text_id)
        # The n-grams by row, one column per fit key. Common n-grams (in over a tenth of the
        # columns) as a dense matrix, for one BLAS product per block of helpers; the rest sparse.
        self.text_by_gram = self.text[first].T.tocsr()
        df = np.diff(self.text_by_gram.indptr)
        common = df > COMMON_GRAM_SHARE * len(first)
        self.common_grams, self.rare_grams = np.flatnonzero(common), np.flatnonzero(~common)
        self.text_common = self.text_by_gram[self.common_grams].toarray()
        self.text_rare = self.text_by_gram[self.rare_grams].tocsr()
        self.when_keys, _first, self.when_key = _keys(
            self.weekday_bit, self.season, self.time_of_day
        )
        self.age_keys, _first, self.age_key = _keys(self.start_year, self.min_age)
        self.row_of = {int(x): n for n, x in enumerate(self.ids)}
        self.rows_of_nushi = _rows_by(self.nushi)
        self.rows_of_municipality = _rows_by(self.municipality)
        self.residents_only_rows = np.flatnonzero(self.residents_only)

    @classmethod
    def build(cls, sessions: Sequence[SessionFeatures], model: TextModel) -> "SessionTable":
        return cls(list(sessions), model.vectors([x.text for x in sessions]))

    def rows(self, mapping: dict[int, np.ndarray], keys: frozenset[int]) -> np.ndarray:
        parts = [mapping[k] for k in keys if k in mapping]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)

    def __len__(self) -> int:
        return len(self.sessions)


@dataclass
class HelperBlock:
    """Helpers as column arrays, one row each: a block is scored against a whole SessionTable at once,
    each term a (helpers x sessions) float32 array. `text` holds their TF-IDF vectors (None: no text)."""

    helpers: list[HelperFeatures]
    text: sparse.csr_matrix | None = None

    def __post_init__(self) -> None:
        h = self.helpers
        self.interests = np.array([_bits(sorted(x.interests), CATEGORIES) for x in h], np.int64)
        self.skills = np.array([_bits(sorted(x.skills), SKILLS) for x in h], dtype=np.int64)
        self.weekdays = np.array([sum(1 << d for d in x.weekdays) for x in h], dtype=np.int64)
        self.seasons = np.array([_bits(sorted(x.seasons), SEASONS) for x in h], dtype=np.int64)
        self.times = np.array([_bits(sorted(x.times_of_day), TIMES) for x in h], dtype=np.int64)
        self.newcomer = np.array([x.attended == 0 for x in h], dtype=bool)
        self.birth_year = np.array([x.birth_year or -1 for x in h], dtype=np.int64)

    @classmethod
    def build(cls, helpers: Sequence[HelperFeatures], model: TextModel) -> "HelperBlock":
        texts: dict[str, int] = {}
        rows = [texts.setdefault(h.text, len(texts)) for h in helpers]
        if not any(texts):
            return cls(list(helpers), None)
        return cls(list(helpers), model.vectors(list(texts))[rows])  # each distinct text once

    def __len__(self) -> int:
        return len(self.helpers)


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
    similarity: np.ndarray | None = None  # text_similarity's answer for one helper, for the reasons
    similarities: np.ndarray | None = (
        None  # the last block's (helpers x fit keys), kept by fit_block
    )


# --- The terms. Each: a block score (helpers x sessions, weighted) and a reason for one pair. ---
# The block functions are the rules; fit_score(h, t, ctx) and the like are the same for one helper.


def fit_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    """Interests vs category, skills vs required skills, text similarity: float32, per fit key (the
    category and skills through small per-helper tables), then gathered to the sessions."""
    w = ctx.weights
    category, required = t.fit_keys[:, 0], t.fit_keys[:, 1]
    ctx.similarities = similarity_block(b, t)
    per_key = ctx.similarities * np.float32(w.fit_text)
    liked = (
        np.array([1 << n for n in range(len(CATEGORIES))])[None, :] & b.interests[:, None]
    ) != 0
    # helpers x categories, and a last column of zeros for a category the engine does not know
    per_category = np.zeros((len(b), len(CATEGORIES) + 1), dtype=np.float32)
    per_category[:, :-1] = w.fit_category * liked
    index = np.where(category > 0, np.log2(np.maximum(category, 1)), len(CATEGORIES))
    per_key += per_category[:, index.astype(np.intp)]
    if required.any():
        needed, asked = np.unique(required, return_inverse=True)
        count = _popcount(needed)
        have = _popcount(needed[None, :] & b.skills[:, None])
        share = np.divide(have, count, out=np.zeros(have.shape), where=count > 0)
        per_key += (w.fit_skills * share).astype(np.float32)[:, asked.ravel()]
    return per_key[:, t.fit_key]


def similarity_block(b: HelperBlock, t: SessionTable) -> np.ndarray:
    """Cosine similarity (the vectors are L2-normalised) of each helper's text and each fit key's (a
    program's): one sparse product for the block (only the n-grams the helpers' texts have are
    touched). Helpers x fit keys: t.fit_key gives each session's column."""
    if b.text is None or b.text.nnz == 0 or len(t) == 0:
        return np.zeros((len(b), len(t.fit_keys)), dtype=np.float32)
    with _blas.limit(limits=1, user_api="blas"):
        sims = np.asarray(b.text[:, t.common_grams].toarray() @ t.text_common, dtype=np.float32)
    rare = (b.text[:, t.rare_grams] @ t.text_rare).tocoo()
    sims[rare.row, rare.col] += rare.data  # a product has one entry per (row, column)
    return sims


def _one(h: HelperFeatures, ctx: Context) -> HelperBlock:
    return HelperBlock([h], ctx.helper_text)


def fit_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return fit_block(_one(h, ctx), t, ctx)[0]


def text_similarity(t: SessionTable, ctx: Context) -> np.ndarray:
    """One helper's similarity to each session (ctx.similarity keeps it by fit key)."""
    ctx.similarity = similarity_block(HelperBlock([HelperFeatures(0)], ctx.helper_text), t)[0]
    return ctx.similarity[t.fit_key]


def fit_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    s = t.sessions[i]
    if s.category in h.interests:
        label = _label(Category(s.category))
        return Reason(_("興味のある「%(c)s」") % {"c": label}, _("関心：%(c)s") % {"c": label})
    common = [_label(Skill(x)) for x in s.required_skills if x in h.skills]
    if common:
        text = "・".join(common)
        return Reason(_("「%(s)s」を活かせる") % {"s": text}, _("得意：%(s)s") % {"s": text})
    if ctx.similarity is None:
        text_similarity(t, ctx)  # keeps ctx.similarity, by fit key
    sims = ctx.similarity
    if sims is not None and sims[t.fit_key[i]] >= 0.2:
        return Reason(_("これまでのお手伝いと似た内容"), _("過去の参加・自己紹介と近い内容"))
    return None


def _stated(match: np.ndarray, stated: np.ndarray, weight: float) -> np.ndarray:
    """+weight where the helper's statement matches, -weight where it does not, 0 if none stated."""
    return np.where(stated[:, None] == 0, 0.0, np.where(match != 0, weight, -weight))


def availability_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    """Weekday, season and time of day (Asia/Tokyo) against what the helper stated."""
    w = ctx.weights
    day, season, when = t.when_keys[:, 0], t.when_keys[:, 1], t.when_keys[:, 2]
    per_key = (
        _stated(day[None, :] & b.weekdays[:, None], b.weekdays, w.availability_weekday)
        + _stated(season[None, :] & b.seasons[:, None], b.seasons, w.availability_season)
        + _stated(when[None, :] & b.times[:, None], b.times, w.availability_time)
    )
    return per_key.astype(np.float32)[:, t.when_key]


def availability_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return availability_block(_one(h, ctx), t, ctx)[0]


def availability_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    """「午前・週末」: the time of day and the day the helper said suit them, when they do."""
    words = []
    if h.times_of_day and (when := TIMES[int(t.time_of_day[i]).bit_length() - 1]) in h.times_of_day:
        words.append(_label(TimeOfDay(when)))
    day = int(t.weekday[i])
    if day in h.weekdays:
        words.append(_("週末") if day >= 5 else _("%(d)s曜日") % {"d": _label(Weekday(day))})
    if not words:
        return None
    text = "・".join(words)
    return Reason(text, _("%(t)sに参加しやすい") % {"t": text})


def travel_hours(h: HelperFeatures, t: SessionTable) -> np.ndarray:
    """Hours from the helper's home to each venue. Homes are prefectures, so the table keeps one
    array per prefecture: the digest's 100,000 helpers cost 47 passes, not 100,000."""
    hours = t.travel_from.get(h.prefecture)
    if hours is None:
        minutes = travel.travel_minutes(travel.home_point(h.prefecture), t.lat, t.lon)
        hours = t.travel_from[h.prefecture] = np.where(t.online, 0.0, minutes / 60.0)
    return hours


def _travel_row(prefecture: str, t: SessionTable, w: Weights) -> np.ndarray:
    # Unknown (no home prefecture): an ordinary trip, neither a reward nor a penalty against the rest.
    hours = np.nan_to_num(
        travel_hours(HelperFeatures(0, prefecture=prefecture), t), nan=TYPICAL_TRIP_HOURS
    )
    return (-w.travel_per_hour * np.minimum(hours, 5.0)).astype(np.float32)


def travel_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    homes = sorted({h.prefecture for h in b.helpers})
    rows = np.stack([_travel_row(p, t, ctx.weights) for p in homes]) if homes else None
    if rows is None:
        return np.zeros((0, len(t)), dtype=np.float32)
    return rows[[homes.index(h.prefecture) for h in b.helpers]]


def travel_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return travel_block(_one(h, ctx), t, ctx)[0]


def travel_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    s = t.sessions[i]
    if s.is_online:
        return Reason(_("オンラインで参加できる"), _("オンライン"))
    if h.prefecture and s.prefecture == h.prefecture:
        return Reason(_("%(p)s内") % {"p": s.prefecture}, _("%(p)s内から") % {"p": s.prefecture})
    hours = float(travel_hours(h, t)[i])
    if hours <= 1.5:
        minutes = int(round(hours * 60, -1))
        return Reason(_("移動は約%(m)d分") % {"m": minutes}, _("移動は約%(m)d分") % {"m": minutes})
    return None


def relationship_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    w = ctx.weights
    base = np.where(b.newcomer, w.newcomer, 0.0).astype(np.float32)
    score = np.empty((len(b), len(t)), dtype=np.float32)
    score[:] = base[:, None]
    for n, h in enumerate(b.helpers):
        if h.helped_municipalities:
            rows = t.rows(t.rows_of_municipality, h.helped_municipalities)
            score[n, rows] = np.float32(w.relationship_municipality) + base[n]
        if h.helped_nushi:
            rows = t.rows(t.rows_of_nushi, h.helped_nushi)
            score[n, rows] = np.float32(w.relationship_nushi) + base[n]
    return score


def relationship_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return relationship_block(_one(h, ctx), t, ctx)[0]


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


def _days_left(t: SessionTable, ctx: Context, rows: Any = slice(None)) -> np.ndarray:
    return (t.deadline[rows] - ctx.now) / DAY


def _fill(t: SessionTable, rows: Any = slice(None)) -> np.ndarray:
    return np.minimum(t.demand[rows], t.capacity[rows]) / t.capacity[rows]


def need_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    """About the session alone: one row, the same for every helper (it broadcasts)."""
    w = ctx.weights
    days = _days_left(t, ctx)
    open_share = (t.capacity - t.taken) / t.capacity
    soon = np.clip(1 - days / 14, 0, 1)
    at_risk = (days < 21) & (_fill(t) < 0.5)
    score = w.need_places * open_share + w.need_deadline * soon + w.need_at_risk * at_risk
    return score.astype(np.float32)[None, :]


def need_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return need_block(_one(h, ctx), t, ctx)[0]


def need_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    days = int(_days_left(t, ctx, i))
    if days < 21 and _fill(t, i) < 0.5:
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


def exposure(t: SessionTable, w: Weights, shown: np.ndarray | None, rows: Any = slice(None)):
    """The fairness term of the sessions `rows`: a session already asked for by many (applications,
    and in a batch run the helpers it was already shown to) gives way to one nobody has seen, so that
    small hamlets are not drowned out by popular programs (VolunteerMatch's SmartSort: 8-9% more
    listings reached at least one volunteer without fewer connections in total)."""
    demand = t.demand[rows] if shown is None else t.demand[rows] + shown[rows]
    return (-w.fairness * np.minimum(demand / t.capacity[rows], 1.0)).astype(np.float32)


def fairness_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    return exposure(t, ctx.weights, ctx.shown)[None, :]


def fairness_score(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return fairness_block(_one(h, ctx), t, ctx)[0]


def no_reason(h: HelperFeatures, t: SessionTable, i: int, ctx: Context) -> Reason | None:
    return None


BlockFn = Callable[[HelperBlock, SessionTable, Context], np.ndarray]
ReasonFn = Callable[[HelperFeatures, SessionTable, int, Context], Reason | None]
TERMS: dict[str, tuple[BlockFn, ReasonFn]] = {
    "fit": (fit_block, fit_reason),
    "availability": (availability_block, availability_reason),
    "travel": (travel_block, travel_reason),
    "relationship": (relationship_block, relationship_reason),
    "need": (need_block, need_reason),
    "fairness": (fairness_block, no_reason),
}
# Added last, from the exposure counts of the run so far (rank_sessions_many updates it as it goes).
FAIRNESS = "fairness"


# A term counts as a reason when it adds more than its usual level: 0 for most; for travel (always a
# cost) a trip of TYPICAL_TRIP_HOURS.
def _usual(name: str, w: Weights) -> float:
    return -TYPICAL_TRIP_HOURS * w.travel_per_hour if name == "travel" else 0.0


def eligible_block(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    """Sessions each helper may be shown (helpers x sessions): open, places left, before the deadline,
    and nothing in the helper's situation that would refuse the application (the rules of
    portal.selectors.applications.eligibility_problems, on plain data)."""
    ok = t.is_open & (t.taken < t.capacity) & (t.deadline > ctx.now) & (t.starts > ctx.now)
    year, min_age = t.age_keys[:, 0], t.age_keys[:, 1]
    by = b.birth_year[:, None]
    age_ok = np.where(by < 0, min_age[None, :] == 0, (year[None, :] - by) >= min_age[None, :])
    mask = age_ok[:, t.age_key] & ok[None, :]
    only = t.residents_only_rows
    for n, h in enumerate(b.helpers):
        if only.size:
            mask[n, only] &= np.isin(t.municipality[only], sorted(h.resident_of))
        if h.applied:
            mask[n, [t.row_of[x] for x in h.applied if x in t.row_of]] = False
        for start, end in h.busy:
            mask[n] &= ~((t.starts < end.timestamp()) & (t.ends > start.timestamp()))
    return mask


def eligible(h: HelperFeatures, t: SessionTable, ctx: Context) -> np.ndarray:
    return eligible_block(_one(h, ctx), t, ctx)[0]


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


# Terms about the session alone: the same for every helper, so no reason to prefer one helper.
SESSION_TERMS = ("need", "fairness")


def _explain(
    h: HelperFeatures,
    t: SessionTable,
    i: int,
    terms: dict[str, float],
    ctx: Context,
    total: float,
    *,
    staff: bool = False,
    id: int | None = None,
) -> Ranked:
    candidates = []
    for name, (_score, reason_fn) in TERMS.items():
        if staff and name in SESSION_TERMS:
            continue
        gain = terms[name] - _usual(name, ctx.weights)
        if gain > 0 and (reason := reason_fn(h, t, i, ctx)) is not None:
            candidates.append((gain, reason))
    candidates.sort(key=lambda c: (not c[1].first, -c[0]))
    reasons = tuple(r for _v, r in candidates[:2])
    return Ranked(int(t.ids[i]) if id is None else id, float(total), terms, reasons)


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


# Helpers per block: (helpers x sessions) float32 arrays stay near 40 MB each at 10,000 sessions.
BLOCK_CELLS = 10_000_000


def _rank_block(
    b: HelperBlock,
    t: SessionTable,
    ctx: Context,
    *,
    k: int,
    shown: np.ndarray | None,
    among: np.ndarray | None = None,
    explain: bool = True,
) -> dict[int, list[Ranked]]:
    """The one path every ranking of sessions takes: the block's terms (except fairness) summed as
    (helpers x sessions) arrays and the eligibility mask; then helper by helper, in order, the fairness
    term from the exposure counts so far, the top k (np.partition) and reasons for those k only.
    `shown` (updated in place) counts how often each session was picked in this run; `among` limits
    the sessions considered."""
    with _same_language():
        return _rank_block_in(b, t, ctx, k=k, shown=shown, among=among, explain=explain)


def _rank_block_in(
    b: HelperBlock,
    t: SessionTable,
    ctx: Context,
    *,
    k: int,
    shown: np.ndarray | None,
    among: np.ndarray | None,
    explain: bool,
) -> dict[int, list[Ranked]]:
    parts = {name: fn(b, t, ctx) for name, (fn, _r) in TERMS.items() if name != FAIRNESS}
    base = np.zeros((len(b), len(t)), dtype=np.float32)
    for part in parts.values():
        base += part  # in TERMS' order: rank_helpers adds the same numbers in the same order
    mask = eligible_block(b, t, ctx)
    if among is not None:
        mask &= among
    fair = exposure(t, ctx.weights, shown)
    sims = _similarities(b, t, ctx)
    out: dict[int, list[Ranked]] = {}
    for n, h in enumerate(b.helpers):
        total = base[n] + fair
        rows = _top(total, t.ids, mask[n], k)
        if explain:
            ctx.similarity = sims[n]
            out[h.id] = [
                _explain(h, t, int(i), _terms(parts, fair, n, int(i)), ctx, total[i]) for i in rows
            ]
        else:
            out[h.id] = [Ranked(int(t.ids[i]), float(total[i]), {}, ()) for i in rows]
        if shown is not None and rows.size:
            shown[rows] += 1
            fair[rows] = exposure(t, ctx.weights, shown, rows)
    return out


def _similarities(b: HelperBlock, t: SessionTable, ctx: Context) -> np.ndarray:
    """The block's similarities fit_block kept (helpers x fit keys), for the reasons."""
    if ctx.similarities is None:
        return np.zeros((len(b), len(t.fit_keys)), dtype=np.float32)
    return ctx.similarities


def _terms(parts: dict[str, np.ndarray], fair: np.ndarray, n: int, i: int) -> dict[str, float]:
    terms = {name: float(p[n if p.shape[0] > 1 else 0, i]) for name, p in parts.items()}
    terms[FAIRNESS] = float(fair[i])
    return terms


def rank_sessions(
    helper: HelperFeatures,
    table: SessionTable,
    *,
    model: TextModel,
    now: datetime,
    k: int = 10,
    weights: Weights | None = None,
    shown: np.ndarray | None = None,
) -> list[Ranked]:
    """The k sessions this helper should see first, best first, each with its reasons. `shown`: the
    exposure counts of a batch run so far (read, not changed), as rank_sessions_many has them."""
    ctx = _context(now, weights)
    block = HelperBlock.build([helper], model)
    seen = None if shown is None else shown.copy()
    return _rank_block(block, table, ctx, k=k, shown=seen)[helper.id]


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
    ctx = _context(now, weights)
    ranked = []
    for start in range(0, len(helpers), BLOCK_CELLS // 8):
        block = HelperBlock.build(helpers[start : start + BLOCK_CELLS // 8], model)
        parts = {name: fn(block, table, ctx) for name, (fn, _r) in TERMS.items()}
        mask = eligible_block(block, table, ctx)[:, 0]
        sims = _similarities(block, table, ctx)
        for n, h in enumerate(block.helpers):
            if not mask[n]:
                continue
            terms = {name: float(p[n if p.shape[0] > 1 else 0, 0]) for name, p in parts.items()}
            total = np.float32(0)
            for name in TERMS:  # the order of _rank_block's sum, fairness last
                total += np.float32(terms[name])
            ctx.similarity = sims[n]
            ranked.append(_explain(h, table, 0, terms, ctx, float(total), staff=True, id=h.id))
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
    helper the same five. Helpers are scored in blocks (BLOCK_CELLS), the same path as rank_sessions:
    for the same input, helper n gets what rank_sessions gives with the counts after helpers 0..n-1.
    `explain=False` returns the ids and scores only (the evaluation); `new_since` keeps only programs
    published since then (the digest's "new programs")."""
    shown = np.zeros(len(table))
    ctx = _context(now, weights)
    among = None
    if new_since is not None:
        among = table.published >= new_since.timestamp()  # NaN (never published) compares False
    size = max(1, min(1024, BLOCK_CELLS // max(len(table), 1)))
    out: dict[int, list[Ranked]] = {}
    for start in range(0, len(helpers), size):
        block = HelperBlock.build(helpers[start : start + size], model)
        out |= _rank_block(block, table, ctx, k=k, shown=shown, among=among, explain=explain)
    return out
