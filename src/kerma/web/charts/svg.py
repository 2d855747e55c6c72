"""Small SVG chart primitives: axes with round ticks, lines, bars, boxes, heat maps, scatter plots.

Every text that comes from data (room names, exam names) is escaped here, since the SVG is placed in
pages as markup. Colours are the Okabe-Ito palette, readable with colour-vision deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from kerma.web.fmt import num, tick

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#7F7F7F",
    "#8C564B",
    "#1F77B4",
    "#BCBD22",
)
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"'
INK = "#1c2430"
MUTED = "#5b6675"
GRID = "#e3e8ef"


def colour(i: int) -> str:
    """The i-th series colour."""
    return PALETTE[i % len(PALETTE)]


def t(
    x: float,
    y: float,
    text: str,
    size: int = 12,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
    rotate: float | None = None,
) -> str:
    """A text element (escaped)."""
    rot = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate is not None else ""
    bold = ' font-weight="600"' if weight != "normal" else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
        f"{bold}{rot}>{escape(text)}</text>"
    )


def nice_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (whole numbers only for counts)."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * mag for m in steps if m * mag >= raw)
    if integer:
        step = max(1.0, step)
    start = math.floor(lo / step) * step
    ticks: list[float] = []
    v = start
    while v <= hi + step * 0.5 and len(ticks) < 50:
        ticks.append(round(v, 10))
        v += step
    return ticks


def labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels with the decimals the tick step needs."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return [tick(v, step) for v in ticks]


@dataclass(slots=True)
class Frame:
    """Plot area inside an SVG of a given size."""

    width: int = 820
    height: int = 320
    left: int = 70
    right: int = 20
    top: int = 16
    bottom: int = 46

    @property
    def w(self) -> float:
        """Plot width."""
        return self.width - self.left - self.right

    @property
    def h(self) -> float:
        """Plot height."""
        return self.height - self.top - self.bottom


def svg_open(frame: Frame, title: str) -> str:
    """The svg element with an accessible title and a white background."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}" role="img" {FONT}>'
        f"<title>{escape(title)}</title>"
        f'<rect width="{frame.width}" height="{frame.height}" fill="#ffffff"/>'
    )


def y_axis(frame: Frame, ticks: Sequence[float], lo: float, hi: float, label: str) -> str:
    """Horizontal grid lines with tick labels and the axis title."""
    parts = []
    for v, text in zip(ticks, labels(ticks), strict=True):
        if v < lo - 1e-9 or v > hi + 1e-9:
            continue
        y = frame.top + frame.h - (v - lo) / (hi - lo) * frame.h
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.left + frame.w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/>'
        )
        parts.append(t(frame.left - 6, y + 4, text, 11, "end", MUTED))
    parts.append(t(14, frame.top + frame.h / 2, label, 12, "middle", MUTED, rotate=-90))
    return "".join(parts)


