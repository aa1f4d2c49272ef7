"""A snapshot's figures as titled tables, in the active language: the one layout that the page, the
XLSX (a sheet per table), the CSV and the PDF all print, so the four never disagree."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.categories import Category
from portal.models import Need, RelationshipType
from reports.models import MonthlyReport

Cell = str | int | float | None


@dataclass
class Table:
    key: str  # also the chart's name when the table has one
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _signed(n: int) -> str:
    return f"{n:+d}"


def overview(figures: dict[str, Any]) -> Table:
    needs, apps, people = figures["needs"], figures["applications"], figures["participants"]
    rates = figures["rates"]
    return Table(
        "overview",
        _("概要"),
        [_("項目"), _("値")],
        [
            [_("延べ参加者数"), people["attendances"]],
            [_("実参加者数"), people["unique_helpers"]],
            [_("はじめての人"), people["first_time"]],
            [_("リピーター"), people["repeat"]],
            [_("同じヌシへの再訪"), people["returning_to_nushi"]],
            [_("開催した日程"), apps["sessions_held"]],
            [_("中止した日程"), apps["sessions_cancelled"]],
            [_("応募"), apps["total"]],
            [_("欠席率"), rates["no_show_rate"]],
            [_("充足率"), rates["fill_rate"]],
            [_("受け付けた困りごと"), needs["received"]],
            [_("プログラムになった困りごと"), needs["turned_into_programs"]],
            [_("公開したプログラム"), needs["programs_published"]],
        ],
    )


def _applications(figures: dict[str, Any]) -> Table:
    apps = figures["applications"]
    return Table(
        "applications",
        _("応募の内訳（開催した日程）"),
        [_("状態"), _("件数")],
        [
            [_("応募"), apps["total"]],
            [_("参加確定（席を得た応募）"), apps["accepted"]],
            [_("うち参加済み"), apps["attended"]],
            [_("うち欠席"), apps["no_show"]],
            [_("キャンセル待ち"), apps["waitlisted"]],
            [_("お見送り"), apps["declined"]],
            [_("選考中"), apps["pending"]],
            [_("キャンセル（直前を除く）"), apps["cancelled"]],
            [_("直前キャンセル"), apps["cancelled_late"]],
            [_("募集人数の合計"), apps["capacity"]],
        ],
    )


def _needs(figures: dict[str, Any]) -> Table:
    by_channel = figures["needs"]["by_channel"]
    return Table(
        "needs",
        _("受け付けた困りごと（受付方法別）"),
        [_("受付方法"), _("件数")],
        [[str(Need.Channel(key).label), n] for key, n in by_channel.items()],
    )


def _origin(figures: dict[str, Any]) -> Table:
    origin = figures["origin"]
    return Table(
        "origin",
        _("参加者の住まい（実参加者）"),
        [_("住まい"), _("人数")],
        [
            [_("同じ自治体"), origin["same_municipality"]],
            [_("同じ都道府県の他の市区町村"), origin["same_prefecture"]],
            [_("他の都道府県"), origin["other_prefecture"]],
            [_("海外・未登録"), origin["abroad_or_unknown"]],
        ],
    )


def _prefectures(figures: dict[str, Any]) -> Table:
    return Table(
        "prefectures",
        _("都道府県別の参加者（実参加者）"),
        [_("都道府県"), _("人数")],
        [[prefecture, n] for prefecture, n in figures["origin"]["by_prefecture"].items()],
    )


def _cut_label(cut: str, row: dict[str, Any]) -> str:
    if cut == "category":
        return str(Category(row["key"]).label) if row["key"] in Category.values else row["key"]
    if cut == "relationship_type":
        known = row["key"] in RelationshipType.values
        return str(RelationshipType(row["key"]).label) if known else row["key"]
    return row["name"] or _("（なし）")


def _cuts(figures: dict[str, Any]) -> list[Table]:
    titles = {
        "category": (_("カテゴリ別"), _("カテゴリ")),
        "relationship_type": (_("関わり方の型別"), _("関わり方の型")),
        "district": (_("地区別"), _("地区")),
        "organization": (_("団体（ヌシ）別"), _("団体")),
    }
    tables = []
    for cut, rows in figures["cuts"].items():
        title, column = titles[cut]
        tables.append(
            Table(
                cut,
                title,
                [column, _("開催した日程"), _("延べ参加者数"), _("実参加者数")],
                [
                    [_cut_label(cut, r), r["sessions_held"], r["attendances"], r["unique_helpers"]]
                    for r in rows
                ],
            )
        )
    return tables


POINT_ROWS = [
    ("issued", gettext_lazy("付与")),
    ("reversed", gettext_lazy("取消")),
    ("net_issued", gettext_lazy("付与（取消を差し引いた純額）")),
    ("redeemed", gettext_lazy("交換")),
    ("expired", gettext_lazy("失効")),
    ("outstanding", gettext_lazy("月末の残高（ウォレットの合計）")),
    ("budget_funded", gettext_lazy("予算への繰り入れ")),
    ("budget_balance", gettext_lazy("月末の予算残高")),
    ("pending", gettext_lazy("予算待ちの付与（月末）")),
]


def _points(figures: dict[str, Any]) -> Table:
    points = figures.get("points") or {}
    return Table(
        "points",
        _("ポイント"),
        [_("項目"), _("ポイント")],
        [[str(label), points[key]] for key, label in POINT_ROWS if key in points],
    )


def comparison(figures: dict[str, Any]) -> Table:
    compare, cumulative = figures["comparison"], figures["cumulative"]
    labels = {
        "attendances": _("延べ参加者数"),
        "unique_helpers": _("実参加者数"),
        "first_time": _("はじめての人"),
        "sessions_held": _("開催した日程"),
        "applications": _("応募"),
    }
    return Table(
        "comparison",
        _("前月・前年同月との比較、累計"),
        [
            _("項目"),
            _("今月"),
            _("前月"),
            _("前月比"),
            _("前年同月"),
            _("前年同月比"),
            _("年度累計（%(fy)s年度）") % {"fy": cumulative["fiscal_year"]},
            _("累計"),
        ],
        [
            [
                label,
                compare["this_month"][key],
                compare["previous_month"][key],
                _signed(compare["change_vs_previous_month"][key]),
                compare["year_earlier"][key],
                _signed(compare["change_vs_year_earlier"][key]),
                cumulative["fiscal_year_to_date"][key],
                cumulative["since_launch"][key],
            ]
            for key, label in labels.items()
        ],
    )


def tables(report: MonthlyReport) -> list[Table]:
    figures = report.figures
    return [
        overview(figures),
        comparison(figures),
        _applications(figures),
        _needs(figures),
        _origin(figures),
        _prefectures(figures),
        *_cuts(figures),
        _points(figures),
    ]


def definitions(report: MonthlyReport) -> list[tuple[str, str]]:
    """The snapshot's own definitions (as stored with it), in the active language."""
    english = (get_language() or "ja").startswith("en")
    return [
        (d["term_en"], d["en"]) if english else (d["term_ja"], d["ja"]) for d in report.definitions
    ]
