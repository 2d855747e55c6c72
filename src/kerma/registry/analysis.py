"""Registry analysis: national DRLs from facility medians, outliers, the year heat map, comparison with
other countries and clustering.

Statistics run in the database through :func:`kerma.analytics.stats.group_stats` (the percentile
definition of Kerma's statistics engine: linear interpolation, NumPy's default). A row that reports the
mean of n exams counts n times (weighted by n). Per exam code and quantity:

* facility median (and mean) of its rows, then over facilities: the proposed national DRL = 75th
  percentile of facility medians (ICRP 135), the achievable dose = their median, and, for comparison
  with sets made by the older method, the 75th percentile of facility means;
* the DRL in force (from :mod:`kerma.drl`) and the ratio of the proposal to it;
* outlier facilities: median above ``factor`` x DRL (5 x by default, as registries use today) or a robust
  z-score of the log median beyond ``z_limit`` (median and MAD of the log medians), each with reasons.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    union_all,
)

from kerma.analytics.stats import group_stats, run
from kerma.registry.catalogue import Catalogue
from kerma.registry.drlref import Reference, country_values, current_drls
from kerma.store.schema.registry import registry_rows

QUANTITIES = ("ctdivol_mgy", "dlp_mgy_cm", "dap_gy_cm2", "agd_mgy")
DEFAULT_OUTLIER_FACTOR = 5.0
DEFAULT_Z_LIMIT = 3.5
MAX_WEIGHT = 100_000


@dataclass(slots=True)
class FacilityStat:
    """One facility's distribution for one exam, quantity and year."""

    facility_key: str
    n: int
    median: float
    mean: float
    q1: float
    q3: float


@dataclass(slots=True)
class ExamResult:
    """One exam code, quantity and year across facilities."""

    year: int
    exam_code: str
    exam_name: str
    quantity: str
    n_facilities: int
    n_exams: int
    facilities: list[FacilityStat]
    p25: float
    achievable: float
    proposed_drl: float
    p75_of_means: float
    current: Reference | None = None
    share_exams_above_drl: float | None = None
    share_facilities_above_drl: float | None = None
    others: list[Reference] = field(default_factory=list)
    valid: bool = True

    @property
    def ratio_to_current(self) -> float | None:
        """Proposed DRL / DRL in force."""
        return self.proposed_drl / self.current.value if self.current else None

    @property
    def median_to_drl(self) -> float | None:
        """Median of facility medians / DRL in force (the clustering feature)."""
        return self.achievable / self.current.value if self.current else None


@dataclass(slots=True)
class Outlier:
    """A facility whose median for an exam stands out, with the reasons."""

    year: int
    exam_code: str
    quantity: str
    facility_key: str
    median: float
    drl: float | None
    ratio_to_drl: float | None
    robust_z: float | None
    reasons: list[str]


@dataclass(slots=True)
class Cluster:
    """A group found by k-means: its label and members (exam codes or data sources)."""

    label: int
    members: list[str]
    centre: list[float]


@dataclass(slots=True)
class Clustering:
    """Clusters with the number chosen and the criterion that chose it."""

    what: str
    features: list[str]
    k: int
    criterion: str
    score: float | None
    clusters: list[Cluster]
    note: str = ""
    points: dict[str, list[float]] = field(default_factory=dict)
    """Each member's (unscaled) features."""


@dataclass(slots=True)
class Analysis:
    """Everything the report and the dashboard show."""

    years: list[int]
    exams: list[ExamResult]
    heatmap: dict[tuple[str, str], dict[int, float]]
    outliers: list[Outlier]
    exam_clusters: Clustering | None
    source_clusters: Clustering | None
    counts: dict[str, int]
    outlier_factor: float
    z_limit: float
    source_qcd: dict[str, float] = field(default_factory=dict)


def _weights(max_n: int) -> Any:
    """1..max_n as a recursive CTE: joining rows to it repeats a mean-of-n row n times."""
    nums = select(literal(1).label("i")).cte("weights", recursive=True)
    return nums.union_all(select((nums.c.i + 1).label("i")).where(nums.c.i < max_n))


def expanded_values(conn: Connection, years: Sequence[int] | None, extra: Sequence[str] = ()) -> Select[Any]:
    """(year, exam_code, quantity, facility_key, *extra, value) with each row repeated n_exams times."""
    max_n = conn.execute(select(func.max(registry_rows.c.n_exams))).scalar() or 1
    w = _weights(min(int(max_n), MAX_WEIGHT))
    parts = []
    for q in QUANTITIES:
        col = registry_rows.c[q]
        conds = [
            registry_rows.c.status != "rejected",
            col.is_not(None),
            registry_rows.c.facility_key.is_not(None),
        ]
        if years:
            conds.append(registry_rows.c.year.in_(list(years)))
        parts.append(
            select(
                registry_rows.c.year.label("year"),
                registry_rows.c.exam_code.label("exam_code"),
                literal(q).label("quantity"),
                registry_rows.c.facility_key.label("facility_key"),
                *[func.coalesce(registry_rows.c[e], "(not stated)").label(e) for e in extra],
                func.cast(col, Float).label("value"),
            )
            .select_from(registry_rows.join(w, w.c.i <= registry_rows.c.n_exams))
            .where(and_(*conds))
        )
    u = union_all(*parts).subquery("v")
    return select(*u.c)