def _date_ticks(d0: date, d1: date, n: int = 8) -> list[date]:
    days = max(1, (d1 - d0).days)
    if days > 400:
        months = [date(y, m, 1) for y in range(d0.year, d1.year + 1) for m in range(1, 13)]
        months = [m for m in months if d0 <= m <= d1]
        step = max(1, math.ceil(len(months) / n))
        return months[::step]
    if days > 120:
        months = [date(y, m, 1) for y in range(d0.year, d1.year + 1) for m in range(1, 13)]
        return [m for m in months if d0 <= m <= d1]
    step = max(1, days // n)
    return [date.fromordinal(d0.toordinal() + i) for i in range(0, days + 1, step)][: n + 1]


def _legend(names: Sequence[str], x: float, y: float, max_width: float) -> tuple[str, float]:
    """A wrapped legend; returns the markup and its height."""
    parts = []
    cx, cy = x, y
    for i, name in enumerate(names):
        label = name if len(name) <= 28 else name[:27] + "…"
        w = 26 + 7.2 * len(label)
        if cx + w > x + max_width and cx > x:
            cx = x
            cy += 18
        parts.append(
            f'<rect x="{cx:.1f}" y="{cy - 9:.1f}" width="12" height="12" rx="2" fill="{colour(i)}"/>'
        )
        parts.append(t(cx + 16, cy + 1, label, 11))
        cx += w
    return "".join(parts), cy - y + 18


def line_chart(
    series: dict[str, list[tuple[date, float]]],
    y_label: str,
    title: str,
    x_range: tuple[date, date] | None = None,
    max_gap_days: int | None = None,
    step: bool = False,
) -> str:
    """Lines over time, one per series, with markers and a legend below. A line breaks where two points
    are more than ``max_gap_days`` apart, so missing periods are not drawn as a trend; ``step`` draws a
    running total (flat between points)."""
    names = list(series)
    all_pts = [p for s in series.values() for p in s]
    d0 = min(p[0] for p in all_pts)
    d1 = max(p[0] for p in all_pts)
    if x_range is not None:
        d0, d1 = min(d0, x_range[0]), max(d1, x_range[1])
    if d1 == d0:
        d1 = date.fromordinal(d0.toordinal() + 1)
    ymax = max(p[1] for p in all_pts) * 1.08 or 1.0
    ticks = nice_ticks(0, ymax)
    hi = max(ticks[-1], ymax)
    legend, lh = _legend(names, 70, 0, 730)
    f = Frame(height=320 + int(lh))
    f.bottom = 46 + int(lh)
    span = (d1 - d0).days

    def px(d: date) -> float:
        return f.left + (d - d0).days / span * f.w

    def py(v: float) -> float:
        return f.top + f.h - v / hi * f.h

    parts = [svg_open(f, title), y_axis(f, ticks, 0, hi, y_label)]
    for d in _date_ticks(d0, d1):
        x = px(d)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top + f.h}" y2="{f.top + f.h + 4}" stroke="{MUTED}"/>'
        )
        parts.append(
            t(x, f.top + f.h + 17, d.strftime("%b %Y") if span > 120 else d.isoformat(), 11, "middle", MUTED)
        )
    parts.append(
        f'<line x1="{f.left}" x2="{f.left + f.w}" y1="{f.top + f.h}" y2="{f.top + f.h}" stroke="{MUTED}"/>'
    )
    for i, name in enumerate(names):
        pts = series[name]
        segs = []
        for j, (d, v) in enumerate(pts):
            gap = j > 0 and max_gap_days is not None and (d - pts[j - 1][0]).days > max_gap_days
            if step and j > 0:
                # a running total stays flat until the next study, then jumps
                segs.append(f"L{px(d):.1f},{py(pts[j - 1][1]):.1f}")
            segs.append(f"{'M' if j == 0 or gap else 'L'}{px(d):.1f},{py(v):.1f}")
        path = " ".join(segs)
        parts.append(f'<path d="{path}" fill="none" stroke="{colour(i)}" stroke-width="2"/>')
        for d, v in pts:
            parts.append(
                f'<circle cx="{px(d):.1f}" cy="{py(v):.1f}" r="2.6" fill="{colour(i)}">'
                f"<title>{escape(name)} {d.isoformat()}: {num(v)}</title></circle>"
            )
    parts.append(f'<g transform="translate(0 {f.top + f.h + 38})">{legend}</g>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(labels: Sequence[date], stacks: dict[str, list[int]], y_label: str, title: str) -> str:
    """Stacked vertical bars per period (e.g. studies per week, stacked by modality)."""
    names = list(stacks)
    totals = [sum(stacks[n][i] for n in names) for i in range(len(labels))]
    ymax = max(totals or [1]) or 1
    ticks = nice_ticks(0, ymax, integer=True)
    hi = max(ticks[-1], ymax)
    legend, lh = _legend(names, 70, 0, 730)
    f = Frame(height=300 + int(lh))
    f.bottom = 46 + int(lh)
    n = max(1, len(labels))
    slot = f.w / n
    bw = max(2.0, slot * 0.72)
    parts = [svg_open(f, title), y_axis(f, ticks, 0, hi, y_label)]
    every = max(1, math.ceil(n / 10))
    for i, d in enumerate(labels):
        x = f.left + i * slot + (slot - bw) / 2
        y = f.top + f.h
        for k, name in enumerate(names):
            v = stacks[name][i]
            if not v:
                continue
            h = v / hi * f.h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{colour(k)}">'
                f"<title>{escape(name)}, week of {d.isoformat()}: {v}</title></rect>"
            )
        if i % every == 0:
            parts.append(t(x + bw / 2, f.top + f.h + 17, d.strftime("%d %b"), 11, "middle", MUTED))
    parts.append(
        f'<line x1="{f.left}" x2="{f.left + f.w}" y1="{f.top + f.h}" y2="{f.top + f.h}" stroke="{MUTED}"/>'
    )
    parts.append(f'<g transform="translate(0 {f.top + f.h + 38})">{legend}</g>')
    parts.append("</svg>")
    return "".join(parts)


