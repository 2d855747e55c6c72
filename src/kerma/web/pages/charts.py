"""The charts page: one chart at a time (tabs) for a selection of studies, downloadable as PNG, SVG, CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from kerma.web import capabilities
from kerma.web.charts.build import CHARTS, chart_defaults
from kerma.web.data.lookups import cached, cached_modalities, cached_rooms
from kerma.web.deps import get_engine
from kerma.web.filters import page_filter
from kerma.web.render import query_with, render

pages = APIRouter(include_in_schema=False)

TABS = (
    ("trend", "Dose over time"),
    ("boxplot", "Box plots per room"),
    ("histogram", "Histograms per room"),
    ("drl", "Median vs DRL"),
    ("heatmap", "Modality load"),
    ("scatter", "Dose vs patient size"),
)


@pages.get("/charts", response_class=HTMLResponse)
def charts_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Charts over the chosen studies (defaults: CT, the 12 months up to the newest study)."""
    name = request.query_params.get("chart", "trend")
    errors = []
    if name not in CHARTS or name == "weekly":
        errors.append(f"unknown chart {name[:30]!r}; showing the dose over time")
        name = "trend"
    raw, filter_errors = page_filter(request.query_params)
    f = chart_defaults(engine, raw, name)
    chart = CHARTS[name](engine, f)
    api_query = query_with(
        request,
        chart=None,
        format="csv",
        **{
            "from": f.date_from.isoformat() if f.date_from else None,
            "to": f.date_to.isoformat() if f.date_to else None,
            "modality": list(f.modality) or None,
        },
    )
    chart.csv_url = f"/api/stats/{name}{api_query}"
    return render(
        request,
        "charts.html",
        {
            "tabs": TABS,
            "current": name,
            "chart": chart,
            "f": f,
            "errors": errors + filter_errors,
            "rooms": cached_rooms(engine),
            "modalities": cached_modalities(engine),
            "exam_codes": [
                e
                # the mapping summary groups every mapped study: cached like the other menus
                for e in cached(engine, "exam-codes", capabilities.exam_codes_in_use)
                if not f.modality or e.get("modality") in f.modality
            ],
        },
    )
