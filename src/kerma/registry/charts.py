"""Small SVG charts for the registry report and pages, drawn directly (no plotting library): a strip
chart of facility medians on a log axis, a heat map of exams by year, and a scatter plot of clusters.
"""

# ruff: noqa: E501 - SVG, XML and HTML markup reads better unbroken than split at 110 characters

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

BLUE = "#1f5fa8"
RED = "#c0392b"
GREY = "#888888"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def _fmt(v: float) -> str:
    if v >= 100:
        return f"{v:.0f}"
    if v >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"


def _log_ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            t = m * 10**e
            if lo <= t <= hi:
                ticks.append(t)
    return ticks


def strip_chart(
    values: Sequence[float],
    drl: float | None,
    proposed: float,
    achievable: float,
    p25: float,
    title: str,
    width: int = 330,
    height: int = 120,
) -> str:
    """Facility medians as dots on a log axis, the P25-P75 box with its median, the DRL in force (red,
    dashed) and the proposed DRL (blue)."""
    vals = [v for v in values if v > 0]
    pts = vals + [x for x in (drl, proposed, achievable, p25) if x and x > 0]
    lo, hi = min(pts) / 1.3, max(pts) * 1.3
    left, right, top, axis_y = 10, width - 10, 20, height - 22

    def x(v: float) -> float:
        return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (right - left)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="8">',
        f'<text x="{left}" y="11" font-size="9" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="#333" stroke-width="0.6"/>',
    ]
    for t in _log_ticks(lo, hi):
        out.append(
            f'<line x1="{x(t):.1f}" y1="{axis_y}" x2="{x(t):.1f}" y2="{axis_y + 3}" stroke="#333" stroke-width="0.5"/>'
        )
        out.append(f'<text x="{x(t):.1f}" y="{axis_y + 11}" text-anchor="middle">{_fmt(t)}</text>')
    box_top, box_bottom = top + 10, axis_y - 8
    out.append(
        f'<rect x="{x(p25):.1f}" y="{box_top}" width="{max(1.0, x(proposed) - x(p25)):.1f}" '
        f'height="{box_bottom - box_top}" fill="#dfe9f5" stroke="{BLUE}" stroke-width="0.6"/>'
    )
    out.append(
        f'<line x1="{x(achievable):.1f}" y1="{box_top}" x2="{x(achievable):.1f}" y2="{box_bottom}" '
        f'stroke="{BLUE}" stroke-width="1.2"/>'
    )
    mid = (box_top + box_bottom) / 2
    for i, v in enumerate(sorted(vals)):
        jitter = ((i * 37) % 11 - 5) * (box_bottom - box_top) / 14
        out.append(
            f'<circle cx="{x(v):.1f}" cy="{mid + jitter:.1f}" r="1.8" fill="#333" fill-opacity="0.7"/>'
        )
    out.append(
        f'<line x1="{x(proposed):.1f}" y1="{top}" x2="{x(proposed):.1f}" y2="{axis_y}" stroke="{BLUE}" stroke-width="1.6"/>'
    )
    # Labels sit on either side of their lines so they never overlap: the lower value's label to the left.
    drl_left = bool(drl) and drl is not None and drl < proposed
    p_anchor, p_dx = ("start", 2) if drl_left else ("end", -2)
    out.append(
        f'<text x="{x(proposed) + p_dx:.1f}" y="{top + 4}" text-anchor="{p_anchor}" fill="{BLUE}">'
        f"proposed {_fmt(proposed)}</text>"
    )
    if drl:
        out.append(
            f'<line x1="{x(drl):.1f}" y1="{top}" x2="{x(drl):.1f}" y2="{axis_y}" stroke="{RED}" '
            f'stroke-width="1.4" stroke-dasharray="3,2"/>'
        )
        d_anchor, d_dx = ("end", -2) if drl_left else ("start", 2)
        out.append(
            f'<text x="{x(drl) + d_dx:.1f}" y="{top + 4}" text-anchor="{d_anchor}" fill="{RED}">DRL {_fmt(drl)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _heat_colour(share: float) -> str:
    # 0 -> light green, 0.25 -> yellow, >= 0.5 -> red
    s = max(0.0, min(1.0, share / 0.5))
    if s < 0.5:
        r, g, b = int(200 + 110 * s), 230, int(200 - 200 * s)
    else:
        r, g, b = 255, int(230 - 330 * (s - 0.5)), 100 - int(100 * (s - 0.5))
    return f"rgb({min(r, 255)},{max(g, 60)},{max(b, 0)})"


def heatmap(
    rows: Sequence[str], years: Sequence[int], cells: dict[tuple[str, int], float], cell_w: int = 56
) -> str:
    """Exams (rows) by year (columns): share of exams above the DRL, coloured and written in the cell."""
    label_w, cell_h, head = 190, 15, 18
    width = max(label_w + cell_w * max(1, len(years)) + 4, label_w + 5 * 40 + 20)
    height = head + cell_h * len(rows) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="8">'
    ]
    for j, y in enumerate(years):
        out.append(
            f'<text x="{label_w + j * cell_w + cell_w / 2}" y="12" text-anchor="middle" font-weight="bold">{y}</text>'
        )
    for i, name in enumerate(rows):
        ty = head + i * cell_h
        out.append(f'<text x="{label_w - 4}" y="{ty + 10}" text-anchor="end">{escape(name)}</text>')
        for j, y in enumerate(years):
            share = cells.get((name, y))
            fill = "#f0f0f0" if share is None else _heat_colour(share)
            out.append(
                f'<rect x="{label_w + j * cell_w}" y="{ty}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
            )
            text = "–" if share is None else f"{share * 100:.0f} %"
            out.append(
                f'<text x="{label_w + j * cell_w + cell_w / 2 - 1}" y="{ty + 10}" text-anchor="middle">{text}</text>'
            )
    ly = head + cell_h * len(rows) + 8
    for k, share in enumerate((0.0, 0.1, 0.25, 0.4, 0.5)):
        out.append(
            f'<rect x="{label_w + k * 40}" y="{ly}" width="38" height="8" fill="{_heat_colour(share)}"/>'
        )
        out.append(
            f'<text x="{label_w + k * 40 + 19}" y="{ly + 16}" text-anchor="middle">{share * 100:.0f} %{"+" if share == 0.5 else ""}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def scatter(
    points: Sequence[tuple[float, float, str, int]],
    xlabel: str,
    ylabel: str,
    width: int = 330,
    height: int = 220,
    label_points: bool = True,
) -> str:
    """Points coloured by cluster, with axis labels; point labels when there are few points."""
    if not points:
        return ""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    dx, dy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    x0, x1, y0, y1 = x0 - dx * 0.1, x1 + dx * 0.1, y0 - dy * 0.1, y1 + dy * 0.1
    left, right, top, bottom = 36, width - 10, 10, height - 30

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (right - left)

    def py(v: float) -> float:
        return bottom - (v - y0) / (y1 - y0) * (bottom - top)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="7">',
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999" stroke-width="0.5"/>',
    ]
    for k in range(5):
        vx = x0 + (x1 - x0) * k / 4
        vy = y0 + (y1 - y0) * k / 4
        out.append(f'<text x="{px(vx):.1f}" y="{bottom + 9}" text-anchor="middle">{vx:.2f}</text>')
        out.append(f'<text x="{left - 3}" y="{py(vy) + 2:.1f}" text-anchor="end">{vy:.2f}</text>')
    out.append(
        f'<text x="{(left + right) / 2}" y="{height - 6}" text-anchor="middle" font-size="8">{escape(xlabel)}</text>'
    )
    out.append(
        f'<text x="9" y="{(top + bottom) / 2}" text-anchor="middle" font-size="8" '
        f'transform="rotate(-90 9 {(top + bottom) / 2})">{escape(ylabel)}</text>'
    )
    for xv, yv, name, cl in points:
        colour = PALETTE[cl % len(PALETTE)]
        out.append(f'<circle cx="{px(xv):.1f}" cy="{py(yv):.1f}" r="2.6" fill="{colour}"/>')
        if label_points and len(points) <= 40:
            out.append(f'<text x="{px(xv) + 3:.1f}" y="{py(yv) - 2:.1f}" font-size="6">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)