def analyse(
    engine: Engine,
    years: Sequence[int] | None = None,
    outlier_factor: float = DEFAULT_OUTLIER_FACTOR,
    z_limit: float = DEFAULT_Z_LIMIT,
    min_facilities: int = 3,
    catalogue: Catalogue | None = None,
) -> Analysis:
    """Compute the analysis for the given survey years (all years when None)."""
    cat = catalogue or Catalogue()
    with engine.begin() as conn:
        drls = current_drls(conn)
        others = country_values(conn)
        # The weighted values are expanded once into a temporary table that every statistic reads.
        values = _values_table(conn, expanded_values(conn, years, ["data_source"]))
        fkeys = ["year", "exam_code", "quantity", "facility_key"]
        src = select(*[values.c[k] for k in fkeys], values.c.value)
        stage = _facility_table(conn, group_stats(src, fkeys))
        fac = run(conn, select(stage), fkeys)
        counts = _counts(conn, years)
        # A data source is one facility's data of one origin (DMS, RIS, manual, ...): its QCD per exam.
        skeys = ["facility_key", "data_source", "exam_code", "quantity"]
        qcd = run(conn, group_stats(select(values), skeys), skeys)
        keys = ["year", "exam_code", "quantity"]
        pct = {"p25": 0.25, "median": 0.5, "p75": 0.75}
        by_median = {
            tuple(g.key[k] for k in keys): g
            for g in run(
                conn,
                group_stats(
                    select(stage.c.year, stage.c.exam_code, stage.c.quantity, stage.c.median.label("value")),
                    keys,
                    percentiles=pct,
                ),
                keys,
                percentiles=pct,
            )
        }
        by_mean = {
            tuple(g.key[k] for k in keys): g
            for g in run(
                conn,
                group_stats(
                    select(stage.c.year, stage.c.exam_code, stage.c.quantity, stage.c.mean.label("value")),
                    keys,
                    percentiles={"p75": 0.75},
                ),
                keys,
                percentiles={"p75": 0.75},
            )
        }
        above = _share_above(conn, src, drls)
        values.drop(conn)
        stage.drop(conn)
    per_group: dict[tuple[Any, ...], list[FacilityStat]] = defaultdict(list)
    for g in fac:
        per_group[(g.key["year"], g.key["exam_code"], g.key["quantity"])].append(
            FacilityStat(
                g.key["facility_key"], g.n, g.median, g.mean, g.percentiles["q1"], g.percentiles["q3"]
            )
        )
    exams: list[ExamResult] = []
    for key, facs in sorted(per_group.items(), key=lambda kv: (kv[0][0], _order(cat, kv[0][1]), kv[0][2])):
        year, code, q = key
        m = by_median[key]
        exam = cat.get(code)
        cur = drls.get((code, q))
        res = ExamResult(
            year=int(year),
            exam_code=code,
            exam_name=exam.name if exam else code,
            quantity=q,
            n_facilities=m.n,
            n_exams=sum(f.n for f in facs),
            facilities=sorted(facs, key=lambda f: f.median),
            p25=m.percentiles["p25"],
            achievable=m.percentiles["median"],
            proposed_drl=m.percentiles["p75"],
            p75_of_means=by_mean[key].percentiles["p75"],
            current=cur,
            others=sorted(others.get((code, q), []), key=lambda r: (r.country, r.year or 0)),
            valid=m.n >= min_facilities,
        )
        if cur is not None:
            res.share_exams_above_drl = above.get(key)
            res.share_facilities_above_drl = sum(f.median > cur.value for f in facs) / len(facs)
        exams.append(res)
    heat: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (year, code, q), share in above.items():
        heat[(code, q)][int(year)] = share
    outliers = find_outliers(exams, outlier_factor, z_limit)
    source_qcd = _source_qcd(qcd)
    from kerma.registry.clustering import cluster_exams, cluster_sources  # scikit-learn loads only here

    return Analysis(
        years=sorted({e.year for e in exams}),
        exams=exams,
        heatmap=dict(heat),
        outliers=outliers,
        exam_clusters=cluster_exams(exams),
        source_clusters=cluster_sources(qcd, source_label),
        counts=counts,
        outlier_factor=outlier_factor,
        z_limit=z_limit,
        source_qcd=source_qcd,
    )


