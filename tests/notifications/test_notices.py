"""Every kind of message, in both languages and on both channels, compared with reviewed snapshots
(tests/notifications/snapshots/<kind>.<case>.<language>.txt). A changed text fails here until its
snapshot is rewritten: UPDATE_SNAPSHOTS=1 writes them, and the diff is read before it is committed."""

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import get_template

from notifications.kinds import Kind
from notifications.rendering import _text_engine, render_message, template_names
from notifications.services import notify

SNAPSHOTS = Path(__file__).parent / "snapshots"
URL = "https://otagaisama.example.jp/applications/7/"
SESSION = {
    "program_title": "古川の畑で草取り & 収穫",
    "starts_at": datetime(2026, 12, 12, 0, 30, tzinfo=UTC),  # 09:30 in Asia/Tokyo
    "ends_at": datetime(2026, 12, 12, 3, 0, tzinfo=UTC),
    "url": URL,
}
REMINDER = {
    "program_title": "古川の畑で草取り & 収穫",
    "starts_at": datetime(2026, 12, 12, 0, 30, tzinfo=UTC),
    "ends_at": datetime(2026, 12, 12, 3, 0, tzinfo=UTC),
    "is_online": False,
    "online_url": "",
    "online_instructions": "",
    "meeting_place": "古川駅 東口",
    "meeting_address": "岐阜県飛騨市古川町金森町1-1",
    "what_to_bring": "軍手、長靴、飲み物",
    "rain_starts_at": datetime(2026, 12, 13, 0, 30, tzinfo=UTC),
    "application_url": URL,
}
REMINDER_ONLINE = {
    **REMINDER,
    "is_online": True,
    "online_url": "https://meet.example.jp/hida-washi",
    "online_instructions": "ミーティングID 123 456 7890、パスコード washi。紙と筆を用意してください。",
    "meeting_place": "",
    "meeting_address": "",
    "what_to_bring": "",
    "rain_starts_at": None,
}
MOVED = {
    **SESSION,
    "before_starts_at": datetime(2026, 12, 5, 0, 30, tzinfo=UTC),
    "before_ends_at": datetime(2026, 12, 5, 3, 0, tzinfo=UTC),
}
PROGRAM = {
    "program_title": "和紙すき体験 <初心者向け>",
    "url": "https://otagaisama.example.jp/p/3/",
}
MESSAGE = {
    "program_title": "古川の畑で草取り & 収穫",
    "message": '明日は長靴で来てください。\n雨なら "軍手" も。',
    "url": "https://otagaisama.example.jp/sessions/5/messages/",
}
CONTACT = {
    "municipality_name": "岐阜県飛騨市",
    "topic": "困りごとの相談（手伝ってほしい）",
    "message": "家の前の雪かきを\n手伝ってほしいです。",
    "contact_url": "https://otagaisama.example.jp/pages/hida/contact/",
}

POINTS = {
    "amount": 500,
    "points_name": "さるぼぼコイン",
    "memo": "古川の畑で草取り & 収穫 2026-12-12",
    "url": "https://otagaisama.example.jp/mypage/points/",
}

