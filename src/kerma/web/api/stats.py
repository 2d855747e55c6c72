"""REST API: the statistics behind every chart (JSON, CSV or the chart itself as SVG), and the overview."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import Engine

from kerma.web import capabilities
from kerma.web.charts.build import CHARTS, chart_defaults, overview_weeks
from kerma.web.data import stats
from kerma.web.data.studies import StudyFilter
from kerma.web.deps import get_engine
from kerma.web.filters import api_filter
from kerma.web.pages.overview import overview_drl

router = APIRouter(prefix="/api/stats", tags=["statistics"])

ChartName = Literal["weekly", "trend", "boxplot", "histogram", "drl", "heatmap", "scatter"]
assert set(ChartName.__args__) == set(CHARTS)  # type: ignore[attr-defined]


def csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    """CSV with a header row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


@router.get("/overview", summary="Overview: studies per week and modality, ingest counts, open alerts")
def overview(
    engine: Annotated[Engine, Depends(get_engine)],
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
) -> dict[str, Any]:
    """What the overview page shows, as data."""
    f, last = overview_weeks(engine, weeks)
    counts = stats.weekly_counts(engine, f)
    return {
        "latest_study_date": last,
        "from": f.date_from,
        "weekly": [{"week_start": d, "modality": m, "studies": n} for d, m, n in counts],
        "ingest": stats.last_ingests(engine),
        "open_alerts": capabilities.open_alerts(engine),
        "above_drl": _drl_or_error(engine, f),
    }


def _drl_or_error(engine: Engine, f: StudyFilter) -> list[dict[str, Any]] | dict[str, str] | None:
    try:
        return overview_drl(engine, f)
    except capabilities.CapabilityFailed as exc:
        return {"error": str(exc)}


@router.get("/{chart}", summary="Data of one chart (JSON, CSV or SVG)")
def chart_data(
    chart: ChartName,
    f: Annotated[StudyFilter, Depends(api_filter)],
    engine: Annotated[Engine, Depends(get_engine)],
    format: Literal["json", "csv", "svg"] = "json",
) -> Any:
    """Columns and rows of a chart for the filtered studies. Without dates: the 12 months up to the
    newest study (weekly: 12 weeks); dose charts without a modality: CT (or the first modality stored)."""
    c = CHARTS[chart](engine, chart_defaults(engine, f, chart))
    if format == "csv":
        return Response(
            csv_text(c.columns, c.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="kerma-{c.name}.csv"'},
        )
    if format == "svg":
        body = c.svg or (
            '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="60"><text x="10" y="35">'
            "no data</text></svg>"
        )
        return Response(body, media_type="image/svg+xml")
    return c.as_dict()