def histograms(
    groups: Sequence[tuple[str, list[int]]],
    edges: Sequence[float],
    x_label: str,
    title: str,
    columns: int = 3,
) -> str:
    """Small multiples: one histogram per group on the same x scale, each with its own count axis."""
    rows = math.ceil(len(groups) / columns)
    cell_w, cell_h = 820 / columns, 170
    width, height = 820, int(rows * cell_h + 30)
    f = Frame(width=width, height=height)
    parts = [svg_open(f, title)]
    lo, hi = edges[0], edges[-1]
    for gi, (name, counts) in enumerate(groups):
        ox = (gi % columns) * cell_w
        oy = (gi // columns) * cell_h
        pl, pr, pt_, pb = 44, 10, 30, 30
        w = cell_w - pl - pr
        h = cell_h - pt_ - pb
        cmax = max(counts or [1]) or 1
        parts.append(t(ox + pl, oy + 15, name if len(name) < 34 else name[:33] + "…", 12, weight="bold"))
        parts.append(t(ox + cell_w - pr, oy + 15, f"n = {sum(counts)}", 11, "end", MUTED))
        cticks = nice_ticks(0, cmax, 3, integer=True)
        for v, text in zip(cticks, labels(cticks), strict=True):
            if v > cmax:
                continue
            y = oy + pt_ + h - v / cmax * h
            parts.append(
                f'<line x1="{ox + pl}" x2="{ox + pl + w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            )
            parts.append(t(ox + pl - 4, y + 4, text, 10, "end", MUTED))
        bw = w / max(1, len(counts))
        for i, c in enumerate(counts):
            if not c:
                continue
            bh = c / cmax * h
            x = ox + pl + i * bw
            parts.append(
                f'<rect x="{x + 0.5:.1f}" y="{oy + pt_ + h - bh:.1f}" width="{max(bw - 1, 1):.1f}" '
                f'height="{bh:.1f}" fill="{colour(0)}"><title>{num(edges[i])}–{num(edges[i + 1])}: '
                f"{c}</title></rect>"
            )
        base = oy + pt_ + h
        parts.append(
            f'<line x1="{ox + pl}" x2="{ox + pl + w:.1f}" y1="{base:.1f}" y2="{base:.1f}" stroke="{MUTED}"/>'
        )
        xticks = nice_ticks(lo, hi, 4)
        for v, text in zip(xticks, labels(xticks), strict=True):
            if v < lo or v > hi:
                continue
            x = ox + pl + (v - lo) / (hi - lo) * w
            parts.append(t(x, base + 13, text, 10, "middle", MUTED))
    parts.append(t(width / 2, height - 6, x_label, 12, "middle", MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _value_axis(f: Frame, xmax: float, x_label: str, parts: list[str]) -> Callable[[float], float]:
    """Vertical grid lines, tick labels and the axis title of a horizontal chart from 0 to ``xmax``;
    returns the value-to-x mapping."""
    ticks = nice_ticks(0, xmax)
    hi = max(ticks[-1], xmax)

    def px(v: float) -> float:
        return f.left + v / hi * f.w

    for v, text in zip(ticks, labels(ticks), strict=True):
        if v > hi:
            continue
        x = px(v)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{f.top + f.h}" stroke="{GRID}"/>')
        parts.append(t(x, f.top + f.h + 15, text, 11, "middle", MUTED))
    parts.append(t(f.left + f.w / 2, f.height - 8, x_label, 12, "middle", MUTED))
    return px


def box_plot(
    boxes: Sequence[Any],
    x_label: str,
    title: str,
    reference: float | None = None,
    reference_label: str = "DRL",
) -> str:
    """Horizontal box plots (a row per group: whiskers, quartile box, median, n), optional reference line."""
    rows = len(boxes)
    f = Frame(height=40 + rows * 30 + 40, left=190, right=90, top=16, bottom=40)
    xmax = max([b.high for b in boxes] + ([reference] if reference else [])) * 1.05 or 1.0
    parts = [svg_open(f, title)]
    px = _value_axis(f, xmax, x_label, parts)
    for i, b in enumerate(boxes):
        name, n = b.name, b.n
        low, q1, med, q3, high = (getattr(b, k) for k in ("low", "q1", "median", "q3", "high"))
        cy = f.top + 14 + i * 30
        parts.append(t(f.left - 8, cy + 4, name if len(name) < 28 else name[:27] + "…", 12, "end"))
        parts.append(f'<line x1="{px(low):.1f}" x2="{px(high):.1f}" y1="{cy}" y2="{cy}" stroke="{MUTED}"/>')
        for v in (low, high):
            parts.append(
                f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{cy - 6}" y2="{cy + 6}" stroke="{MUTED}"/>'
            )
        parts.append(
            f'<rect x="{px(q1):.1f}" y="{cy - 10}" width="{max(px(q3) - px(q1), 1):.1f}" height="20" '
            f'fill="#cfe3f5" stroke="{colour(0)}"><title>{escape(name)}: median {num(med)}, '
            f"quartiles {num(q1)}–{num(q3)}, n = {n}</title></rect>"
        )
        parts.append(
            f'<line x1="{px(med):.1f}" x2="{px(med):.1f}" y1="{cy - 10}" y2="{cy + 10}" '
            f'stroke="{INK}" stroke-width="2.5"/>'
        )
        parts.append(t(f.left + f.w + 8, cy + 4, f"{num(med)} (n={n})", 11, fill=MUTED))
    if reference:
        x = px(reference)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{f.top + f.h}" stroke="#b3261e" '
            f'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(t(x + 4, f.top + 10, f"{reference_label} {num(reference)}", 11, fill="#b3261e"))
    parts.append("</svg>")
    return "".join(parts)


def bars_vs_reference(items: Sequence[tuple[str, float, float | None, int]], x_label: str, title: str) -> str:
    """Horizontal bars (median per exam) with each exam's reference level (DRL) marked; red when above."""
    f = Frame(height=40 + len(items) * 28 + 44, left=230, right=120)
    xmax = max([m for _, m, _, _ in items] + [r for _, _, r, _ in items if r]) * 1.08 or 1.0
    parts = [svg_open(f, title)]
    px = _value_axis(f, xmax, x_label, parts)
    for i, (name, median, ref, n) in enumerate(items):
        cy = f.top + 14 + i * 28
        over = ref is not None and median > ref
        fill = "#D55E00" if over else colour(0)
        parts.append(t(f.left - 8, cy + 4, name if len(name) < 34 else name[:33] + "…", 12, "end"))
        parts.append(
            f'<rect x="{f.left}" y="{cy - 9}" width="{max(px(median) - f.left, 1):.1f}" height="18" '
            f'fill="{fill}"><title>{escape(name)}: median {num(median)}'
            f"{', DRL ' + num(ref) if ref else ''}, n = {n}</title></rect>"
        )
        if ref:
            x = px(ref)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{cy - 13}" y2="{cy + 13}" stroke="{INK}" '
                f'stroke-width="3"/>'
            )
        pct = f" · {median / ref * 100:.0f} % of DRL" if ref else ""
        parts.append(
            t(f.left + f.w + 6, cy + 4, f"{num(median)}{pct}", 11, fill="#b3261e" if over else MUTED)
        )
    parts.append("</svg>")
    return "".join(parts)


def heatmap(grid: Sequence[Sequence[int]], row_labels: Sequence[str], title: str) -> str:
    """Weekday × hour counts as shaded cells with the count written in busy cells."""
    f = Frame(height=7 * 34 + 70, left=56, right=20, top=16, bottom=50)
    cw = f.w / 24
    ch = f.h / 7
    top = max((v for row in grid for v in row), default=0) or 1
    parts = [svg_open(f, title)]
    for r, row in enumerate(grid):
        parts.append(t(f.left - 8, f.top + r * ch + ch / 2 + 4, row_labels[r], 12, "end"))
        for c, v in enumerate(row):
            share = v / top
            # white to dark blue, perceptually even enough for counts
            shade = (
                int(255 - share * (255 - 29)),
                int(255 - share * (255 - 78)),
                int(255 - share * (255 - 137)),
            )
            x = f.left + c * cw
            y = f.top + r * ch
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw - 1:.1f}" height="{ch - 1:.1f}" '
                f'fill="rgb{shade}"><title>{row_labels[r]} {c:02d}:00–{c:02d}:59: {v} studies</title></rect>'
            )
            if v and cw > 24:
                parts.append(
                    t(x + cw / 2, y + ch / 2 + 4, str(v), 10, "middle", "#fff" if share > 0.55 else INK)
                )
    for c in range(0, 24, 2):
        parts.append(t(f.left + c * cw + cw / 2, f.top + f.h + 15, f"{c:02d}", 11, "middle", MUTED))
    parts.append(
        t(f.left + f.w / 2, f.height - 10, "hour of day (local time of the study)", 12, "middle", MUTED)
    )
    parts.append("</svg>")
    return "".join(parts)


def scatter(points: Sequence[tuple[float, float, str]], x_label: str, y_label: str, title: str) -> str:
    """Points coloured by group, with a legend below."""
    names = list(dict.fromkeys(p[2] for p in points))
    index = {n: i for i, n in enumerate(names)}
    xs = [p[0] for p in points]
    ys = sorted(p[1] for p in points)
    # the axis stops at the 99.5th percentile so one absurd value does not flatten the cloud
    ytop = ys[min(len(ys) - 1, int(len(ys) * 0.995))] * 1.08 or 1.0
    xlo, xhi = min(xs), max(xs)
    xt = nice_ticks(max(0.0, xlo - 5), xhi + 5)
    yt = nice_ticks(0, ytop)
    x0, x1 = xt[0], xt[-1]
    y1 = max(yt[-1], ytop)
    legend, lh = _legend(names, 70, 0, 730)
    f = Frame(height=360 + int(lh))
    f.bottom = 60 + int(lh)
    parts = [svg_open(f, title), y_axis(f, yt, 0, y1, y_label)]
    for v, text in zip(xt, labels(xt), strict=True):
        x = f.left + (v - x0) / (x1 - x0) * f.w
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{f.top + f.h}" stroke="{GRID}"/>')
        parts.append(t(x, f.top + f.h + 15, text, 11, "middle", MUTED))
    parts.append(t(f.left + f.w / 2, f.top + f.h + 34, x_label, 12, "middle", MUTED))
    clipped = 0
    for x, y, g in points:
        if y > y1:
            clipped += 1
            continue
        cx = f.left + (x - x0) / (x1 - x0) * f.w
        cy = f.top + f.h - y / y1 * f.h
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.4" fill="{colour(index[g])}" fill-opacity="0.6"/>'
        )
    if clipped:
        parts.append(t(f.left + f.w, f.top + 10, f"{clipped} points above the axis", 11, "end", MUTED))
    parts.append(f'<g transform="translate(0 {f.top + f.h + 52})">{legend}</g>')
    parts.append("</svg>")
    return "".join(parts)
