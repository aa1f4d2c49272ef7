"""Plain-data builders for the engine's tests: no database."""

from datetime import UTC, datetime, timedelta

from matching.engine import HelperFeatures, SessionFeatures, SessionTable, TextModel

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
# A Saturday in June, 09:00 in Asia/Tokyo.
SATURDAY = datetime(2026, 6, 20, 0, 0, tzinfo=UTC)
CORPUS = [
    "みょうが畑づくり 援農 草取り 収穫",
    "楮の皮はぎ 和紙 伝統工芸",
    "古川祭 屋台曳き 祭り",
    "雪かき 冬の暮らし 高齢者",
    "オンラインで広報のお手伝い SNS 発信",
]
MODEL = TextModel(CORPUS)


def session(id: int, **kw) -> SessionFeatures:
    starts = kw.pop("starts_at", SATURDAY)
    values = {
        "program_id": id,
        "title": f"プログラム{id}",
        "nushi_id": 100 + id,
        "nushi_name": f"ヌシ{id}",
        "municipality_id": 1,
        "municipality_name": "飛騨市",
        "prefecture": "岐阜県",
        "category": "community",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "apply_deadline": starts - timedelta(days=2),
        "capacity": 10,
        "latitude": 36.238,
        "longitude": 137.186,
        **kw,
    }
    return SessionFeatures(id=id, **values)


def helper(id: int = 1, **kw) -> HelperFeatures:
    values = {"prefecture": "愛知県", "birth_year": 1990, "attended": 1, **kw}
    return HelperFeatures(id=id, **values)


def table(*sessions: SessionFeatures) -> SessionTable:
    return SessionTable.build(sessions, MODEL)