def _values_table(conn: Connection, source: Select[Any]) -> Table:
    """A temporary table (private to this connection) holding ``source``'s rows."""
    t = Table(
        "registry_values_tmp",
        MetaData(),
        Column("year", Integer),
        Column("exam_code", String(16)),
        Column("quantity", String(16)),
        Column("facility_key", String(32)),
        Column("data_source", Text),
        Column("value", Float),
        prefixes=["TEMPORARY"],
    )
    t.drop(conn, checkfirst=True)
    t.create(conn)
    conn.execute(insert(t).from_select([c.name for c in t.columns], source))
    return t


def _facility_table(conn: Connection, stats: Select[Any]) -> Table:
    """Facility-level statistics (one row per year, exam, quantity, facility) in a temporary table."""
    t = Table(
        "registry_facility_tmp",
        MetaData(),
        Column("year", Integer),
        Column("exam_code", String(16)),
        Column("quantity", String(16)),
        Column("facility_key", String(32)),
        *[Column(n, Float) for n in ("n", "mean", "var", "min", "max", "q1", "median", "q3")],
        prefixes=["TEMPORARY"],
    )
    t.drop(conn, checkfirst=True)
    t.create(conn)
    conn.execute(insert(t).from_select([c.name for c in t.columns], stats))
    return t


def _order(cat: Catalogue, code: str) -> int:
    codes = cat.codes()
    return codes.index(code) if code in codes else len(codes)


def _counts(conn: Connection, years: Sequence[int] | None) -> dict[str, int]:
    stmt = select(registry_rows.c.status, func.count()).group_by(registry_rows.c.status)
    if years:
        stmt = stmt.where(registry_rows.c.year.in_(list(years)))
    out = {str(s): int(n) for s, n in conn.execute(stmt)}
    fac = select(func.count(func.distinct(registry_rows.c.facility_key))).where(
        registry_rows.c.status != "rejected"
    )
    if years:
        fac = fac.where(registry_rows.c.year.in_(list(years)))
    out["facilities"] = int(conn.execute(fac).scalar() or 0)
    return out


def _share_above(
    conn: Connection, src: Select[Any], drls: dict[tuple[str, str], Reference]
) -> dict[tuple[Any, ...], float]:
    """Share of exams (rows weighted by n) above the DRL in force, per year, exam code and quantity."""
    if not drls:
        return {}
    table = union_all(
        *[
            select(
                literal(c).label("exam_code"),
                literal(q).label("quantity"),
                literal(r.value, Float).label("drl"),
            )
            for (c, q), r in drls.items()
        ]
    ).subquery("drl")
    v = src.subquery("vals")
    stmt = (
        select(
            v.c.year,
            v.c.exam_code,
            v.c.quantity,
            func.avg(case((v.c.value > table.c.drl, 1.0), else_=0.0)).label("share"),
        )
        .select_from(
            v.join(table, and_(table.c.exam_code == v.c.exam_code, table.c.quantity == v.c.quantity))
        )
        .group_by(v.c.year, v.c.exam_code, v.c.quantity)
    )
    return {(r.year, r.exam_code, r.quantity): float(r.share) for r in conn.execute(stmt)}


def find_outliers(exams: Sequence[ExamResult], factor: float, z_limit: float) -> list[Outlier]:
    """Facilities above ``factor`` x DRL or with a robust z of the log median beyond ``z_limit``."""
    out: list[Outlier] = []
    for e in exams:
        logs = [math.log10(f.median) for f in e.facilities if f.median > 0]
        med = statistics.median(logs) if logs else 0.0
        mad = statistics.median([abs(x - med) for x in logs]) if len(logs) >= 5 else 0.0
        drl = e.current.value if e.current else None
        for f in e.facilities:
            reasons: list[str] = []
            ratio = f.median / drl if drl else None
            if ratio is not None and ratio > factor:
                reasons.append(
                    f"median {f.median:.3g} is {ratio:.1f} x the DRL {drl:.3g} (limit {factor:g} x)"
                )
            z = None
            if mad > 0 and f.median > 0:
                z = 0.6745 * (math.log10(f.median) - med) / mad
                if abs(z) > z_limit:
                    side = "above" if z > 0 else "below"
                    reasons.append(
                        f"robust z {z:+.1f} on log dose (limit {z_limit:g}): far {side} the other "
                        f"{len(logs) - 1} facilities (their median {10**med:.3g})"
                    )
            if reasons:
                out.append(
                    Outlier(e.year, e.exam_code, e.quantity, f.facility_key, f.median, drl, ratio, z, reasons)
                )
    return out


def source_label(key: dict[str, Any]) -> str:
    """How a data source is named: facility pseudonym and the origin the facility stated."""
    return f"{key['facility_key']} / {key['data_source']}"


def _source_qcd(groups: Sequence[Any]) -> dict[str, float]:
    by_source: dict[str, list[float]] = defaultdict(list)
    for g in groups:
        if g.n >= 4 and g.qcd is not None:
            by_source[source_label(g.key)].append(g.qcd)
    return {k: statistics.median(v) for k, v in by_source.items() if v}
