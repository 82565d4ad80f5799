"""Inline SVG charts for the album page, drawn at build time (no script, no network).

Pure functions: numbers in, SVG text out. Every chart has a <title> and a text fallback in
the page, so it reads without images too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
INK, GRID, ACCENT, MUTED = "#1d1d1f", "#e3e3e8", "#c2410c", "#6b7280"


def _frame(title: str, body: list[str], *, height: int = HEIGHT) -> str:
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
            f'<g font-family="system-ui, sans-serif" font-size="12" fill="{INK}">{"".join(body)}</g></svg>')


def nice_step(span: float, ticks: int = 5) -> float:
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _y_axis(top_value: float, plot_h: float, *, integer: bool = True) -> tuple[float, list[str]]:
    """Grid lines and labels; returns the axis maximum and the SVG parts."""
    step = max(1.0, nice_step(top_value)) if integer else nice_step(top_value)
    axis_max = step * max(1, math.ceil(top_value / step))
    parts, value = [], 0.0
    while value <= axis_max + 1e-9:
        y = TOP + plot_h - value / axis_max * plot_h
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{value:g}</text>')
        value += step
    return axis_max, parts


def bar_chart(labels: Sequence[str], counts: Sequence[float], *, title: str, x_label: str = "",
              highlight: Sequence[bool] = ()) -> str:
    """Vertical bars, one per label (a histogram when labels are bins)."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    axis_max, parts = _y_axis(max(counts, default=0) or 1, plot_h)
    slot = plot_w / max(1, len(labels))
    for index, (label, count) in enumerate(zip(labels, counts)):
        height = count / axis_max * plot_h
        x = LEFT + index * slot
        colour = MUTED if index < len(highlight) and highlight[index] else ACCENT
        parts.append(f'<rect x="{x + slot * 0.12:.1f}" y="{TOP + plot_h - height:.1f}" width="{slot * 0.76:.1f}" '
                     f'height="{height:.1f}" rx="3" fill="{colour}"><title>{escape(label)}: {count:g}</title></rect>')
        if len(labels) <= 16 or index % 2 == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                         f'fill="{MUTED}">{escape(label)}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle">{escape(x_label)}</text>')
    return _frame(title, parts)