# Each kind with the cases its notices send (every branch of its templates).
CASES: dict[str, dict[str, dict]] = {
    Kind.APPLICATION_ACCEPTED: {"default": SESSION},
    Kind.APPLICATION_WAITLISTED: {"default": SESSION},
    Kind.APPLICATION_APPLIED: {"default": SESSION},
    Kind.APPLICATION_PROMOTED: {"default": SESSION},
    Kind.APPLICATION_RECEIVED: {
        "default": {
            **SESSION,
            "helper_name": "さくら",
            "message": "草取りは得意です。よろしくお願いします。",
            "apply_deadline": datetime(2026, 12, 10, 14, 59, tzinfo=UTC),
            "url": "https://otagaisama.example.jp/sessions/5/roster/",
        },
        "no_message": {
            **SESSION,
            "helper_name": "さくら",
            "message": "",
            "apply_deadline": datetime(2026, 12, 10, 14, 59, tzinfo=UTC),
            "url": "https://otagaisama.example.jp/sessions/5/roster/",
        },
    },
    Kind.APPLICATION_CANCELLED: {
        "by_helper": {**SESSION, "by_staff": False, "note": ""},
        "by_staff": {**SESSION, "by_staff": True, "note": "重複登録のため"},
    },
    Kind.APPLICATION_DECLINED: {
        "declined": {**SESSION, "reason": "declined", "note": ""},
        "declined_with_note": {**SESSION, "reason": "declined", "note": "経験者を優先しました"},
        "selection_closed": {**SESSION, "reason": "selection_closed", "note": ""},
        "waitlist_ended": {**SESSION, "reason": "waitlist_ended", "note": ""},
    },
    Kind.LATE_CANCELLATION: {"default": {**SESSION, "for_hosts": True, "helper_name": "さくら"}},
    Kind.SELECTION_DUE: {
        "default": {
            **SESSION,
            "for_hosts": True,
            "waiting": 3,
            "apply_deadline": datetime(2026, 12, 10, 14, 59, tzinfo=UTC),
            "roster_url": "https://otagaisama.example.jp/sessions/5/roster/",
        }
    },
    Kind.SESSION_CANCELLED: {
        "helper": {**SESSION, "for_hosts": False, "reason": "大雪のため"},
        "hosts": {**SESSION, "for_hosts": True, "reason": "大雪のため"},
        "hosts_no_reason": {**SESSION, "for_hosts": True, "reason": ""},
    },
    Kind.SESSION_MOVED: {
        "helper_rain_date": {**MOVED, "for_hosts": False, "rain_date": True},
        "helper_new_times": {**MOVED, "for_hosts": False, "rain_date": False},
        "hosts_rain_date": {**MOVED, "for_hosts": True, "rain_date": True, "url": ""},
    },
    Kind.SESSION_MOVED_RELEASED: {
        "rain_date": {**MOVED, "rain_date": True},
        "new_times": {**MOVED, "rain_date": False},
    },
    Kind.SESSION_MESSAGE: {"default": MESSAGE},
    Kind.APPLICATION_MESSAGE: {"default": MESSAGE},
    Kind.THANK_YOU: {
        "default": {**MESSAGE, "nushi_name": "みょうが農家 中田さん", "url": URL},
    },
    Kind.NEED_SUBMITTED: {
        "default": {
            "need_title": "草取りをお願い",
            "nushi_name": "中田",
            "channel": "電話",
            "url": "https://otagaisama.example.jp/staff/needs/4/",
        }
    },
    Kind.NEED_REJECTED: {"default": {"need_title": "草取りをお願い", "reason": "対象地域の外です"}},
    Kind.PROGRAM_CONFIRM_REQUEST: {"default": PROGRAM},
    Kind.PROGRAM_CONFIRMED: {"default": PROGRAM},
    Kind.PROGRAM_CHANGES_REQUESTED: {"default": {**PROGRAM, "note": "集合場所を駅前に"}},
    Kind.PROGRAM_REJECTED: {"default": {**PROGRAM, "reason": "安全面の確認が必要です"}},
    Kind.PROGRAM_PUBLISHED: {"default": PROGRAM},
    Kind.DELIVERY_FAILED: {
        "default": {
            "failed_subject": "参加が決まりました: 古川の畑で草取り & 収穫",
            "failed_kind": "application_accepted",
            "failed_recipient": "helper@example.jp",
            "error": "SMTPRecipientsRefused('550 mailbox unavailable')",
            "attempts": 8,
            "url": "https://otagaisama.example.jp/staff/notifications/?state=failed",
        }
    },
    Kind.NEWS: {
        "default": {
            "title": "春のお手伝いまつり",
            "text": "今年も開きます。",
            "url": "https://otagaisama.example.jp/news/1/",
        },
        "no_link": {"title": "春のお手伝いまつり", "text": "今年も開きます。", "url": ""},
    },
    Kind.CONTACT_RECEIVED: {
        "anonymous": {
            **CONTACT,
            "sender_name": "山田 花子",
            "sender_email": "hanako@example.jp",
            "signed_in": False,
        },
        "signed_in": {
            **CONTACT,
            "sender_name": "ゆうき",
            "sender_email": "yuki@example.jp",
            "signed_in": True,
        },
    },
    Kind.CONTACT_RECEIPT: {"default": CONTACT},
    Kind.POINTS_CREDITED: {
        "default": {**POINTS, "expires_on": date(2027, 6, 10)},
        "no_expiry_plain_points": {**POINTS, "points_name": "", "expires_on": None},
    },
    Kind.POINTS_REVERSED: {
        "default": {**POINTS, "reason": "受付の取り違え"},
        "no_reason": {**POINTS, "reason": ""},
    },
    Kind.POINTS_EXPIRING: {
        "default": {**POINTS, "expires_at": datetime(2027, 6, 10, 3, 0, tzinfo=UTC)},
    },
    Kind.POINTS_PENDING: {
        "default": {
            **POINTS,
            "reason": "budget",
            "waiting": 12,
            "url": "https://otagaisama.example.jp/staff/points/ledger/?pending=1",
        },
        "helper_max": {**POINTS, "reason": "helper_max", "waiting": 1},
    },
    Kind.SESSION_INVITATION: {
        "default": {**SESSION, "inviter": "みょうが農家 中田さん", "reason": "週末・岐阜県内"},
        "no_reason": {**SESSION, "inviter": "飛騨市の事務局", "reason": ""},
    },
    Kind.DIGEST: {
        "default": {
            "items": [
                {
                    "program_title": "古川の畑で草取り & 収穫",
                    "starts_at": datetime(2026, 12, 12, 0, 30, tzinfo=UTC),
                    "reason": "前回お手伝いした中田さんのプログラム",
                    "url": "https://otagaisama.example.jp/programs/3/",
                },
                {
                    "program_title": "楮の皮はぎ",
                    "starts_at": datetime(2026, 12, 19, 0, 30, tzinfo=UTC),
                    "reason": "",
                    "url": "https://otagaisama.example.jp/programs/4/",
                },
            ],
            "url": "https://otagaisama.example.jp/mypage/",
        }
    },
    Kind.REMINDER_WEEK_BEFORE: {"default": REMINDER},
    Kind.REMINDER_DAY_BEFORE: {"default": REMINDER, "online": REMINDER_ONLINE},
    Kind.REMINDER_MORNING: {"default": REMINDER},
    Kind.MONTHLY_REPORT_READY: {
        "default": {
            "year": 2026,
            "month": 10,
            "version": 1,
            "attendances": 1234,
            "unique_helpers": 567,
            "url": "https://otagaisama.example.jp/staff/monthly/9/",
        }
    },
}

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef〜、。「」]")
PARAMS = [
    pytest.param(kind, case, language, id=f"{kind}.{case}.{language}")
    for kind, cases in CASES.items()
    for case in cases
    for language in ("ja", "en")
]


