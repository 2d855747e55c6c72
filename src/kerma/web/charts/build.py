"""The dashboard's charts: data from kerma.web.data.stats, drawn by kerma.web.charts.svg, with the same
data as CSV columns and rows. An empty chart always says why it is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from kerma.web import capabilities
from kerma.web.charts import svg
from kerma.web.data import stats
from kerma.web.data.lookups import cached_modalities
from kerma.web.data.studies import StudyFilter, latest_study_date
from kerma.web.fmt import STUDY_QUANTITIES


@dataclass(slots=True)
class Chart:
    """One chart: its SVG (or why there is none) and its data as columns and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    svg: str | None = None
    empty: str | None = None
    note: str | None = None
    csv_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (without the SVG)."""
        return {
            "name": self.name,
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "empty": self.empty,
            "note": self.note,
        }


def chart_defaults(engine: Engine, f: StudyFilter, chart: str = "") -> StudyFilter:
    """Charts without dates show the 12 months up to the newest study (the weekly counts: 12 weeks);
    dose charts without a modality show CT (or the first modality stored), so they compare like with like."""
    changes: dict[str, Any] = {}
    if f.date_from is None and f.date_to is None:
        last = latest_study_date(engine)
        if last is not None and chart == "weekly":
            # the overview's chart: the 12 weeks up to the newest study
            changes.update(date_from=last - timedelta(days=last.weekday(), weeks=11), date_to=last)
        elif last is not None:
            changes.update(date_from=last - timedelta(days=364), date_to=last)
    if not f.modality and chart != "weekly":
        mods = cached_modalities(engine)
        if mods:
            changes["modality"] = ("CT",) if "CT" in mods else (mods[0],)
    return replace(f, **changes) if changes else f


def _describe(f: StudyFilter) -> str:
    parts = []
    if f.modality:
        parts.append(", ".join(f.modality))
    if f.exam_code:
        parts.append(f"exam {f.exam_code}")
    if f.date_from or f.date_to:
        parts.append(f"{f.date_from or '…'} to {f.date_to or '…'}")
    return " · ".join(parts)


NO_DATA = "No studies with a {q} match these filters: widen the dates, choose another modality or exam."


def weekly_counts(engine: Engine, f: StudyFilter) -> Chart:
    """Studies per modality per week."""
    data = stats.weekly_counts(engine, f)
    chart = Chart("weekly", "Studies per week by modality", ["week_start", "modality", "studies"])
    chart.rows = [[d.isoformat(), m, n] for d, m, n in data]
    if not data:
        chart.empty = "No studies in this period."
        return chart
    weeks = sorted({d for d, _, _ in data})
    # weeks without any study still get their (empty) slot, so gaps show
    full = [weeks[0] + timedelta(weeks=i) for i in range((weeks[-1] - weeks[0]).days // 7 + 1)]
    mods = sorted({m for _, m, _ in data})
    stacks = {m: [0] * len(full) for m in mods}
    index = {d: i for i, d in enumerate(full)}
    for d, m, n in data:
        stacks[m][index[d]] += n
    chart.svg = svg.stacked_bars(full, stacks, "studies per week", chart.title)
    return chart


def trend(engine: Engine, f: StudyFilter) -> Chart:
    """Median dose per room over time (weekly up to four months, monthly beyond)."""
    quantity = stats.chart_quantity(f)
    q = STUDY_QUANTITIES[quantity]
    monthly = bool(f.date_from and f.date_to and (f.date_to - f.date_from).days > 120)
    period = "month" if monthly else "week"
    series = stats.room_median_series(engine, f, quantity, monthly)
    chart = Chart(
        "trend",
        f"Median {q.label} per {period} and room",
        ["room", f"{period}_start", f"median_{quantity}", "studies"],
    )
    chart.rows = [[room, d.isoformat(), med, n] for room, pts in series.items() for d, med, n in pts]
    if not series:
        chart.empty = NO_DATA.format(q=q.label)
        return chart
    chart.svg = svg.line_chart(
        {room: [(d, m) for d, m, _ in pts] for room, pts in series.items()},
        f"median {q.title}",
        chart.title,
        x_range=(f.date_from, f.date_to) if f.date_from and f.date_to else None,
        max_gap_days=45 if monthly else 10,
    )
    chart.note = (
        f"{_describe(f)}. Points are {period}s with at least 2 studies; lines break over empty {period}s."
        + ("" if f.exam_code else " Choose an exam code to compare like with like.")
    )
    return chart


def boxplot(engine: Engine, f: StudyFilter) -> Chart:
    """Distribution per room: quartiles, median, Tukey whiskers."""
    quantity = stats.chart_quantity(f)
    q = STUDY_QUANTITIES[quantity]
    boxes = stats.room_boxes(engine, f, quantity)
    chart = Chart(
        "boxplot",
        f"{q.label} per room",
        ["room", "studies", "min_whisker", "q1", "median", "q3", "max_whisker", "mean", "outliers"],
    )
    chart.rows = [[b.name, b.n, b.low, b.q1, b.median, b.q3, b.high, b.mean, b.outliers] for b in boxes]
    if not boxes:
        chart.empty = NO_DATA.format(q=q.label) + " (A room needs at least 5 studies.)"
        return chart
    chart.svg = svg.box_plot(boxes, q.title, chart.title)
    chart.note = f"{_describe(f)}. Box: quartiles; bar: median; whiskers: 1.5 × IQR; rooms with ≥ 5 studies."
    return chart


def histogram(engine: Engine, f: StudyFilter) -> Chart:
    """One histogram per room on a shared dose axis."""
    quantity = stats.chart_quantity(f)
    q = STUDY_QUANTITIES[quantity]
    edges, groups = stats.room_histograms(engine, f, quantity)
    columns = ["room", "bin_from", "bin_to", "studies"]
    chart = Chart("histogram", f"Distribution of {q.label} per room", columns)
    if len(edges) < 2 or not groups:
        chart.empty = NO_DATA.format(q=q.label)
        return chart
    for name, counts in groups:
        chart.rows += [[name, stats.sig(edges[i]), stats.sig(edges[i + 1]), c] for i, c in enumerate(counts)]
    chart.svg = svg.histograms(groups, edges, q.title, chart.title)
    chart.note = f"{_describe(f)}. The axis ends at the 99th percentile; the 12 busiest rooms are shown."
    return chart


def heat(engine: Engine, f: StudyFilter) -> Chart:
    """Modality load: studies by weekday and hour."""
    grid = stats.heatmap(engine, f)
    chart = Chart(
        "heatmap", "Modality load: studies by weekday and hour", ["weekday", *[f"{h:02d}" for h in range(24)]]
    )
    chart.rows = [[stats.WEEKDAYS[i], *row] for i, row in enumerate(grid)]
    if not any(any(r) for r in grid):
        chart.empty = "No studies in this period."
        return chart
    chart.svg = svg.heatmap(grid, stats.WEEKDAYS, chart.title)
    chart.note = _describe(f) + "."
    return chart


def size_scatter(engine: Engine, f: StudyFilter) -> Chart:
    """Dose against patient weight, coloured by room."""
    quantity = stats.chart_quantity(f)
    q = STUDY_QUANTITIES[quantity]
    pts, total = stats.size_sample(engine, f, quantity)
    chart = Chart("scatter", f"{q.label} against patient weight", ["weight_kg", quantity, "room"])
    chart.rows = [[w, x, room] for w, x, room in pts]
    if not pts:
        chart.empty = (
            f"No study in this selection has both a {q.label} and a patient weight. Weights come from the "
            "modality (Patient's Weight) or from `kerma patients correct`."
        )
        return chart
    chart.svg = svg.scatter(pts, "patient weight (kg)", q.title, chart.title)
    chart.note = f"{_describe(f)}. {len(pts)} of {total} studies with a weight shown (an even sample)."
    return chart


def drl_medians(engine: Engine, f: StudyFilter) -> Chart:
    """Median per exam against its DRL (from the DRL capability), for one quantity."""
    chart = Chart(
        "drl",
        "Median per exam against the DRL",
        ["exam_code", "exam_name", "band", "quantity", "per", "median", "drl", "ratio", "studies", "valid"],
    )
    try:
        rows = capabilities.drl_medians(engine, f)
    except capabilities.CapabilityFailed as exc:
        chart.empty = str(exc)
        return chart
    if rows is None:
        chart.empty = "DRL comparison is not available in this installation."
        return chart
    chart.rows = [[r[c] for c in chart.columns] for r in rows]
    if not rows:
        chart.empty = (
            "No exam of this selection has a DRL in force. Map local exam names to exam codes (Mapping) "
            "and make a DRL set active (DRL); only mapped studies can be compared."
        )
        return chart
    quantity = rows[0]["quantity"]
    same = [r for r in rows if r["quantity"] == quantity]
    unit = same[0]["unit"]
    items = []
    for r in sorted(same, key=lambda r: -(r["ratio"] or 0))[:30]:
        label = str(r["exam_name"] or r["exam_code"])
        if r["band"] not in (None, "all", "adult"):
            label += f" ({r['band']})"
        items.append((label, float(r["median"]), float(r["drl"]), int(r["studies"] or 0)))
    per = " per exposure" if same[0]["per"] == "exposure" else ""
    chart.title = f"Median {quantity.split('_')[0].upper()}{per} per exam against the DRL"
    chart.svg = svg.bars_vs_reference(items, f"median ({unit})", chart.title)
    chart.note = (
        f"{_describe(f)}. Black tick: DRL in force; orange bars are above it. A median needs "
        "enough studies to be a valid comparison (see the DRL page)."
    )
    return chart


CHARTS: dict[str, Callable[[Engine, StudyFilter], Chart]] = {
    "weekly": weekly_counts,
    "trend": trend,
    "boxplot": boxplot,
    "histogram": histogram,
    "drl": drl_medians,
    "heatmap": heat,
    "scatter": size_scatter,
}


def overview_weeks(engine: Engine, weeks: int = 12) -> tuple[StudyFilter, date | None]:
    """Filter for the overview: the last ``weeks`` weeks up to the newest study."""
    last = latest_study_date(engine)
    if last is None:
        return StudyFilter(), None
    start = last - timedelta(days=last.weekday()) - timedelta(weeks=weeks - 1)
    return StudyFilter(date_from=start, date_to=last), last
