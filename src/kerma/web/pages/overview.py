"""The overview page: studies per week by modality, open alerts, exams above DRL, the last ingests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from kerma.web import capabilities
from kerma.web.charts.build import overview_weeks, weekly_counts
from kerma.web.data import stats
from kerma.web.data.lookups import OVERVIEW_DRL_TTL_S, cached
from kerma.web.data.studies import StudyFilter
from kerma.web.deps import get_engine
from kerma.web.render import render

pages = APIRouter(include_in_schema=False)


def overview_drl(engine: Engine, f: StudyFilter) -> list[dict[str, Any]] | None:
    """Medians against DRLs for the overview's period, cached for a few minutes (see lookups)."""
    return cached(
        engine,
        f"overview-drl:{f.date_from}:{f.date_to}",
        lambda e: capabilities.drl_medians(e, f),
        OVERVIEW_DRL_TTL_S,
    )


@pages.get("/", response_class=HTMLResponse)
def overview_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """The first page after login."""
    f, last = overview_weeks(engine)
    weekly = weekly_counts(engine, f)
    weekly.csv_url = "/api/stats/weekly?format=csv" + (f"&from={f.date_from}&to={f.date_to}" if last else "")
    per_modality: dict[str, int] = {}
    for row in weekly.rows:
        per_modality[row[1]] = per_modality.get(row[1], 0) + row[2]
    drl_error = None
    try:
        drl_rows = overview_drl(engine, f)
    except capabilities.CapabilityFailed as exc:
        drl_rows, drl_error = [], str(exc)
    above = sorted(
        [r for r in drl_rows or [] if r["ratio"] and r["ratio"] > 1], key=lambda r: -float(r["ratio"])
    )
    return render(
        request,
        "overview.html",
        {
            "last": last,
            "f": f,
            "weekly": weekly,
            "per_modality": sorted(per_modality.items(), key=lambda kv: -kv[1]),
            "total": sum(per_modality.values()),
            "totals": stats.totals(engine, f) if last else {"studies": 0, "rooms": 0},
            "ingest": stats.last_ingests(engine),
            "alerts": capabilities.open_alerts(engine),
            "drl_rows": drl_rows,
            "drl_error": drl_error,
            "above": above,
        },
    )
