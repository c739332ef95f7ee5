"""Server-side SVG charts for dashboard figures: bars, stacked bars, lines and a funnel.

Drawn from the figure's rows in Python so pages need no JavaScript or Node; every label
and value is escaped, long labels are shortened with the full text in a tooltip, and each
chart carries a text title for screen readers (the table under it holds the same numbers).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Distinguishable on white and for the common colour-vision deficiencies.
PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f")
WIDTH = 640
LABEL_W = 170
VALUE_W = 90
BAR_H = 18
GAP = 8
MAX_LABEL = 26


def _num(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def fmt(value: Any, unit: str = "") -> str:
    """A figure value for people: thousands separators, at most two decimals."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    # Grouped and pointed the active language's way (1,234.5 / 1.234,5).
    if isinstance(value, int):
        text = number_format(value, force_grouping=True)
    elif isinstance(value, Decimal | float):
        number = float(value)
        text = number_format(number, 0 if number == int(number) else 2, force_grouping=True)
    else:
        return str(value)
    return f"{text}{' ' + unit if unit == 'h' else unit}"


def _short(text: Any) -> str:
    text = str(text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _label(x: float, y: float, text: Any, anchor: str = "end", css: str = "") -> str:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" class="{}"><title>{}</title>{}</text>',
        f"{x:.1f}",
        f"{y:.1f}",
        anchor,
        css,
        str(text),
        _short(text),
    )


def _legend(names: list[Any], y: float) -> str:
    parts, x = [], LABEL_W
    for index, name in enumerate(names):
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"></rect>'
                '<text x="{}" y="{}" class="legend">{}</text>',
                x,
                f"{y:.1f}",
                PALETTE[index % len(PALETTE)],
                x + 16,
                f"{y + 10:.1f}",
                str(name),
            )
        )
        x += 24 + 7 * len(str(name))
    return "".join(parts)


def _svg(height: float, title: Any, body: str) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" '
        'preserveAspectRatio="xMinYMin meet"><title>{}</title>{}</svg>',
        WIDTH,
        f"{height:.0f}",
        str(title),
        mark_safe(body),  # noqa: S308  (built only from format_html pieces above)
    )


def _columns(figure: Any) -> dict[str, Any]:
    return {key: label for key, label in figure.columns}


def bars(figure: Any) -> SafeString:
    """Horizontal bars, one group per row; several value columns sit side by side."""
    names = _columns(figure)
    series = figure.values
    peak = max((_num(row.get(k)) for row in figure.rows for k in series), default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    group_h = BAR_H * len(series) + GAP
    legend = len(series) > 1
    top = 22 if legend else 4
    parts = [_legend([names.get(k, k) for k in series], 4)] if legend else []
    for i, row in enumerate(figure.rows):
        y = top + i * group_h
        parts.append(_label(LABEL_W - 6, y + BAR_H * len(series) / 2 + 4, row.get(figure.label)))
        for j, key in enumerate(series):
            value = _num(row.get(key))
            width = max(span * value / peak, 1 if value else 0)
            by = y + j * BAR_H
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>"
                    '<text x="{}" y="{}" class="value">{}</text>',
                    LABEL_W,
                    f"{by:.1f}",
                    f"{width:.1f}",
                    BAR_H - 3,
                    PALETTE[j % len(PALETTE)],
                    str(names.get(key, key)),
                    fmt(row.get(key), figure.unit),
                    f"{LABEL_W + width + 4:.1f}",
                    f"{by + BAR_H - 7:.1f}",
                    fmt(row.get(key), figure.unit),
                )
            )
    return _svg(top + len(figure.rows) * group_h + 4, figure.title, "".join(parts))


