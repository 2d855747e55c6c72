"""REST API: the studies list (filtered, sorted, paged), one study in full, and the filtered export."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from sqlalchemy import Engine
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from kerma.config import Settings
from kerma.privacy.audit import record
from kerma.reports.tabular import write_rows
from kerma.web import capabilities
from kerma.web.auth.middleware import mark_audited
from kerma.web.auth.roles import Principal
from kerma.web.data.studies import (
    MAX_PAGE_SIZE,
    StudyFilter,
    export_query,
    iter_export,
    list_studies,
    study_detail,
)
from kerma.web.deps import get_engine, get_principal, get_settings
from kerma.web.filters import SortKey, api_filter

router = APIRouter(prefix="/api/studies", tags=["studies"])

UID_PATTERN = r"^[0-9.]{1,64}$|^[A-Za-z0-9._-]{1,128}$"


def viewer_template(settings: Settings) -> str | None:
    """The PACS viewer URL template: KERMA_VIEWER_URL, else `viewer_url` in kerma.toml."""
    value = os.environ.get("KERMA_VIEWER_URL") or settings.extra.get("viewer_url")
    return str(value) if value else None


@router.get("", summary="Studies, filtered, sorted and paged")
def get_studies(
    f: Annotated[StudyFilter, Depends(api_filter)],
    engine: Annotated[Engine, Depends(get_engine)],
    sort: SortKey = "date",
    order: Literal["asc", "desc"] = "desc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Rows a page, at most {MAX_PAGE_SIZE}.")
    ] = 50,
) -> dict[str, Any]:
    """Studies matching the filter; `total_is_capped` says the count stopped at `total`."""
    p = list_studies(engine, f, sort, order, page, page_size)
    return {
        "items": p.rows,
        "total": p.total,
        "total_is_capped": p.capped,
        "page": p.page,
        "page_size": p.page_size,
        "pages": p.pages,
        "sort": sort,
        "order": order,
    }


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(
    request: Request, engine: Engine, principal: Principal, f: StudyFilter, fmt: str, sort: str, order: str
) -> FileResponse:
    """The filtered studies as a CSV, JSON or XLSX file (written to a temporary file, memory stays flat);
    the export is audited with its filter."""
    columns, stmt = export_query(f, sort, order)
    fd, tmp = tempfile.mkstemp(suffix="." + fmt, prefix="kerma-export-")
    os.close(fd)
    try:
        n = write_rows(fmt, columns, iter_export(engine, stmt), Path(tmp), sys.stdout)
    except BaseException:
        os.unlink(tmp)
        raise
    with engine.begin() as conn:
        record(conn, principal.username, "export.studies", fmt, {"rows": n, "filter": filter_detail(f)})
    mark_audited(request.scope)
    name = f"kerma-studies-{datetime.now().strftime('%Y%m%d-%H%M')}.{fmt}"
    return FileResponse(
        tmp,
        media_type=MEDIA_TYPES[fmt],
        filename=name,
        background=BackgroundTask(os.unlink, tmp),
    )


def filter_detail(f: StudyFilter) -> dict[str, Any]:
    """The filter as JSON-friendly values (for the audit entry of an export)."""
    return {
        k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
        for k, v in {
            "from": f.date_from,
            "to": f.date_to,
            "modality": f.modality,
            "room": f.room,
            "exam_code": f.exam_code,
            "mapped": f.mapped,
            "quantity": f.quantity,
            "dose_min": f.dose_min,
            "dose_max": f.dose_max,
            "q": f.text,
            "patient": f.patient_key,
        }.items()
        if v not in (None, (), "")
    }


@router.get("/export", summary="Export the filtered studies as CSV, XLSX or JSON")
async def export_studies(
    request: Request,
    f: Annotated[StudyFilter, Depends(api_filter)],
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
    format: Literal["csv", "xlsx", "json"] = "csv",
    sort: SortKey = "date",
    order: Literal["asc", "desc"] = "desc",
) -> Any:
    """All studies matching the filter (pseudonymised), in the export's documented columns."""
    return await run_in_threadpool(export_response, request, engine, principal, f, format, sort, order)


@router.get("/{study_instance_uid}", summary="One study: totals, events, patient characteristics, DRLs")
def get_study(
    study_instance_uid: Annotated[str, PathParam(max_length=128, pattern=UID_PATTERN)],
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> dict[str, Any]:
    """Everything stored about one study (pseudonymised), with its DRL comparison and viewer link."""
    d = study_detail(engine, study_instance_uid)
    if d is None:
        raise HTTPException(404, f"no study with Study Instance UID {study_instance_uid}")
    s = d["study"]
    d["drl"] = capabilities.study_drl_comparison(engine, s["id"])
    d["viewer_url"] = capabilities.viewer_url(
        viewer_template(settings), s["study_instance_uid"], s["accession_number"]
    )
    return d
