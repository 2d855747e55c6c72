"""The registry report as PDF (WeasyPrint): summary, proposed national DRLs, charts of facility medians,
heat map of exams by year, comparison with other countries, outliers, clusters and data quality.

Charts are inline SVG drawn by :mod:`kerma.registry.charts`. The pseudonymised version names no
facility and no file: facilities appear under their pseudonyms and files by submission number.
"""

# ruff: noqa: E501 - SVG, XML and HTML markup reads better unbroken than split at 110 characters

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from html import escape
from pathlib import Path

from sqlalchemy import Engine, func, select

from kerma.registry.analysis import Analysis, ExamResult, analyse
from kerma.registry.charts import heatmap, scatter, strip_chart
from kerma.registry.keys import labels
from kerma.store.schema.registry import registry_repairs, registry_rows, registry_submissions

UNIT = {"ctdivol_mgy": "mGy", "dlp_mgy_cm": "mGy·cm", "dap_gy_cm2": "Gy·cm²", "agd_mgy": "mGy"}
QNAME = {"ctdivol_mgy": "CTDIvol", "dlp_mgy_cm": "DLP", "dap_gy_cm2": "DAP", "agd_mgy": "AGD"}

CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: "Kerma registry report"; font-family: "DejaVu Sans", sans-serif; font-size: 7pt;
    color: #777; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font-family: "DejaVu Sans", sans-serif;
    font-size: 7pt; color: #777; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #222; }
