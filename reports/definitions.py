"""What each figure of a 月次参加レポート means, worded once for every output (page, XLSX, CSV, PDF,
public summary). A snapshot stores the definitions it used with their version; change a definition's
meaning and DEFINITIONS_VERSION goes up, so a council paper can say which definitions its numbers follow.

The wording is stored in both languages (not through gettext): a snapshot must keep saying what it
meant when it was made, whatever the catalogue says later."""

from typing import TypedDict

DEFINITIONS_VERSION = 1


class Definition(TypedDict):
    key: str
    term_ja: str
    term_en: str
    ja: str
    en: str


DEFINITIONS: list[Definition] = [
    {
        "key": "period",
        "term_ja": "対象月",
        "term_en": "Month",
        "ja": "日本時間の暦月（1日0時から翌月1日0時まで）。日程は実際の開始日時で数える（予備日に変更した日程は予備日の月）。状態（参加済み・キャンセルなど）は集計した時点のもの。",
        "en": "A calendar month in Japan time (from 00:00 on the 1st to 00:00 on the 1st of the next month). Sessions count in the month they actually start (a session moved to its rain date counts in the rain date's month). States (attended, cancelled, ...) are as they were when the figures were made.",
    },
    {
        "key": "needs_received",
        "term_ja": "受け付けた困りごと",
        "term_en": "Needs received",
        "ja": "対象月に登録された困りごとの数。受付方法（ウェブ・電話・紙・訪問）別にも数える。",
        "en": "Needs registered in the month, also by channel (web, phone, paper, visit).",
    },
    {
        "key": "needs_turned_into_programs",
        "term_ja": "プログラムになった困りごと",
        "term_en": "Needs turned into programs",
        "ja": "対象月に公開されたプログラムのもとになった困りごとの数（受け付けた月は問わない）。",
        "en": "Needs behind the programs published in the month (whenever they were received).",
    },
    {
        "key": "programs_published",
        "term_ja": "公開したプログラム",
        "term_en": "Programs published",
        "ja": "公開日時が対象月にあるプログラムの数。",
        "en": "Programs whose publication time lies in the month.",
    },
    {
        "key": "sessions_held",
        "term_ja": "開催した日程",
        "term_en": "Sessions held",
        "ja": "開始日時が対象月にあり、中止されていない日程の数。",
        "en": "Sessions starting in the month that were not cancelled.",
    },
    {
        "key": "sessions_cancelled",
        "term_ja": "中止した日程",
        "term_en": "Sessions cancelled",
        "ja": "開始予定日時が対象月にあり、中止された日程の数。",
        "en": "Sessions due to start in the month that were cancelled.",
    },
    {
        "key": "applications",
        "term_ja": "応募",
        "term_en": "Applications",
        "ja": "開催した日程へのすべての応募。参加確定＝席を得た応募（参加確定・参加済み・欠席）。キャンセル待ち・お見送り・選考中・キャンセルは集計時点の状態。直前キャンセル（開始の直前に本人が取り消したもの）はキャンセルと分けて数える。",
        "en": "Every application to a session held. Accepted = applications that held a place (accepted, attended, no-show). Waitlisted, declined, pending and cancelled are states at the time of computing. Late cancellations (by the helper shortly before the start) are counted apart from other cancellations.",
    },
    {
        "key": "no_show_rate",
        "term_ja": "欠席率",
        "term_en": "No-show rate",
        "ja": "欠席 ÷（参加済み＋欠席）。",
        "en": "No-shows ÷ (attended + no-shows).",
    },
    {
        "key": "fill_rate",
        "term_ja": "充足率",
        "term_en": "Fill rate",
        "ja": "参加確定（席を得た応募）÷ 開催した日程の募集人数の合計。",
        "en": "Accepted applications (places held) ÷ the total capacity of the sessions held.",
    },
    {
        "key": "attendances",
        "term_ja": "延べ参加者数",
        "term_en": "Participations (延べ)",
        "ja": "開催した日程の「参加済み」の応募の数。1人が3回参加すれば3と数える。",
        "en": "Attended applications on the sessions held: one person attending 3 sessions counts 3.",
    },
    {
        "key": "unique_helpers",
        "term_ja": "実参加者数",
        "term_en": "Unique helpers (実)",
        "ja": "延べ参加者のうち、異なる人の数。",
        "en": "Distinct people among the participations.",
    },
    {
        "key": "first_time",
        "term_ja": "はじめての人",
        "term_en": "First-time helpers",
        "ja": "実参加者のうち、この範囲の自治体の日程に対象月より前に参加したことがない人。",
        "en": "Unique helpers who had never attended a session of the scope's municipalities before the month.",
    },
    {
        "key": "repeat",
        "term_ja": "リピーター",
        "term_en": "Repeat helpers",
        "ja": "実参加者のうち、この範囲の自治体の日程に、対象月の末までに通算2回以上参加した人（対象月の参加を含む）。",
        "en": "Unique helpers who, by the end of the month, had attended sessions of the scope's municipalities at least twice in all (the month's included).",
    },
    {
        "key": "returning_to_nushi",
        "term_ja": "同じヌシへの再訪",
        "term_en": "Returning to the same nushi",
        "ja": "実参加者のうち、対象月に参加した日程のヌシ（団体）の、それより前の日程にも参加したことがある人。",
        "en": "Unique helpers who attended, in the month, a session of a nushi (organisation) whose earlier session they had attended too.",
    },
    {
        "key": "origin",
        "term_ja": "参加者の住まい",
        "term_en": "Where helpers live",
        "ja": "実参加者を、集計時点のプロフィールの都道府県・市区町村で分ける：同じ自治体／同じ都道府県の他の市区町村／他の都道府県（都道府県別）／海外・未登録。",
        "en": "Unique helpers by the prefecture and municipality of their profile when computed: the same municipality / elsewhere in the same prefecture / other prefectures (each listed) / abroad or not given.",
    },
    {
        "key": "cuts",
        "term_ja": "区分別",
        "term_en": "Breakdowns",
        "ja": "カテゴリ・関わり方の型・地区・団体（ヌシ）ごとの、開催した日程・延べ参加者数・実参加者数。1人が複数の区分に入ることがあるため、実参加者数の合計は全体と一致しないことがある。",
        "en": "Sessions held, participations and unique helpers per category, relationship type, district and organisation (nushi). One person may fall in several groups, so unique helpers need not add up to the total.",
    },
    {
        "key": "points",
        "term_ja": "ポイント",
        "term_en": "Points",
        "ja": "台帳に対象月に記録された動きによる。付与＝予算から参加者のウォレットへ、取消＝出欠の訂正などで付与を取り消した分（純額＝付与−取消）、交換＝ウォレットから交換済みへ、失効＝ウォレットから失効へ、予算への繰り入れ＝予算口座に入れた額。残高・予算残高・予算待ちは対象月末の時点の値。",
        "en": "Movements the ledger recorded in the month. Issued = from the budget to helpers' wallets; reversed = credits taken back (an attendance corrected, ...), net = issued - reversed; redeemed = from wallets to redeemed; expired = from wallets to expired; funded = paid into the budget. Outstanding (wallets), the budget balance and credits waiting for budget are as at the end of the month.",
    },
    {
        "key": "cumulative",
        "term_ja": "累計・年度累計",
        "term_en": "Since launch, fiscal year to date",
        "ja": "累計＝最初の記録から対象月末まで。年度累計＝対象月を含む年度（4月1日から翌年3月31日）の4月1日から対象月末まで。どちらも同じ定義で数える。",
        "en": "Since launch = from the first record to the end of the month. Fiscal year to date = from 1 April of the fiscal year (April to March) that contains the month to the end of the month. Both with the same definitions.",
    },
    {
        "key": "comparison",
        "term_ja": "前月比・前年同月比",
        "term_en": "Change vs the previous month and a year earlier",
        "ja": "同じ定義で前月・前年の同じ月を数えた値との差（集計した時点の記録で数え直す）。",
        "en": "The difference from the previous month and the same month a year earlier, counted with the same definitions from the records as they were when computed.",
    },
]


def definitions_snapshot() -> list[Definition]:
    """What a new snapshot stores: a copy, so later edits of this module never reach stored rows."""
    return [dict(d) for d in DEFINITIONS]  # type: ignore[misc]
