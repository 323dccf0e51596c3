"""Server-side SVG bar charts of report tables: no JavaScript, the same markup on the page and in the
PDF. Accessible: role="img" with <title> and <desc>; every bar carries its number as text (no
information by colour alone) and the page shows the same numbers as a table right below."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from missimo.reports.figures import Table, cell_text

WIDTH = 760
LABEL_WIDTH = 250
BAR_SPACE = 360
BAR_HEIGHT = 18
GAP = 10
FILLS = ("#1f4e8c", "#a34f00", "#2f6b2f")  # each at least 4.5:1 against white
TEXT = "#1b1b1b"


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value) -> float:
    return float(value) if isinstance(value, int | Decimal) else 0.0


def series_of(table: Table) -> list[int]:
    """The columns a chart draws: the value columns side by side when there are at most three
    (besides a Summe column), otherwise the chart column (or the first)."""
    value_cols = [i for i, name in enumerate(table.columns) if name != "Summe"]
    if table.count_column is not None:
        value_cols = [i for i in value_cols if i != table.count_column]
    if table.chart_column is not None and (len(value_cols) > 3 or table.money_columns):
        return [table.chart_column]
    return value_cols[:3] if len(value_cols) <= 3 else [table.chart_column or 0]


CHAR_WIDTH = 7.6  # the widest average advance of the chart font at 13 px (DejaVu Sans), generous


def _value_text(table: Table, row, column: int, n_series: int) -> str:
    text = cell_text(row.values[column], column in table.money_columns)
    return f"{table.columns[column]}: {text}" if n_series > 1 else text


def bar_space_for(table: Table, series: list[int]) -> float:
    """The length of the longest bar: what remains of the width after the labels and the longest
    value text, so that no number is cut at the right edge of the chart."""
    texts = [_value_text(table, row, c, len(series)) for row in table.rows for c in series]
    room = max((len(text) for text in texts), default=0) * CHAR_WIDTH + 12
    return max(60.0, min(BAR_SPACE, WIDTH - LABEL_WIDTH - room))


def bar_chart(table: Table, *, id_prefix: str = "diagramm") -> SafeString:
    """A horizontal bar chart of `table` (rows without the total) as inline SVG."""
    series = series_of(table)
    rows = table.rows
    biggest = max([_number(row.values[c]) for row in rows for c in series] + [1.0])
    bar_space = bar_space_for(table, series)
    group_height = len(series) * BAR_HEIGHT + GAP + (14 if len(series) > 1 else 0)
    height = 30 + max(len(rows), 1) * group_height
    ident = f"{id_prefix}-{table.key}"
    names = ", ".join(table.columns[c] for c in series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="Fira Sans, DejaVu Sans, sans-serif" font-size="13">',
        f'<title id="{ident}-title">{escape(table.title)} (Balkendiagramm)</title>',
        f'<desc id="{ident}-desc">{escape(names)} je {escape(table.row_header)}. '
        f"Dieselben Zahlen stehen in der Tabelle unter dem Diagramm.</desc>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    y = 20
    if not rows:
        parts.append(f'<text x="0" y="{y}" fill="{TEXT}">Keine Daten im Zeitraum.</text>')
    for row in rows:
        label_y = y + (BAR_HEIGHT if len(series) == 1 else 12) - 4
        parts.append(f'<text x="0" y="{label_y}" fill="{TEXT}">{escape(_short(row.label))}</text>')
        bar_y = y + (0 if len(series) == 1 else 14)
        for n, column in enumerate(series):
            value = row.values[column]
            length = round(bar_space * _number(value) / biggest, 1)
            text = _value_text(table, row, column, len(series))
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{length}" height="{BAR_HEIGHT - 4}" '
                f'fill="{FILLS[n % len(FILLS)]}"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + length + 6}" y="{bar_y + BAR_HEIGHT - 6}" fill="{TEXT}">'
                f"{escape(text)}</text>"
            )
            bar_y += BAR_HEIGHT
        y += group_height
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="10" x2="{LABEL_WIDTH}" y2="{height - 8}" stroke="{TEXT}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