def stacked(figure: Any) -> SafeString:
    """Horizontal bars stacked by the value columns (e.g. stages), with a legend."""
    names = _columns(figure)
    series = figure.values
    totals = [sum(_num(row.get(k)) for k in series) for row in figure.rows]
    peak = max(totals, default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    top = 22
    parts = [_legend([names.get(k, k) for k in series], 4)]
    for i, row in enumerate(figure.rows):
        y = top + i * (BAR_H + GAP)
        parts.append(_label(LABEL_W - 6, y + BAR_H - 5, row.get(figure.label)))
        x = float(LABEL_W)
        for j, key in enumerate(series):
            width = span * _num(row.get(key)) / peak
            if width <= 0:
                continue
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    f"{x:.1f}",
                    y,
                    f"{width:.1f}",
                    BAR_H,
                    PALETTE[j % len(PALETTE)],
                    str(names.get(key, key)),
                    fmt(row.get(key)),
                )
            )
            x += width
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="value">{}</text>',
                f"{x + 4:.1f}",
                y + BAR_H - 5,
                fmt(totals[i]),
            )
        )
    return _svg(top + len(figure.rows) * (BAR_H + GAP) + 4, figure.title, "".join(parts))


def funnel(figure: Any) -> SafeString:
    """Centered bars narrowing with the value: the pipeline from first to last stage."""
    key = figure.values[0]
    peak = max((_num(row.get(key)) for row in figure.rows), default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    centre = LABEL_W + span / 2
    parts = []
    for i, row in enumerate(figure.rows):
        y = 4 + i * (BAR_H + 10)
        width = max(span * _num(row.get(key)) / peak, 2)
        parts.append(_label(LABEL_W - 6, y + BAR_H - 5, row.get(figure.label)))
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}">'
                "<title>{}</title></rect>"
                '<text x="{}" y="{}" class="value">{}</text>',
                f"{centre - width / 2:.1f}",
                y,
                f"{width:.1f}",
                BAR_H + 4,
                PALETTE[i % len(PALETTE)],
                fmt(row.get(key)),
                f"{LABEL_W + span + 6:.1f}",
                y + BAR_H - 3,
                fmt(row.get(key)),
            )
        )
    return _svg(8 + len(figure.rows) * (BAR_H + 10), figure.title, "".join(parts))


def line(figure: Any) -> SafeString:
    """One line per value column over the rows (time buckets), with labelled axes."""
    names = _columns(figure)
    series = figure.values
    rows = figure.rows
    height, left, right, top, bottom = 240, 50, 20, 26, 40
    peak = max((_num(row.get(k)) for row in rows for k in series), default=0) or 1
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step = plot_w / max(len(rows) - 1, 1)
    parts = [_legend([names.get(k, k) for k in series], 4)]
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"></line>'
                '<text x="{}" y="{}" text-anchor="end" class="axis">{}</text>',
                left,
                WIDTH - right,
                f"{y:.1f}",
                f"{y:.1f}",
                left - 4,
                f"{y + 4:.1f}",
                fmt(round(value, 1)),
            )
        )
    every = max(1, len(rows) // 8)  # at most about eight x labels stay readable
    for i, row in enumerate(rows):
        if i % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>',
                    f"{left + i * step:.1f}",
                    height - bottom + 16,
                    str(row.get(figure.label)),
                )
            )
    for j, key in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = [
            (left + i * step, top + plot_h - plot_h * _num(row.get(key)) / peak)
            for i, row in enumerate(rows)
        ]
        parts.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"></polyline>',
                colour,
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
            )
        )
        for (x, y), row in zip(points, rows, strict=True):
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} {}: {}</title></circle>',
                    f"{x:.1f}",
                    f"{y:.1f}",
                    colour,
                    str(row.get(figure.label)),
                    str(names.get(key, key)),
                    fmt(row.get(key)),
                )
            )
    return _svg(height, figure.title, "".join(parts))


DRAW = {"bars": bars, "stacked": stacked, "funnel": funnel, "line": line}


@register.simple_tag
def chart(figure: Any) -> SafeString:
    """The figure drawn as SVG, or nothing for tables, single numbers and empty figures."""
    draw = DRAW.get(figure.chart)
    if draw is None or not figure.rows or not figure.values:
        return mark_safe("")  # noqa: S308
    return draw(figure)


@register.filter
def cell(row: dict, key: str) -> Any:
    """The value of `key` in a figure row (template lookups cannot reach "_" keys)."""
    return row.get(key)


@register.filter(name="figure_value")
def figure_value(value: Any, unit: str = "") -> str:
    return fmt(value, unit if unit in ("%", "h") else "")
