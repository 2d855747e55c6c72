"""Pages: find a patient, a patient's dose history, and (role pid) the identity behind the pseudonym."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from kerma.web.api.patients import cumulative
from kerma.web.api.stats import csv_text
from kerma.web.auth.roles import Principal
from kerma.web.charts import svg
from kerma.web.charts.build import Chart
from kerma.web.data.identity import find_patients, patient_exists, read_identity
from kerma.web.data.studies import studies_of_patient
from kerma.web.deps import get_engine, get_principal
from kerma.web.fmt import MAIN_QUANTITY, STUDY_QUANTITIES
from kerma.web.render import render

pages = APIRouter(include_in_schema=False)


def _key_ok(key: str) -> bool:
    return 0 < len(key) <= 64 and key.isalnum()


@pages.get("/patients", response_class=HTMLResponse)
def patients_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Look up a patient by pseudonym (everyone) or by patient ID (pid, on the identity search page)."""
    key = request.query_params.get("key", "").strip()
    message = None
    if key:
        if _key_ok(key) and patient_exists(engine, key):
            return RedirectResponse(f"/patients/{key}", status_code=303)
        message = "No patient has this pseudonym. Pseudonyms look like P followed by 24 letters and digits."
    return render(request, "patients.html", {"key": key, "message": message})


@pages.get("/patients/identity/search", response_class=HTMLResponse)
def identity_search(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Role pid: patients by their Patient ID (audited)."""
    pid = request.query_params.get("patient_id", "").strip()[:64]
    rows = find_patients(engine, pid, principal.username, "page") if pid else None
    return render(request, "identity_search.html", {"patient_id": pid, "rows": rows})


def _history_chart(rows: list[dict[str, Any]]) -> Chart | None:
    dated = [r for r in rows if r.get("study_datetime")]
    by_q: dict[str, list[tuple[date, float]]] = {}
    for r in dated:
        q = MAIN_QUANTITY.get(str(r.get("modality")))
        if q and r.get(q) is not None:
            by_q.setdefault(q, []).append((r["study_datetime"].date(), float(r[q])))
    if not by_q:
        return None
    # one line per quantity: summing DLP and DAP would add unlike things
    q, pts = max(by_q.items(), key=lambda kv: len(kv[1]))
    total = 0.0
    cum = []
    for d, v in sorted(pts):
        total += v
        cum.append((d, total))
    quantity = STUDY_QUANTITIES[q]
    chart = Chart(
        "patient-cumulative", f"Cumulative {quantity.label} of this patient", ["date", q, "cumulative"]
    )
    chart.rows = [[d.isoformat(), v, c] for (d, v), (_, c) in zip(sorted(pts), cum, strict=True)]
    if len(cum) >= 2:
        y_label = f"cumulative {quantity.title}"
        chart.svg = svg.line_chart({quantity.label: cum}, y_label, chart.title, step=True)
    else:
        chart.empty = "One study only: a cumulative curve needs at least two."
    return chart


@pages.get("/patients/{patient_key}", response_class=HTMLResponse)
def patient_page(
    request: Request,
    patient_key: str,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """A patient's dose history under the pseudonym; `pid` users get a link to the identity."""
    if not _key_ok(patient_key) or not patient_exists(engine, patient_key):
        raise HTTPException(404, "There is no patient with this pseudonym.")
    rows = studies_of_patient(engine, patient_key)
    chart = _history_chart(rows)
    if chart is not None:
        chart.csv_url = f"/patients/{patient_key}/history.csv"
    return render(
        request,
        "patient.html",
        {
            "patient_key": patient_key,
            "rows": rows,
            "cumulative": cumulative(rows),
            "chart": chart,
            "may_see_identity": principal.has_pid,
        },
    )


@pages.get("/patients/{patient_key}/history.csv")
def patient_csv(patient_key: str, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """The dose history chart's data (pseudonymised) as CSV."""
    if not _key_ok(patient_key) or not patient_exists(engine, patient_key):
        raise HTTPException(404, "There is no patient with this pseudonym.")
    chart = _history_chart(studies_of_patient(engine, patient_key))
    columns, rows = (chart.columns, chart.rows) if chart else (["date"], [])
    return Response(
        csv_text(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kerma-patient-{patient_key[:9]}.csv"'},
    )


@pages.get("/patients/{patient_key}/identity", response_class=HTMLResponse)
def identity_page(
    request: Request,
    patient_key: str,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Role pid: who this patient is (the view is audited)."""
    if not _key_ok(patient_key) or not patient_exists(engine, patient_key):
        raise HTTPException(404, "There is no patient with this pseudonym.")
    ident = read_identity(engine, patient_key, principal.username, "page")
    return render(request, "identity.html", {"patient_key": patient_key, "ident": ident})