h1 { font-size: 17pt; margin: 0 0 4mm 0; color: #1f3f68; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; color: #1f3f68; border-bottom: 0.6pt solid #1f3f68; }
h3 { font-size: 9.5pt; margin: 3mm 0 1mm 0; }
p { margin: 1mm 0 2mm 0; line-height: 1.35; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; font-size: 7.5pt; table-layout: fixed; }
table.auto { table-layout: auto; }
td { overflow-wrap: break-word; }
th { background: #e4ecf6; text-align: left; padding: 1.2mm 1.4mm; border-bottom: 0.6pt solid #9ab; }
td { padding: 0.9mm 1.4mm; border-bottom: 0.3pt solid #ddd; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
th.n { text-align: right; }
table.drl { font-size: 7pt; }
tr { page-break-inside: avoid; }
.kpis { margin: 2mm 0 4mm 0; }
.kpi { display: inline-block; border: 0.6pt solid #c5d3e3; border-radius: 2mm; padding: 2mm 3mm; width: 36mm;
  margin: 0 2mm 2mm 0; vertical-align: top; }
.kpi b { display: block; font-size: 13pt; color: #1f3f68; }
table.charts { table-layout: fixed; }
table.charts td { border: none; padding: 1mm 0 2mm 0; width: 50%; }
.note { color: #666; font-size: 7.5pt; }
td.key { white-space: nowrap; font-size: 7pt; }
.warn { color: #a33; }
.section { page-break-before: always; }
"""


def _f(v: float | None, digits: int = 3) -> str:
    if v is None:
        return ""
    if v >= 100:
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.{digits}g}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v * 100:.0f} %"


def _rule_group(rule: str) -> str:
    return re.split(r"[:(]", rule, maxsplit=1)[0].strip()


def _reason_group(reason: str) -> str:
    text = re.sub(r"\d+", "N", reason.split(";")[0])
    text = re.sub(r"'[^']*'", "'…'", text)
    return text[:90]


def write_report(
    engine: Engine,
    out: Path,
    years: Sequence[int] | None = None,
    pseudonymised: bool = False,
    outlier_factor: float = 5.0,
    actor: str = "cli",
) -> int:
    """Write the PDF; returns its page count."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # loaded only when a report is written

    a = analyse(engine, years, outlier_factor)
    html = build_html(engine, a, pseudonymised, actor)
    doc = HTML(string=html).render()
    doc.write_pdf(str(out))
    return len(doc.pages)


def build_html(engine: Engine, a: Analysis, pseudonymised: bool, actor: str = "cli") -> str:
    """The report as HTML (what WeasyPrint lays out)."""
    with engine.begin() as conn:
        facility_keys = {f.facility_key for e in a.exams for f in e.facilities} | {
            o.facility_key for o in a.outliers
        }
        names = {} if pseudonymised else labels(conn, facility_keys, actor, "registry report")
        rules = Counter[str]()
        for rule, n in conn.execute(
            select(registry_repairs.c.rule, func.count()).group_by(registry_repairs.c.rule)
        ):
            rules[_rule_group(rule)] += n
        reasons = Counter[str]()
        stmt = select(registry_rows.c.reason, func.count()).where(registry_rows.c.status == "rejected")
        if a.years:
            stmt = stmt.where(registry_rows.c.year.in_(a.years))
        for reason, n in conn.execute(stmt.group_by(registry_rows.c.reason)):
            reasons[_reason_group(reason or "no reason")] += n
        subs = conn.execute(
            select(
                registry_submissions.c.id,
                registry_submissions.c.source_file,
                registry_submissions.c.status,
                registry_submissions.c.reason,
                registry_submissions.c.rows_total,
            ).order_by(registry_submissions.c.id)
        ).all()

    def who(key: str) -> str:
        return escape(names.get(key, key))

    def file_name(sid: int, name: str) -> str:
        return f"submission #{sid}" if pseudonymised else escape(name)

    years_text = ", ".join(str(y) for y in a.years) or "no data"
    parts = [f"<html><head><meta charset='utf-8'><style>{CSS}</style></head><body>"]
    parts.append(f"<h1>DRL registry report {years_text}</h1>")
    parts.append(
        f"<p>Prepared {date.today().isoformat()} by Kerma. "
        + (
            "Facilities are shown under their pseudonyms; this version names no facility. "
            if pseudonymised
            else "<span class='warn'>This version names facilities: for the authority only.</span> "
        )
        + "Proposed DRL = 75th percentile of the distribution of facility medians (ICRP 135); achievable dose = "
        "median of that distribution; for comparison with sets made by the older method, the 75th percentile of "
        "facility means. Rows that report the mean of n exams count n times. Percentiles: linear interpolation "
        "between closest ranks.</p>"
    )
    c = a.counts
    n_rows = sum(v for k, v in c.items() if k in ("ok", "repaired", "rejected"))
    kpis = [
        ("survey files", len(subs)),
        ("facilities", c.get("facilities", 0)),
        ("rows read", n_rows),
        ("rows used", c.get("ok", 0) + c.get("repaired", 0)),
        ("of them repaired", c.get("repaired", 0)),
        ("rows rejected (kept)", c.get("rejected", 0)),
        ("cell repairs logged", sum(rules.values())),
        ("outlier findings", len(a.outliers)),
    ]
    parts.append(
        "<div class='kpis'>"
        + "".join(f"<div class='kpi'><b>{v:,}</b>{k}</div>".replace(",", " ") for k, v in kpis)
        + "</div>"
    )
    parts.append(_drl_table(a.exams))
    parts.append("<h2 class='section'>Facility medians per exam</h2>")
    parts.append(
        "<p>Each dot is one facility's median. Blue box: 25th to 75th percentile of facility medians, blue bar: "
        "their median (achievable dose), blue line: proposed DRL (75th percentile). Red dashed line: the DRL in "
        f"force. Logarithmic axis. Survey year {max(a.years) if a.years else ''}.</p><table class='charts'>"
    )
    latest = max(a.years) if a.years else None
    charts = []
    for e in a.exams:
        if e.year != latest:
            continue
        title = f"{e.exam_code} {e.exam_name[:26]}: {QNAME[e.quantity]} ({UNIT[e.quantity]}), {e.n_facilities} facilities"
        charts.append(
            strip_chart(
                [f.median for f in e.facilities],
                e.current.value if e.current else None,
                e.proposed_drl,
                e.achievable,
                e.p25,
                title,
            )
        )
    for i in range(0, len(charts), 2):
        pair = charts[i : i + 2] + [""] * (2 - len(charts[i : i + 2]))
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in pair) + "</tr>")
    parts.append("</table>")
    parts.append(_heat_section(a))
    parts.append(_countries_section(a.exams, latest))
    parts.append(_outlier_section(a, who))
    parts.append(_cluster_section(a, names))
    parts.append("<h2 class='section'>Data quality: repairs and rejections</h2>")
    parts.append(
        "<p>Every change made while reading the files is logged per cell (file, sheet, row, column, old "
        "value, new value, rule) and can be exported with <code>kerma registry export --repairs</code>. "
        "Rows that could not be repaired are kept with their reason and not used.</p>"
    )
    parts.append("<h3>Repairs by rule</h3><table class='auto'><tr><th>rule</th><th class='n'>cells</th></tr>")
    for rule, n in rules.most_common(20):
        parts.append(f"<tr><td>{escape(rule)}</td><td class='n'>{n}</td></tr>")
    if not rules:
        parts.append("<tr><td colspan='2'>none: every cell was read as written</td></tr>")
    parts.append(
        "</table><h3>Rejected rows by reason</h3><table class='auto'><tr><th>reason</th><th class='n'>rows</th></tr>"
    )
    for reason, n in reasons.most_common(15):
        parts.append(f"<tr><td>{escape(reason)}</td><td class='n'>{n}</td></tr>")
    if not reasons:
        parts.append("<tr><td colspan='2'>none</td></tr>")
    parts.append("</table>")
    odd = [s for s in subs if s.status != "ok"]
    if odd:
        parts.append(
            "<h3>Files rejected or flagged</h3><table class='auto'><tr><th>file</th><th>status</th><th>reason</th></tr>"
        )
        for s in odd[:60]:
            reason = s.reason or (
                "claims a facility and year already submitted: overlapping rows not counted"
                if s.status == "flagged"
                else ""
            )
            parts.append(
                f"<tr><td>{file_name(s.id, s.source_file)}</td><td>{escape(s.status)}</td><td>{escape(reason)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _drl_table(exams: Sequence[ExamResult]) -> str:
    widths = (10, 42, 16, 12, 12, 14, 15, 14, 20, 13, 14)
    cols = "".join(f"<col style='width:{w}mm'>" for w in widths)
    rows = [
        f"<h2>Proposed national DRLs</h2><table class='drl'><colgroup>{cols}</colgroup><tr><th>year</th>"
        "<th>exam</th><th>quantity</th><th class='n'>facil&shy;ities</th><th class='n'>exams</th>"
        "<th class='n'>achiev&shy;able</th><th class='n'>proposed DRL</th><th class='n'>P75 of means</th>"
        "<th class='n'>DRL in force</th><th class='n'>proposed / in force</th><th class='n'>exams above DRL</th></tr>"
    ]
    for e in exams:
        flag = "" if e.valid else " <span class='warn'>(too few facilities)</span>"
        cur = (
            f"{_f(e.current.value)}<br><span class='note'>{escape(e.current.set_key)}</span>"
            if e.current
            else ""
        )
        rows.append(
            f"<tr><td>{e.year}</td><td><b>{escape(e.exam_code)}</b><br>{escape(e.exam_name[:48])}{flag}</td>"
            f"<td>{QNAME[e.quantity]} ({UNIT[e.quantity]})</td><td class='n'>{e.n_facilities}</td>"
            f"<td class='n'>{e.n_exams}</td><td class='n'>{_f(e.achievable)}</td>"
            f"<td class='n'><b>{_f(e.proposed_drl)}</b></td><td class='n'>{_f(e.p75_of_means)}</td>"
            f"<td class='n'>{cur}</td><td class='n'>{_f(e.ratio_to_current, 2)}</td>"
            f"<td class='n'>{_pct(e.share_exams_above_drl)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _heat_section(a: Analysis) -> str:
    if not a.heatmap:
        return "<h2 class='section'>Share of exams above the DRL</h2><p>No DRL in force for the surveyed exams.</p>"
    names = []
    cells: dict[tuple[str, int], float] = {}
    for (code, q), by_year in sorted(a.heatmap.items()):
        name = f"{code} {QNAME[q]}"
        names.append(name)
        for y, share in by_year.items():
            cells[(name, y)] = share
    svg = heatmap(names, a.years, cells)
    return (
        "<h2 class='section'>Share of exams above the DRL, by year</h2>"
        "<p>Share of reported exams (means counted n times) above the DRL in force for the exam and quantity.</p>"
        f"{svg}"
    )


def _countries_section(exams: Sequence[ExamResult], latest: int | None) -> str:
    out = [
        "<h2 class='section'>Comparison with other countries</h2>"
        "<p>Values from the DRL sets shipped with Kerma for the same exam code and quantity (adults). Values by "
        "clinical indication are marked with it; sets made from facility means say so in their method.</p>"
        "<table class='auto'><tr><th>exam</th><th>quantity</th><th class='n'>proposed</th><th>country</th><th>set</th>"
        "<th class='n'>value</th><th>method</th><th>indication</th></tr>"
    ]
    for e in exams:
        if e.year != latest or not e.others:
            continue
        for i, r in enumerate(e.others):
            first = i == 0
            out.append(
                f"<tr><td>{escape(e.exam_code) if first else ''}</td><td>{QNAME[e.quantity] if first else ''}</td>"
                f"<td class='n'>{_f(e.proposed_drl) if first else ''}</td><td>{escape(r.country)}</td>"
                f"<td>{escape(r.set_key)}</td><td class='n'>{_f(r.value)}</td>"
                f"<td>{escape(r.method or '')}</td><td>{escape(r.indication)}</td></tr>"
            )
    out.append("</table>")
    return "".join(out)


def _outlier_section(a: Analysis, who: object) -> str:
    assert callable(who)
    out = [
        "<h2 class='section'>Outlier facilities</h2>",
        f"<p>A facility is listed when its median for an exam is above {a.outlier_factor:g} × the DRL in force, or "
        f"when the robust z-score of its log median (median and median absolute deviation of all facilities' log "
        f"medians) is beyond ±{a.z_limit:g}. Reasons are given for each.</p>",
        "<table><colgroup><col style='width:10mm'><col style='width:26mm'><col style='width:48mm'>"
        "<col style='width:14mm'><col style='width:12mm'><col style='width:72mm'></colgroup>"
        "<tr><th>year</th><th>exam</th><th>facility</th><th class='n'>median</th><th class='n'>× DRL</th>"
        "<th>reasons</th></tr>",
    ]
    for o in sorted(a.outliers, key=lambda o: (o.year, o.exam_code, -(o.ratio_to_drl or 0))):
        out.append(
            f"<tr><td>{o.year}</td><td>{escape(o.exam_code)} {QNAME[o.quantity]}</td>"
            f"<td class='key'>{who(o.facility_key)}</td>"
            f"<td class='n'>{_f(o.median)}</td><td class='n'>{_f(o.ratio_to_drl, 2)}</td>"
            f"<td>{escape('; '.join(o.reasons))}</td></tr>"
        )
    if not a.outliers:
        out.append("<tr><td colspan='6'>none</td></tr>")
    out.append("</table>")
    return "".join(out)


def _pretty(member: str) -> str:
    for q, name in QNAME.items():
        member = member.replace(q, name)
    return member


def _cluster_section(a: Analysis, names: dict[str, str]) -> str:
    def rename(member: str) -> str:
        key, sep, rest = member.partition(" / ")
        return f"{names[key]}{sep}{rest}" if key in names else member

    out = ["<h2 class='section'>Patterns: clusters</h2>"]
    for cl, xl, yl in (
        (a.exam_clusters, "log10(median of facility medians / DRL)", "log10(P75 / P25)"),
        (a.source_clusters, "median QCD of the source's exams", "largest QCD"),
    ):
        if cl is None:
            continue
        out.append(f"<h3>{escape(cl.what.capitalize())}</h3>")
        if not cl.clusters:
            out.append(f"<p>{escape(cl.note)}</p>")
            continue
        out.append(
            f"<p>k-means on standardised features ({escape(', '.join(cl.features))}); k = {cl.k} chosen by the "
            f"{escape(cl.criterion)} (silhouette {cl.score}).</p>"
        )
        number = {c.label: i + 1 for i, c in enumerate(cl.clusters)}
        points = [
            (
                cl.points[m][0],
                cl.points[m][1],
                _pretty(m) if cl.what == "exam codes" else "",
                number[c.label] - 1,
            )
            for c in cl.clusters
            for m in c.members
            if m in cl.points
        ]
        if points:
            out.append(
                f"<div>{scatter(points, xl, yl, width=520, height=250, label_points=cl.what == 'exam codes')}</div>"
            )
        out.append(
            "<table><colgroup><col style='width:14mm'><col style='width:30mm'><col style='width:14mm'>"
            "<col style='width:124mm'></colgroup><tr><th>cluster</th><th>centre</th><th class='n'>size</th>"
            "<th>members</th></tr>"
        )
        for c in cl.clusters:
            shown = c.members[:12]
            shown = [_pretty(rename(m)) for m in shown]
            members = ", ".join(shown) + (
                f" … and {len(c.members) - len(shown)} more" if len(c.members) > len(shown) else ""
            )
            centre = ", ".join(f"{v:.3g}" for v in c.centre)
            out.append(
                f"<tr><td>{number[c.label]}</td><td>{centre}</td><td class='n'>{len(c.members)}</td>"
                f"<td>{escape(members)}</td></tr>"
            )
        out.append("</table>")
    return "".join(out)
