"""Each scoring term on plain data: what it rewards, what it penalises, and the reason it gives."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import translation

from matching import engine
from matching.engine import Context, Weights
from tests.matching.builders import MODEL, NOW, SATURDAY, helper, session, table


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


def ctx(h=None, **kw) -> Context:
    text = MODEL.vectors([h.text]) if h is not None and h.text else None
    return Context(now=NOW.timestamp(), weights=Weights(), helper_text=text, **kw)


def test_fit_rewards_an_interest_and_says_so():
    t = table(session(1, category="farming"), session(2, category="festival"))
    h = helper(interests=frozenset({"farming"}))
    score = engine.fit_score(h, t, ctx())
    assert score[0] == pytest.approx(Weights().fit_category) and score[1] == 0
    assert engine.fit_reason(h, t, 0, ctx()).helper == "興味のある「援農・農作業」"
    assert engine.fit_reason(h, t, 1, ctx()) is None


def test_fit_counts_the_share_of_required_skills():
    t = table(session(1, required_skills=("farming", "driving")), session(2))
    h = helper(skills=frozenset({"driving"}))
    score = engine.fit_score(h, t, ctx())
    assert score[0] == pytest.approx(Weights().fit_skills / 2) and score[1] == 0
    assert engine.fit_reason(h, t, 0, ctx()).helper == "「運転」を活かせる"


def test_fit_text_similarity_of_japanese_text():
    t = table(
        session(1, text="みょうが畑の草取りと収穫のお手伝い"),
        session(2, text="古川祭の屋台曳き"),
    )
    h = helper(text="去年は畑の草取りを手伝いました。収穫も楽しかった")
    score = engine.fit_score(h, t, ctx(h))
    assert score[0] > score[1] >= 0
    assert engine.fit_reason(h, t, 0, ctx(h)).helper == "これまでのお手伝いと似た内容"


def test_availability_weekday_and_season():
    weekday = SATURDAY - timedelta(days=3)  # a Wednesday in June
    t = table(session(1), session(2, starts_at=weekday))
    h = helper(weekdays=frozenset({5, 6}), seasons=frozenset({"summer"}))
    w = Weights()
    score = engine.availability_score(h, t, ctx())
    assert score[0] == pytest.approx(w.availability_weekday + w.availability_season)
    assert score[1] == pytest.approx(-w.availability_weekday + w.availability_season)
    assert engine.availability_reason(h, t, 0, ctx()).helper == "週末"
    assert engine.availability_reason(h, t, 1, ctx()) is None
    # Nothing stated: neither rewarded nor penalised.
    assert not engine.availability_score(helper(), t, ctx()).any()


def test_availability_time_of_day_in_tokyo_and_its_reason():
    afternoon = SATURDAY + timedelta(hours=3)  # 03:00 UTC is 12:00 in Asia/Tokyo: afternoon
    t = table(session(1), session(2, starts_at=afternoon))  # session 1: 09:00 in Tokyo
    h = helper(times_of_day=frozenset({"morning"}))
    w = Weights()
    score = engine.availability_score(h, t, ctx())
    assert score[0] == pytest.approx(w.availability_time)
    assert score[1] == pytest.approx(-w.availability_time)
    assert engine.availability_reason(h, t, 0, ctx()).helper == "午前"
    assert engine.availability_reason(h, t, 1, ctx()) is None
    both = helper(times_of_day=frozenset({"morning", "evening"}), weekdays=frozenset({5, 6}))
    reason = engine.availability_reason(both, t, 0, ctx())
    assert (reason.helper, reason.staff) == ("午前・週末", "午前・週末に参加しやすい")
    assert engine.availability_reason(both, t, 1, ctx()).helper == "週末"


def test_time_of_day_boundaries():
    hours = [0, 11, 12, 16, 17, 23]
    assert [engine.time_of_day(h) for h in hours] == [
        "morning", "morning", "afternoon", "afternoon", "evening", "evening"
    ]  # fmt: skip


def test_travel_costs_time_and_online_costs_nothing():
    t = table(
        session(1),  # 飛騨市
        session(2, latitude=26.2124, longitude=127.6809, prefecture="沖縄県"),
        session(3, is_online=True, latitude=None, longitude=None),
    )
    h = helper(prefecture="岐阜県")
    score = engine.travel_score(h, t, ctx())
    assert score[2] == 0 and score[1] < score[0] < 0
    assert engine.travel_reason(h, t, 0, ctx()).helper == "岐阜県内"
    assert engine.travel_reason(h, t, 2, ctx()).helper == "オンラインで参加できる"
    assert engine.travel_reason(h, t, 1, ctx()) is None
    # Unknown home: every venue an ordinary trip (no guess either way); online still costs nothing.
    unknown = engine.travel_score(helper(prefecture=""), t, ctx())
    assert (
        unknown[0]
        == unknown[1]
        == pytest.approx(-engine.TYPICAL_TRIP_HOURS * Weights().travel_per_hour)
    )
    assert unknown[2] == 0


def test_relationship_returning_and_newcomers():
    t = table(session(1, nushi_name="中田さん"), session(2, municipality_id=2), session(3))
    h = helper(helped_nushi=frozenset({101}), helped_municipalities=frozenset({1}))
    w = Weights()
    score = engine.relationship_score(h, t, ctx())
    assert list(score) == [w.relationship_nushi, 0, w.relationship_municipality]
    assert (
        engine.relationship_reason(h, t, 0, ctx()).helper == "前回お手伝いした中田さんのプログラム"
    )
    assert engine.relationship_reason(h, t, 0, ctx()).staff == "中田さんのお手伝い経験あり"
    assert engine.relationship_reason(h, t, 2, ctx()).helper == "前にもお手伝いした飛騨市"
    newcomer = helper(attended=0)
    assert (engine.relationship_score(newcomer, t, ctx()) == w.newcomer).all()
    assert engine.relationship_reason(newcomer, t, 0, ctx()).staff == "はじめての参加"


def test_need_rewards_open_places_near_deadlines_and_sessions_at_risk():
    soon = NOW + timedelta(days=5)
    t = table(
        session(1, starts_at=soon, apply_deadline=soon - timedelta(days=1), demand=1),
        session(2, starts_at=NOW + timedelta(days=60), places_taken=9, demand=9),
    )
    score = engine.need_score(helper(), t, ctx())
    assert score[0] > score[1] > 0
    assert engine.need_reason(helper(), t, 0, ctx()).helper == "人手が足りていません（あと9名）"
    assert engine.need_reason(helper(), t, 1, ctx()) is None


def test_fairness_penalises_exposure():
    t = table(session(1, demand=0), session(2, demand=5), session(3, demand=30))
    score = engine.fairness_score(helper(), t, ctx())
    assert score[0] == 0 and score[2] == -Weights().fairness < score[1] < 0
    shown = engine.fairness_score(helper(), t, ctx(shown=np.array([5.0, 0, 0])))
    assert shown[0] == score[1]


def test_weights_come_from_settings(settings):
    settings.MATCHING_WEIGHTS = {"travel_per_hour": 2.0, "unknown": 1}
    assert Weights.from_settings().travel_per_hour == 2.0
    assert Weights.from_settings().fit_category == Weights().fit_category


def test_a_text_model_without_programs_still_answers():
    model = engine.TextModel([])
    assert model.vectors(["畑の草取り"]).shape[0] == 1
    assert len(engine.SessionTable.build([], model)) == 0