def horizontal_bars(labels: Sequence[str], counts: Sequence[float], *, title: str, unit: str = "") -> str:
    """One labelled bar per row, longest first as given; for counts of named things."""
    row_h, label_w = 26, 180
    height = max(1, len(labels)) * row_h + 12
    top = max(counts, default=0) or 1
    parts = []
    for index, (label, count) in enumerate(zip(labels, counts)):
        y = 6 + index * row_h
        width = count / top * (WIDTH - label_w - 70)
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 8}" rx="3" '
                     f'fill="{ACCENT}"/><text x="{label_w + width + 6:.1f}" y="{y + 16}" '
                     f'fill="{MUTED}">{count:g}{escape(unit)}</text>')
    if not labels:
        parts.append(f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" fill="{MUTED}">none yet</text>')
    return _frame(title, parts, height=max(height, 36))


def scatter(points: Sequence[tuple[float, float, str]], *, title: str, x_label: str, y_label: str,
            trend: tuple[float, float] | None = None) -> str:
    """Points (x, y, label) with axes fitted to the data and an optional line y = a + b·x."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    if not points:
        return _frame(title, [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                              f'fill="{MUTED}">no songs with both values yet</text>'])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad = (max(xs) - min(xs)) * 0.08 or 0.01
    x_lo, x_hi = min(xs) - pad, max(xs) + pad
    axis_max, parts = _y_axis(max(ys) or 1, plot_h)

    def at(x: float, y: float) -> tuple[float, float]:
        return (LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w, TOP + plot_h - y / axis_max * plot_h)

    parts += _x_ticks(x_lo, x_hi, at)
    if trend is not None:
        (x1, y1), (x2, y2) = at(x_lo, trend[0] + trend[1] * x_lo), at(x_hi, trend[0] + trend[1] * x_hi)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{MUTED}" '
                     f'stroke-dasharray="5 4"/>')
    for x_value, y_value, label in points:
        x, y = at(x_value, y_value)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{ACCENT}" fill-opacity="0.75" '
                     f'stroke="#fff"><title>{escape(label)}: {x_value:g}, {y_value:g}</title></circle>')
    parts.append(_axis_labels(x_label, y_label))
    return _frame(title, parts)


def line_chart(series: Sequence[tuple[str, Sequence[tuple[float, float]]]], *, title: str, x_label: str,
               y_label: str) -> str:
    """One line per named series of (x, y) points, on shared axes from zero, with a legend."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    points = [point for _, line in series for point in line]
    if not points:
        return _frame(title, [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                              f'fill="{MUTED}">no points yet</text>'])
    x_lo, x_hi = min(x for x, _ in points), max(x for x, _ in points)
    x_hi = x_hi if x_hi > x_lo else x_lo + 1
    axis_max, parts = _y_axis(max(y for _, y in points) or 1, plot_h, integer=False)

    def at(x: float, y: float) -> tuple[float, float]:
        return (LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w, TOP + plot_h - y / axis_max * plot_h)

    parts += _x_ticks(x_lo, x_hi, at)
    for index, (name, line) in enumerate(series):
        colour = (ACCENT, INK, MUTED)[index % 3]
        coords = " ".join("{:.1f},{:.1f}".format(*at(x, y)) for x, y in line)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2">'
                     f'<title>{escape(name)}</title></polyline>'
                     f'<text x="{WIDTH - RIGHT - 4}" y="{TOP + 14 + 16 * index}" text-anchor="end" '
                     f'fill="{colour}">{escape(name)}</text>')
    parts.append(_axis_labels(x_label, y_label))
    return _frame(title, parts)


def _x_ticks(x_lo: float, x_hi: float, at) -> list[str]:
    step = nice_step(x_hi - x_lo)
    tick, parts = math.ceil(x_lo / step) * step, []
    while tick <= x_hi:
        x, _ = at(tick, 0)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                     f'fill="{MUTED}">{round(tick, 6):g}</text>')
        tick += step
    return parts


def _axis_labels(x_label: str, y_label: str) -> str:
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    return (f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle">{escape(x_label)}</text>'
            f'<text transform="translate(12 {TOP + plot_h / 2}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>')


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient; None with fewer than 3 points or no spread."""
    n = len(xs)
    if n < 3:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float] | None:
    """Intercept and slope of the least-squares line, or None without spread in x."""
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    return mean_y - slope * mean_x, slope


def correlation_sentence(r: float | None, n: int) -> str:
    """What the album shows about temperature and tempo, in plain words (``r`` from :func:`pearson`:
    None with fewer than 3 songs, or when they all share one temperature or one tempo)."""
    if r is None and n >= 3:
        return (f"The {n} songs with a pulse all have the same temperature or the same tempo, so this album "
                "cannot say whether higher temperature gives faster tempos.")
    if r is None:
        return (f"Too few songs with both a temperature and a pulse ({n}) to say whether higher "
                "temperature gives faster tempos.")
    strength = "strongly" if abs(r) >= 0.7 else "moderately" if abs(r) >= 0.4 else "weakly"
    if abs(r) < 0.2:
        return (f"On this album, temperature and tempo are unrelated (r = {r:.2f} over {n} songs): "
                "a higher temperature did not give faster songs.")
    direction = "faster" if r > 0 else "slower"
    return (f"On this album, higher temperature goes {strength} with {direction} tempos "
            f"(r = {r:.2f} over {n} songs with a pulse). With this few songs, read it as a hint, not a law."
            if n < 30 else
            f"On this album, higher temperature goes {strength} with {direction} tempos "
            f"(r = {r:.2f} over {n} songs with a pulse).")
