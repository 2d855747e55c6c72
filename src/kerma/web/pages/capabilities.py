"""Pages over other capabilities: the exam-code mapping editor and the DRL sets and compliance pages.

They call those capabilities' service functions (never their SQL) and explain when one is missing.
(Alerts and the registry bring their own pages.)
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from kerma.web import capabilities
from kerma.web.charts.build import chart_defaults, drl_medians
from kerma.web.data.lookups import cached_modalities
from kerma.web.deps import actor, get_engine
from kerma.web.filters import page_filter
from kerma.web.render import render

pages = APIRouter(include_in_schema=False)


def _missing(request: Request, title: str, what: str) -> Response:
    return render(
        request, "error.html", {"title": title, "message": f"{what} is not part of this installation yet."}
    )


# -- mapping -----------------------------------------------------------------------------------------


def _mapping_page(request: Request, engine: Engine, **extra: Any) -> Response:
    status = int(extra.pop("status", 200))
    service = capabilities.optional("kerma.nomenclature.service")
    codes_mod = capabilities.optional("kerma.nomenclature.codes")
    assert service is not None and codes_mod is not None
    modality = request.query_params.get("modality", "").strip().upper()[:16]
    unmapped = service.unmapped_names(engine, [modality] if modality else (), top=3)
    with engine.connect() as conn:
        rules = service.list_rules(conn)
        catalogue = codes_mod.catalogue(conn)
    summary = service.mapping_summary(engine)
    mapped = sum(int(r["studies"]) for r in summary)
    unmapped_studies = sum(u.studies for u in unmapped)
    codes = sorted(
        ({"code": c.code, "name": c.name, "modalities": list(c.modalities)} for c in catalogue.values()),
        key=lambda c: c["code"],
    )
    return render(
        request,
        "mapping.html",
        {
            "unmapped": unmapped[:200],
            "unmapped_more": max(0, len(unmapped) - 200),
            "unmapped_studies": unmapped_studies,
            "mapped": mapped,
            "summary": summary,
            "rules": rules,
            "codes": codes,
            "modality": modality,
            "modalities": cached_modalities(engine),
            **extra,
        },
        status_code=status,
    )


@pages.get("/mapping", response_class=HTMLResponse)
def mapping_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Unmapped local exam names with suggested codes, the mapping per code, and the rules."""
    if capabilities.optional("kerma.nomenclature.service") is None:
        return _missing(request, "Mapping", "Exam-code mapping")
    return _mapping_page(request, engine)