def snapshot_of(kind: str, context: dict, language: str) -> str:
    rendered = render_message(
        kind, {**context, "site_url": "https://otagaisama.example.jp"}, language
    )
    parts = [
        f"subject: {rendered.subject}",
        "--- body (email) ---",
        rendered.body.rstrip("\n"),
        "--- line ---",
        rendered.line,
    ]
    if rendered.html:
        parts += ["--- body.html ---", rendered.html.strip()]
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize(("kind", "case", "language"), PARAMS)
def test_snapshot(kind, case, language, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    context = CASES[kind][case]
    text = snapshot_of(kind, context, language)
    path = SNAPSHOTS / f"{kind}.{case}.{language}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 and review it")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize(("kind", "case", "language"), PARAMS)
def test_texts_are_clean(kind, case, language):
    context = CASES[kind][case]
    rendered = render_message(
        kind, {**context, "site_url": "https://otagaisama.example.jp"}, language
    )
    for text in (rendered.subject, rendered.body, rendered.line):
        assert text.strip()
        assert "{%" not in text and "{{" not in text and "%(" not in text
        assert not re.search(r"&(amp|lt|gt|quot|#x?[0-9a-f]+);", text)  # plain text: not escaped
        assert "\n\n\n" not in text
    assert "\n" not in rendered.subject
    # A chat bubble: short, and no link said twice.
    assert len(rendered.line) <= 600
    links = re.findall(r"https?://\S+", rendered.line)
    assert len(links) == len(set(links))
    if language == "en":
        # What is left once the people's own words (the context) are taken out is English.
        rest = "\n".join((rendered.subject, rendered.body, rendered.line))
        values = list(context.values())
        for value in context.values():  # a digest's items: dicts of people's words too
            if isinstance(value, list):
                values += [v for item in value for v in item.values()]
        for value in values:
            if isinstance(value, str) and value:
                rest = rest.replace(value, "")
        rest = rest.replace("…", "")
        assert not JAPANESE.search(rest), rest


def test_html_part_escapes_what_people_typed():
    rendered = render_message(Kind.APPLICATION_ACCEPTED, SESSION, "ja")
    assert "草取り &amp; 収穫" in rendered.html
    assert 'lang="ja"' in rendered.html
    assert 'lang="en"' in render_message(Kind.APPLICATION_ACCEPTED, SESSION, "en").html


def test_every_kind_has_its_templates_and_cases():
    engine = _text_engine()
    for kind in Kind.values:
        names = template_names(kind)
        for part in ("subject.txt", "body.txt", "line.txt"):
            engine.get_template(names[part])  # raises TemplateDoesNotExist
        assert kind in CASES, f"{kind} has no snapshot cases"
    folders = {
        path.name
        for directory in engines["django"].engine.dirs
        for path in (Path(directory) / "notifications").glob("*")
        if path.is_dir()
    }
    assert folders == set(Kind.values)


def test_accepted_has_a_rich_email():
    get_template(template_names(Kind.APPLICATION_ACCEPTED)["body.html"])


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(helper):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(recipient_id=helper.pk, kind="application_acceptd", object_key="x", context={})
