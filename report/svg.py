"""Small inline-SVG charts for the weekly report: no browser, no image library, the same bytes every run."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ["#2E86AB", "#F29E4C", "#7FB069", "#D1495B", "#6C5B7B", "#3BB273", "#E15554", "#4D9DE0"]
FONT = "font-family='Helvetica,Arial,sans-serif' font-size='11'"


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = "#1A202C") -> str:
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' {FONT} fill='{fill}'>{escape(text)}</text>"


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(width, 0):.1f}' height='{max(height, 0):.1f}' fill='{fill}'/>"


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' height='{height}'"
        f" role='img' aria-label='{escape(title, quote=True)}'>"
        f"<title>{escape(title)}</title><rect width='{width}' height='{height}' fill='white'/>"
        f"<text x='10' y='18' {FONT} font-size='13' font-weight='bold'>{escape(title)}</text>"
        + "".join(body)
        + "</svg>"
    )


def _y_axis(
    ticks: Sequence[float], y: Callable[[float], float], left: int, right: int, fmt: Callable[[float], str]
) -> list[str]:
    out = []
    for t in ticks:
        yy = y(t)
        out.append(f"<line x1='{left}' x2='{right}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='#E2E8F0'/>")
        out.append(_text(left - 6, yy + 4, fmt(t), anchor="end", fill="#4A5568"))
    return out


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 640,
    height: int = 260,
    highlight: Sequence[int] = (),
) -> str:
    """Lines over shared x labels. ``highlight`` marks points (indexes) of the first series in red."""
    left, right, top, bottom = 60, width - 15, 40, height - 45
    values = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    lo, hi = (min(values + [0.0]), max(values + [0.0])) if values else (0.0, 1.0)
    ticks = _nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (right - left) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return bottom - (bottom - top) * ((v - lo) / (hi - lo) if hi > lo else 0.5)

    body = _y_axis(ticks, y, left, right, fmt)
    step = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % step == 0 or i == n - 1:
            body.append(_text(x(i), bottom + 16, str(label), anchor="middle", fill="#4A5568"))
    for k, (name, values_k) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = [(x(i), y(v)) for i, v in enumerate(values_k) if v is not None and math.isfinite(v)]
        if points:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            body.append(f"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2'/>")
        body.append(_rect(left + 120 * k, height - 18, 10, 10, color))
        body.append(_text(left + 120 * k + 14, height - 9, name))
    first = next(iter(series.values()), [])
    for i in highlight:
        if 0 <= i < len(first) and first[i] is not None:
            body.append(
                f"<circle cx='{x(i):.1f}' cy='{y(first[i]):.1f}' r='5' fill='none' stroke='#D1495B' stroke-width='2'/>"
            )
    return _frame(width, height, title, body)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 640,
    bar_height: int = 22,
    highlight: int | None = None,
) -> str:
    """Horizontal bars with the value printed at the end of each bar; ``highlight`` colours one bar."""
    label_width = 140
    left, right, top = label_width + 10, width - 70, 34
    height = top + bar_height * len(labels) + 16
    hi = max([v for v in values if math.isfinite(v)] + [0.0]) or 1.0
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        yy = top + i * bar_height
        length = (right - left) * max(value, 0.0) / hi if math.isfinite(value) else 0
        color = "#D1495B" if highlight == i else PALETTE[0]
        body.append(_text(label_width, yy + bar_height * 0.65, str(label), anchor="end"))
        body.append(_rect(left, yy + 3, length, bar_height - 6, color))
        body.append(_text(left + length + 5, yy + bar_height * 0.65, fmt(value)))
    return _frame(width, height, title, body)


def stacked_bars(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    title: str,
    *,
    negative: Sequence[str] = (),
    width: int = 640,
    height: int = 280,
) -> str:
    """Vertical stacked bars; series named in ``negative`` are drawn below zero (e.g. churned users)."""
    left, right, top, bottom = 60, width - 15, 40, height - 45
    n = max(len(labels), 1)
    ups = [sum(max(series[s][i], 0) for s in series if s not in negative) for i in range(len(labels))]
    downs = [-sum(abs(series[s][i]) for s in negative) for i in range(len(labels))]
    ticks = _nice_ticks(min(downs + [0.0]), max(ups + [0.0]))
    lo, hi = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return bottom - (bottom - top) * ((v - lo) / (hi - lo) if hi > lo else 0.5)

    body = _y_axis(ticks, y, left, right, lambda v: f"{v:,.0f}")
    slot = (right - left) / n
    bar = slot * 0.7
    for i, label in enumerate(labels):
        x0 = left + slot * i + (slot - bar) / 2
        up, down = 0.0, 0.0
        for k, (name, values) in enumerate(series.items()):
            value = abs(values[i])
            color = PALETTE[k % len(PALETTE)]
            if name in negative:
                y_top, y_bottom = y(down), y(down - value)
                down -= value
            else:
                y_top, y_bottom = y(up + value), y(up)
                up += value
            body.append(_rect(x0, y_top, bar, y_bottom - y_top, color))
        step = max(1, math.ceil(n / 8))
        if i % step == 0 or i == n - 1:
            body.append(_text(x0 + bar / 2, bottom + 16, str(label), anchor="middle", fill="#4A5568"))
    for k, name in enumerate(series):
        body.append(_rect(left + 110 * k, height - 18, 10, 10, PALETTE[k % len(PALETTE)]))
        body.append(_text(left + 110 * k + 14, height - 9, name))
    return _frame(width, height, title, body)