@pages.post("/mapping/rules", response_class=HTMLResponse)
async def mapping_add_rule(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Map a local name to an exam code (a new rule), then re-apply the rules to every study."""
    service = capabilities.optional("kerma.nomenclature.service")
    if service is None:
        return _missing(request, "Mapping", "Exam-code mapping")
    form = await request.form()
    pattern = str(form.get("pattern", "")).strip()[:300]
    code = str(form.get("exam_code", "")).strip()[:64]
    field = str(form.get("field", "study_description"))[:32]
    modality = str(form.get("modality", "")).strip().upper()[:16] or None
    who = actor(request)
    try:
        if not pattern or not code:
            raise ValueError("give the local name and the exam code")
        with engine.begin() as conn:
            service.add_rule(
                conn, pattern=pattern, exam_code=code, field_name=field, modality=modality, actor=who
            )
    except ValueError as exc:
        return _mapping_page(request, engine, error=str(exc), status=422)
    report = service.apply_rules(engine, actor=who)
    return _mapping_page(
        request,
        engine,
        message=f"“{pattern}” → {code}: {report.mapped} studies mapped, {report.unmapped} left.",
    )


@pages.post("/mapping/rules/{rule_id}/retire", response_class=HTMLResponse)
def mapping_retire_rule(
    request: Request, rule_id: int, engine: Annotated[Engine, Depends(get_engine)]
) -> Response:
    """Retire a rule (kept in the history) and re-apply the rules."""
    service = capabilities.optional("kerma.nomenclature.service")
    if service is None:
        return _missing(request, "Mapping", "Exam-code mapping")
    try:
        with engine.begin() as conn:
            service.retire_rule(conn, rule_id, actor=actor(request))
    except ValueError as exc:
        return _mapping_page(request, engine, error=str(exc), status=404)
    service.apply_rules(engine, actor=actor(request))
    return _mapping_page(request, engine, message=f"Rule {rule_id} retired; mappings updated.")


@pages.post("/mapping/accept", response_class=HTMLResponse)
async def mapping_accept(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Accept every best suggestion at or above a confidence, then re-apply the rules."""
    service = capabilities.optional("kerma.nomenclature.service")
    if service is None:
        return _missing(request, "Mapping", "Exam-code mapping")
    form = await request.form()
    try:
        confidence = min(1.0, max(0.5, float(str(form.get("min_confidence", "0.8")))))
    except ValueError:
        confidence = 0.8
    report = service.apply_rules(engine, auto=True, min_confidence=confidence, actor=actor(request))
    return _mapping_page(
        request,
        engine,
        message=f"{len(report.accepted)} suggestions accepted (confidence ≥ {confidence:.0%}); "
        f"{report.mapped} studies mapped, {report.unmapped} left.",
    )


# -- DRL ---------------------------------------------------------------------------------------------


@pages.get("/drl", response_class=HTMLResponse)
def drl_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """DRL sets (and which are in force) and compliance per exam and room for a period."""
    sets_mod = capabilities.optional("kerma.drl.sets")
    comp = capabilities.optional("kerma.drl.compliance")
    quantities = capabilities.optional("kerma.analytics.quantities")
    if sets_mod is None or comp is None or quantities is None:
        return _missing(request, "DRL", "DRL comparison")
    raw, errors = page_filter(request.query_params)
    f = chart_defaults(engine, raw, "drl")
    with engine.begin() as conn:
        sets = sets_mod.list_sets(conn)
    sf = quantities.StatsFilter(
        modality=list(f.modality),
        date_from=datetime.combine(f.date_from, time.min) if f.date_from else None,
        date_to=datetime.combine(f.date_to + timedelta(days=1), time.min) if f.date_to else None,
        exam_codes=[f.exam_code] if f.exam_code else [],
        device_ids=list(f.room),
    )
    wanted = sorted({capabilities.DRL_QUANTITY[m] for m in f.modality if m in capabilities.DRL_QUANTITY})
    error = None
    try:
        rows = comp.compliance(engine, sf, period="all", quantities=wanted, by_room=True) if wanted else []
    except Exception as exc:  # a fault in the DRL capability is shown, not raised
        capabilities.log.exception("DRL compliance failed")
        rows, error = [], f"DRL comparison failed ({type(exc).__name__}: {exc})"
    rows = [r for r in rows if r.get("drl") is not None]
    chart = drl_medians(engine, f)
    return render(
        request,
        "drl.html",
        {
            "sets": sets,
            "rows": rows,
            "units": capabilities.DRL_UNITS,
            "f": f,
            "errors": errors + ([error] if error else []),
            "chart": chart,
            "modalities": cached_modalities(engine),
        },
    )


@pages.post("/drl/sets/{key}/active")
async def drl_activate(
    request: Request, key: str, engine: Annotated[Engine, Depends(get_engine)]
) -> Response:
    """Put a DRL set in force for every site, or take it out (audited by the access middleware)."""
    sets_mod = capabilities.optional("kerma.drl.sets")
    if sets_mod is None:
        return _missing(request, "DRL", "DRL comparison")
    form = await request.form()
    active = str(form.get("active", "")) == "1"
    try:
        with engine.begin() as conn:
            if active:
                sets_mod.activate(conn, key[:128], actor=actor(request))
            else:
                sets_mod.deactivate(conn, key[:128])
    except ValueError as exc:
        return render(request, "error.html", {"title": "DRL", "message": str(exc)}, status_code=404)
    return RedirectResponse("/drl", status_code=303)
