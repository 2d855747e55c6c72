"""REST API of registry mode (under /api/registry): proposed national DRLs, heat map, outliers, clusters,
submissions, rows and the repair log; plus a plain server-rendered page at /registry (the report's
content, pseudonymised) until the dashboard restyles it.

Everything here is pseudonymised: facilities appear under their pseudonyms, files by submission number
(file names often name the facility).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, func, select

from kerma.registry.analysis import DEFAULT_OUTLIER_FACTOR, DEFAULT_Z_LIMIT, analyse
from kerma.registry.serialise import analysis_dict, clustering_dict, exam_dict
from kerma.store.schema.registry import registry_repairs, registry_rows, registry_submissions
from kerma.web.deps import get_engine

router = APIRouter(prefix="/api/registry", tags=["registry"])
pages = APIRouter(include_in_schema=False)

EngineDep = Annotated[Engine, Depends(get_engine)]
YearsQ = Annotated[list[int] | None, Query(description="Survey year(s); all when absent.")]
FactorQ = Annotated[float, Query(gt=0, description="Outlier: facility median above this x DRL.")]
ZQ = Annotated[float, Query(gt=0, description="Outlier: robust z of the log median beyond this.")]


@router.get("/analysis")
def get_analysis(
    engine: EngineDep,
    year: YearsQ = None,
    factor: FactorQ = DEFAULT_OUTLIER_FACTOR,
    z: ZQ = DEFAULT_Z_LIMIT,
    facilities: bool = False,
) -> dict[str, Any]:
    """Everything at once: proposed DRLs, heat map, outliers, clusters (facility medians on request)."""
    return analysis_dict(analyse(engine, year, factor, z), with_facilities=facilities)


@router.get("/drls")
def get_drls(engine: EngineDep, year: YearsQ = None, facilities: bool = False) -> list[dict[str, Any]]:
    """Per exam code, quantity and year: facility count, achievable dose, proposed DRL, DRL in force."""
    return [exam_dict(e, facilities) for e in analyse(engine, year).exams]


@router.get("/heatmap")
def get_heatmap(engine: EngineDep, year: YearsQ = None) -> list[dict[str, Any]]:
    """Share of exams above the DRL in force, per exam code, quantity and year."""
    a = analyse(engine, year)
    return [
        {"exam_code": code, "quantity": q, "year": y, "share_above_drl": share}
        for (code, q), by_year in sorted(a.heatmap.items())
        for y, share in sorted(by_year.items())
    ]


@router.get("/outliers")
def get_outliers(
    engine: EngineDep, year: YearsQ = None, factor: FactorQ = DEFAULT_OUTLIER_FACTOR, z: ZQ = DEFAULT_Z_LIMIT
) -> list[dict[str, Any]]:
    """Outlier facilities with their reasons."""
    return list(analysis_dict(analyse(engine, year, factor, z), with_facilities=False)["outliers"])


@router.get("/clusters")
def get_clusters(engine: EngineDep, year: YearsQ = None) -> dict[str, Any]:
    """Clusters of exam codes (by median/DRL) and of data sources (by QCD), with the criterion used."""
    a = analyse(engine, year)
    return {
        "exam_codes": clustering_dict(a.exam_clusters),
        "data_sources": clustering_dict(a.source_clusters),
    }


@router.get("/submissions")
def get_submissions(engine: EngineDep) -> list[dict[str, Any]]:
    """Survey files read (by number), their status and row counts."""
    cols = [c for c in registry_submissions.c if c.name not in ("source_file", "sha256")]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(registry_submissions.c.id)).mappings().all()
    return [{**dict(r), "imported_at": r["imported_at"].isoformat()} for r in rows]


@router.get("/rows")
def get_rows(
    engine: EngineDep,
    year: int | None = None,
    status: str | None = None,
    submission_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Survey rows (pseudonymised), newest submission first, with the total for paging."""
    if status is not None and status not in ("ok", "repaired", "rejected"):
        raise HTTPException(422, "status must be ok, repaired or rejected")
    conds = []
    if year is not None:
        conds.append(registry_rows.c.year == year)
    if status is not None:
        conds.append(registry_rows.c.status == status)
    if submission_id is not None:
        conds.append(registry_rows.c.submission_id == submission_id)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(registry_rows).where(*conds)).scalar() or 0
        rows = conn.execute(
            select(registry_rows).where(*conds).order_by(registry_rows.c.id).limit(limit).offset(offset)
        ).mappings()
        return {"total": int(total), "rows": [dict(r) for r in rows]}


@router.get("/repairs")
def get_repairs(
    engine: EngineDep,
    submission_id: int | None = None,
    rule: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The per-cell repair log (sheet, row, column, old value, new value, rule)."""
    conds = []
    if submission_id is not None:
        conds.append(registry_repairs.c.submission_id == submission_id)
    if rule is not None:
        conds.append(registry_repairs.c.rule.startswith(rule))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(registry_repairs).where(*conds)).scalar() or 0
        rows = conn.execute(
            select(registry_repairs).where(*conds).order_by(registry_repairs.c.id).limit(limit).offset(offset)
        ).mappings()
        return {"total": int(total), "repairs": [dict(r) for r in rows]}


@pages.get("/registry", response_class=HTMLResponse)
def registry_page(engine: EngineDep, year: YearsQ = None) -> HTMLResponse:
    """The registry analysis as one page (the report's content, pseudonymised)."""
    from kerma.reports.registry_pdf import build_html

    return HTMLResponse(build_html(engine, analyse(engine, year), pseudonymised=True, actor="web"))
