"""Pages: the studies list (filters, sorting, paging, export) and the study page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from kerma.config import Settings
from kerma.web import capabilities
from kerma.web.api.studies import export_response, viewer_template
from kerma.web.auth.roles import Principal
from kerma.web.data.lookups import cached_modalities, cached_rooms
from kerma.web.data.studies import MAX_PAGE_SIZE, list_studies, study_detail
from kerma.web.deps import get_engine, get_principal, get_settings
from kerma.web.filters import page_filter, page_int, page_sort
from kerma.web.fmt import MAIN_QUANTITY, STUDY_QUANTITIES
from kerma.web.render import render

pages = APIRouter(include_in_schema=False)

PAGE_SIZES = (25, 50, 100, 200, 500)


def shown_quantities(rows: list[dict[str, Any]], modalities: tuple[str, ...]) -> list[str]:
    """Dose columns worth showing: those with a value on this page, plus the filtered modality's main one."""
    main = {MAIN_QUANTITY[m] for m in modalities if m in MAIN_QUANTITY}
    return [q for q in STUDY_QUANTITIES if q in main or any(r.get(q) is not None for r in rows)]


@pages.get("/studies", response_class=HTMLResponse)
def studies_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Filterable, sortable, paged list of studies."""
    params = request.query_params
    f, errors = page_filter(params)
    sort, order, sort_errors = page_sort(params)
    size = page_int(params, "page_size", 50, 1, MAX_PAGE_SIZE)
    page = page_int(params, "page", 1, 1, 1_000_000)
    result = list_studies(engine, f, sort, order, page, size)
    return render(
        request,
        "studies.html",
        {
            "f": f,
            "errors": errors + sort_errors,
            "result": result,
            "sort": sort,
            "order": order,
            "page_sizes": PAGE_SIZES,
            "rooms": cached_rooms(engine),
            "modalities": cached_modalities(engine),
            "dose_columns": shown_quantities(result.rows, f.modality),
            "has_mapping": capabilities.has_mapping(),
            "filtered": bool(
                params.get("from")
                or params.get("to")
                or f.modality
                or f.room
                or f.exam_code
                or f.mapped is not None
                or f.dose_min is not None
                or f.dose_max is not None
                or f.text
            ),
        },
    )


@pages.get("/studies/export")
async def studies_export(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """The studies list's filtered rows as CSV or XLSX (format=csv|xlsx)."""
    f, errors = page_filter(request.query_params)
    if errors:
        raise HTTPException(422, "; ".join(errors))
    sort, order, _ = page_sort(request.query_params)
    fmt = request.query_params.get("format", "csv")
    if fmt not in ("csv", "xlsx", "json"):
        raise HTTPException(422, "format must be csv, xlsx or json")
    return await run_in_threadpool(export_response, request, engine, principal, f, fmt, sort, order)


@pages.get("/studies/{study_instance_uid}", response_class=HTMLResponse)
def study_page(
    request: Request,
    study_instance_uid: str,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """One study: totals, events with all parameters, patient characteristics, DRLs, viewer link."""
    if len(study_instance_uid) > 128:
        raise HTTPException(404, "no such study")
    d = study_detail(engine, study_instance_uid)
    if d is None:
        raise HTTPException(404, f"There is no study with Study Instance UID {study_instance_uid}.")
    s = d["study"]
    d["drl"] = capabilities.study_drl_comparison(engine, s["id"])
    d["viewer_url"] = capabilities.viewer_url(
        viewer_template(settings), s["study_instance_uid"], s["accession_number"]
    )
    d["has_mapping"] = capabilities.has_mapping()
    return render(request, "study.html", d)
