"""REST API of diagnostic reference levels (under /api/drl): sets (list, values, import, activate),
compliance, monthly trend and establishing local DRLs."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from sqlalchemy import Engine

from kerma.analytics.quantities import PER, QUANTITIES, StatsFilter
from kerma.analytics.sqlfuncs import PERIODS
from kerma.drl import sets
from kerma.drl.compliance import DEFAULT_MIN_N, DEFAULT_MIN_PER_ROOM, compliance, establish
from kerma.web.deps import actor, get_engine, require

router = APIRouter(prefix="/api/drl", tags=["drl"])
EngineDep = Annotated[Engine, Depends(get_engine)]
ModQ = Annotated[list[str] | None, Query(description="Only these modalities.")]
ExamQ = Annotated[list[str] | None, Query(description="Only these exam codes.")]
SetQ = Annotated[
    list[str] | None, Query(alias="set", description="Compare with these sets, not the active ones.")
]


def _filter(
    modality: list[str] | None, date_from: datetime | None, date_to: datetime | None, exam: list[str] | None
) -> StatsFilter:
    return StatsFilter(modality=modality or (), date_from=date_from, date_to=date_to, exam_codes=exam or ())


def _check(value: str | None, allowed: tuple[str, ...], name: str) -> None:
    if value is not None and value not in allowed:
        raise HTTPException(422, f"{name} must be one of {', '.join(allowed)}")


@router.get("/sets")
def get_sets(engine: EngineDep) -> list[dict[str, Any]]:
    """Current versions of all DRL sets and where they are active."""
    with engine.begin() as conn:
        return sets.list_sets(conn)


@router.get("/sets/{key}")
def get_set(key: str, engine: EngineDep, version: int | None = None) -> list[dict[str, Any]]:
    """Values of one set (canonical units, with the published value and unit)."""
    with engine.begin() as conn:
        sets.ensure_builtin(conn)
        try:
            values = sets.set_values(conn, key, version)
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
    return [
        {
            "modality": v.modality,
            "exam_code": v.exam_code,
            "exam_name": v.exam_name,
            "clinical_indication": v.clinical_indication,
            "band": v.band.label,
            "quantity": v.quantity,
            "per": v.per,
            "value": v.value,
            "published_value": v.published_value,
            "published_unit": v.published_unit,
            "note": v.note,
            "set_version": v.set_version,
        }
        for v in values
    ]


@router.post("/sets/{key}/import", status_code=201, dependencies=[Depends(require("mpe"))])
async def post_import(
    key: str,
    engine: EngineDep,
    request: Request,
    file: Annotated[UploadFile, File(description="CSV or XLSX")],
    name: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Import a CSV/XLSX as a new set or a new version of ``key``; 422 with every problem when refused."""
    suffix = Path(file.filename or "upload.csv").suffix or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(await file.read())
        try:
            rows = sets.read_table(path)
        except Exception as exc:  # an unreadable upload is the client's problem, say why
            raise HTTPException(422, f"cannot read the file: {exc}") from None
    with engine.begin() as conn:
        version, parsed = sets.import_set(conn, rows, key=key, name=name, actor=actor(request))
    if parsed.errors:
        raise HTTPException(422, {"errors": parsed.errors, "warnings": parsed.warnings})
    return {"key": key, "version": version, "values": len(parsed.values), "warnings": parsed.warnings}


@router.post("/sets/{key}/active", dependencies=[Depends(require("mpe"))])
def post_active(
    key: str, engine: EngineDep, request: Request, site: str = "*", active: bool = True
) -> dict[str, Any]:
    """Make a set active (or not) at a site ('*' for every site)."""
    try:
        with engine.begin() as conn:
            if active:
                sets.activate(conn, key, site, actor=actor(request))
            else:
                sets.deactivate(conn, key, site)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"key": key, "site": site, "active": active}


@router.get("/compliance")
def get_compliance(
    engine: EngineDep,
    modality: ModQ = None,
    exam: ExamQ = None,
    date_from: Annotated[datetime | None, Query(alias="from")] = None,
    date_to: Annotated[datetime | None, Query(alias="to")] = None,
    quantity: str | None = None,
    period: str = "all",
    by_room: bool = True,
    min_n: Annotated[int, Query(ge=1)] = DEFAULT_MIN_N,
    drl_set: SetQ = None,
) -> list[dict[str, Any]]:
    """Statistics per exam code x room x period (x band) against the DRL in force (`kerma drl compliance`)."""
    _check(quantity, QUANTITIES, "quantity")
    _check(period, PERIODS, "period")
    return compliance(
        engine,
        _filter(modality, date_from, date_to, exam),
        period=period,
        quantities=[quantity] if quantity else [],
        by_room=by_room,
        min_n=min_n,
        set_keys=drl_set or (),
    )


@router.get("/trend")
def get_trend(
    engine: EngineDep,
    quantity: str,
    exam: ExamQ = None,
    modality: ModQ = None,
    date_from: Annotated[datetime | None, Query(alias="from")] = None,
    date_to: Annotated[datetime | None, Query(alias="to")] = None,
    by_room: bool = False,
) -> list[dict[str, Any]]:
    """Monthly medians per exam code (and room on request): the effect of optimisation over time."""
    _check(quantity, QUANTITIES, "quantity")
    return compliance(
        engine,
        _filter(modality, date_from, date_to, exam),
        period="month",
        quantities=[quantity],
        by_room=by_room,
    )


@router.get("/establish")
def get_establish(
    engine: EngineDep,
    quantity: str,
    per: str | None = None,
    modality: ModQ = None,
    exam: ExamQ = None,
    date_from: Annotated[datetime | None, Query(alias="from")] = None,
    date_to: Annotated[datetime | None, Query(alias="to")] = None,
    min_per_room: Annotated[int, Query(ge=1)] = DEFAULT_MIN_PER_ROOM,
    drl_set: SetQ = None,
) -> list[dict[str, Any]]:
    """Local DRLs (75th percentile of room medians) and achievable doses, against the national values."""
    _check(quantity, QUANTITIES, "quantity")
    _check(per, PER, "per")
    return establish(
        engine,
        _filter(modality, date_from, date_to, exam),
        quantity=quantity,
        per=per,
        min_per_room=min_per_room,
        set_keys=drl_set or (),
    )
