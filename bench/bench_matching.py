"""recommend_one: the top 10 sessions for one helper over 10,000 open sessions; digest_all: the top 5 for
each of the 100,000 helpers of the large demo.

The large demo has only some hundreds of sessions still open (its 30,000 span three years), so the bench
takes 10,000 of its sessions, real programs and texts, and moves their dates ahead in memory (the
dataclasses only: nothing is written). The table of open sessions is per process in production too
(portal.selectors.matching.open_sessions), so it is built once, outside the timing.

Value: what the site does (recommend_one: the helper's features from the database, then
matching.engine.rank_sessions with its eligibility and reasons; digest_all: features in batches, then
rank_sessions_many with reasons). Floor: the same scoring terms as one NumPy pass over arrays preloaded
for the helper, then the top k (no database, no reasons)."""

import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
from django.utils import timezone

from accounts.models import HelperProfile
from bench.harness import emit, median_ms
from matching import travel
from matching.engine import (
    CATEGORIES,
    SessionTable,
    TextModel,
    Weights,
    _bits,
    rank_sessions,
    rank_sessions_many,
)
from portal.models import Session
from portal.selectors.matching import _sessions_with_program, helper_features, session_features

SESSIONS = 10_000
BATCH = 5_000


def _table() -> tuple[SessionTable, TextModel]:
    now = timezone.now()
    rows = list(_sessions_with_program(Session.objects.order_by("-starts_at"))[:SESSIONS])
    features = []
    for n, f in enumerate(session_features(rows)):
        start = now + timedelta(days=3 + n % 120, hours=n % 9)
        features.append(
            replace(
                f,
                starts_at=start,
                ends_at=start + (f.ends_at - f.starts_at),
                apply_deadline=start - timedelta(days=1),
                places_taken=min(f.places_taken, f.capacity - 1),
                is_open=True,
            )
        )
    model = TextModel(sorted({f.text for f in features}))
    return SessionTable.build(features, model), model


def _floor_pass(h, t: SessionTable, w: Weights, now: float, k: int) -> np.ndarray:
    """The terms' arithmetic in one pass: interests, weekday, travel, relationship, need, fairness."""
    interests = _bits(sorted(h.interests), CATEGORIES)
    score = w.fit_category * ((t.category & interests) != 0)
    score = score + np.where(np.isin(t.weekday, list(h.weekdays)), 1.0, -1.0)
    home = travel.home_point(h.prefecture)
    score = score - w.travel_per_hour * np.minimum(
        travel.travel_minutes(home, t.lat, t.lon) / 60, 5
    )
    score = score + w.relationship_nushi * np.isin(t.nushi, list(h.helped_nushi))
    score = score + w.need_places * (t.capacity - t.taken) / t.capacity
    score = score - w.fairness * np.minimum(t.demand / t.capacity, 1)
    score[~(t.is_open & (t.deadline > now))] = -np.inf
    top = np.argpartition(score, -k)[-k:]
    return top[np.argsort(-score[top])]


def run() -> list[dict]:
    table, model = _table()
    now = timezone.now()
    w = Weights.from_settings()
    ids = list(HelperProfile.objects.order_by("user_id").values_list("user_id", flat=True))
    one = ids[len(ids) // 2]

    def recommend_one():
        return rank_sessions(helper_features([one], now)[0], table, model=model, now=now, k=10)

    preloaded = helper_features([one], now)[0]
    value = median_ms(recommend_one, runs=30)
    floor = median_ms(lambda: _floor_pass(preloaded, table, w, now.timestamp(), 10), runs=30)
    lines = [emit("recommend_one", value, "ms", floor, sessions=len(table))]

    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        helpers = helper_features(ids[start : start + BATCH], now)
        rank_sessions_many(helpers, table, model=model, now=now, k=5)
    value = time.perf_counter() - started
    everyone = []
    for start in range(0, len(ids), BATCH):
        everyone += helper_features(ids[start : start + BATCH], now)
    started = time.perf_counter()
    for h in everyone:
        _floor_pass(h, table, w, now.timestamp(), 5)
    floor = time.perf_counter() - started
    lines.append(emit("digest_all", value, "s", floor, helpers=len(ids), sessions=len(table)))
    return lines
