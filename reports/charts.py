"""Charts of a snapshot as SVG (matplotlib), drawn from its stored figures only, so a chart of a closed
month is the same whenever it is drawn. Text stays text (svg.fonttype "none"): the browser and WeasyPrint
render it with a Japanese font, and it can be selected and read aloud. Each chart has its data table
beside it on every page (reports.tables)."""

import io
from typing import Any

from django.utils.translation import gettext as _

from reports.tables import Table

FONT_FAMILY = ["IPAexGothic", "Noto Sans CJK JP", "sans-serif"]
BLUE = "#0017c1"  # the Digital Agency theme's primary blue (contrast 11:1 on white)

# Japan as a tile grid (one square per prefecture, roughly where it lies): (column, row).
TILES = {
    "北海道": (12, 0), "青森県": (11, 1), "秋田県": (10, 2), "岩手県": (11, 2), "山形県": (10, 3),
    "宮城県": (11, 3), "石川県": (7, 4), "富山県": (8, 4), "新潟県": (9, 4), "福島県": (10, 4),
    "島根県": (3, 5), "鳥取県": (4, 5), "福井県": (7, 5), "岐阜県": (8, 5), "長野県": (9, 5),
    "群馬県": (10, 5), "栃木県": (11, 5), "山口県": (2, 6), "広島県": (3, 6), "岡山県": (4, 6),
    "兵庫県": (5, 6), "京都府": (6, 6), "滋賀県": (7, 6), "愛知県": (8, 6), "山梨県": (9, 6),
    "埼玉県": (10, 6), "茨城県": (11, 6), "福岡県": (1, 7), "大分県": (2, 7), "大阪府": (5, 7),
    "奈良県": (6, 7), "三重県": (7, 7), "静岡県": (8, 7), "神奈川県": (9, 7), "東京都": (10, 7),
    "千葉県": (11, 7), "長崎県": (0, 8), "佐賀県": (1, 8), "熊本県": (2, 8), "愛媛県": (3, 8),
    "香川県": (4, 8), "徳島県": (5, 8), "和歌山県": (6, 8), "鹿児島県": (1, 9), "宮崎県": (2, 9),
    "高知県": (4, 9), "沖縄県": (0, 10),
}  # fmt: skip


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update(
        {"svg.fonttype": "none", "font.family": FONT_FAMILY, "font.size": 10, "svg.hashsalt": "1"}
    )
    return plt.subplots(figsize=(width, height))


def _svg(fig: Any) -> str:
    from matplotlib import pyplot as plt

    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return out.getvalue()


def bars(table: Table, *, value_column: int = 1) -> str:
    """Horizontal bars of one column of a table (most first)."""
    rows = [r for r in table.rows if isinstance(r[value_column], int)]
    labels = [str(r[0]) for r in rows][::-1]
    values = [int(r[value_column] or 0) for r in rows][::-1]
    fig, ax = _figure(6.4, max(1.6, 0.38 * len(rows) + 0.8))
    ax.barh(labels or [_("（なし）")], values or [0], color=BLUE)
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,}", va="center")
    ax.set_xlabel(table.columns[value_column])
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.15)
    return _svg(fig)


def comparison(table: Table) -> str:
    """This month, the previous month and a year earlier, side by side, for each headline figure."""
    labels = [str(r[0]) for r in table.rows]
    series = [
        (table.columns[1], 1, BLUE),
        (table.columns[2], 2, "#7f8fe6"),
        (table.columns[4], 4, "#b3b3b3"),
    ]
    fig, ax = _figure(6.4, 3.2)
    width = 0.27
    for i, (name, column, colour) in enumerate(series):
        xs = [x + (i - 1) * width for x in range(len(labels))]
        ax.bar(xs, [int(r[column] or 0) for r in table.rows], width, label=name, color=colour)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def japan(by_prefecture: dict[str, int]) -> str:
    """A choropleth of Japan as a tile grid: each prefecture's square shaded by its helpers."""
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    top = max(by_prefecture.values(), default=0)
    cmap = colormaps["Blues"]
    fig, ax = _figure(6.4, 5.4)
    for prefecture, (col, row) in TILES.items():
        n = by_prefecture.get(prefecture, 0)
        shade = 0.08 + 0.87 * (n / top) if top and n else 0.0
        colour = cmap(shade) if n else "#f2f2f2"
        ax.add_patch(
            Rectangle((col, -row), 0.94, 0.94, facecolor=colour, edgecolor="#666666", lw=0.4)
        )
        name = prefecture if prefecture == "北海道" else prefecture[:-1]
        ax.text(
            col + 0.47, -row + 0.6, name, ha="center", va="center", fontsize=6.5,
            color="white" if shade > 0.55 else "#1a1a1a",
        )  # fmt: skip
        if n:
            ax.text(
                col + 0.47, -row + 0.28, f"{n:,}", ha="center", va="center", fontsize=6.5,
                color="white" if shade > 0.55 else "#1a1a1a",
            )  # fmt: skip
    ax.set_xlim(-0.2, 13.2)
    ax.set_ylim(-10.2, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return _svg(fig)


CHARTS = ("comparison", "applications", "category", "prefectures")


def chart(name: str, tables: dict[str, Table], figures: dict[str, Any]) -> str:
    if name == "comparison":
        return comparison(tables["comparison"])
    if name == "prefectures":
        return japan(figures["origin"]["by_prefecture"])
    return bars(tables[name])
