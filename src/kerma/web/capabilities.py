"""The web layer's one door to other capabilities (mapping, DRLs, alerts, registry, DICOM node).

Each is optional: when a capability is not installed (or not built yet) its functions here say so and
the pages explain the empty state instead of failing.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from sqlalchemy import ColumnElement, func, select

from kerma.store.schema.core import studies

log = logging.getLogger(__name__)


class CapabilityFailed(RuntimeError):
    """Another capability raised while the web layer called it; pages show the message, not a crash."""


def optional(name: str) -> ModuleType | None:
    """Import a capability module if this installation has it."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def exam_code_columns() -> list[tuple[str, Any]]:
    """(name, expression) of the study's exam code and name, from the mapping capability (or none)."""
    mod = optional("kerma.nomenclature.export")
    if mod is None:
        return []
    return list(mod.study_columns())


def has_mapping() -> bool:
    """True when exam-code mapping is installed."""
    return optional("kerma.store.schema.nomenclature") is not None and bool(exam_code_columns())


def exam_code_filter(code: str) -> ColumnElement[bool] | None:
    """Studies mapped to ``code`` (None when mapping is not installed)."""
    schema = optional("kerma.store.schema.nomenclature")
    if schema is None:
        return None
    sec = schema.study_exam_codes
    return studies.c.id.in_(select(sec.c.study_id).where(sec.c.exam_code == code))


def mapped_filter(mapped: bool) -> ColumnElement[bool] | None:
    """Studies with (or without) an exam code (None when mapping is not installed)."""
    schema = optional("kerma.store.schema.nomenclature")
    if schema is None:
        return None
    sec = schema.study_exam_codes
    inner = select(sec.c.study_id).where(sec.c.study_id == studies.c.id).exists()
    return inner if mapped else ~inner


# DRL quantity of a modality's exams, as kerma.drl names it (the study-level totals carry "total_").
DRL_QUANTITY = {
    "CT": "dlp_mgy_cm",
    "DX": "dap_gy_cm2",
    "CR": "dap_gy_cm2",
    "RF": "dap_gy_cm2",
    "XA": "dap_gy_cm2",
    "PX": "dap_gy_cm2",
    "MG": "agd_mgy",
}
DRL_UNITS = {"dlp_mgy_cm": "mGy·cm", "ctdivol_mgy": "mGy", "dap_gy_cm2": "Gy·cm²", "agd_mgy": "mGy"}


def study_drl_comparison(engine: Any, study_id: int) -> list[dict[str, Any]] | None:
    """The study's doses against the DRLs in force for its exam code, site and patient (None when the DRL
    capability is not installed; empty when the study has no exam code or no DRL applies)."""
    lookup = optional("kerma.alerts.drl_lookup")
    if lookup is None or optional("kerma.drl.sets") is None:
        return None
    from kerma.store.schema.core import devices, events

    with engine.connect() as conn:
        code = lookup.exam_code_of(conn, study_id)
        if code is None:
            return []
        s = (
            conn.execute(
                select(studies, devices.c.institution)
                .select_from(studies.outerjoin(devices, devices.c.id == studies.c.device_id))
                .where(studies.c.id == study_id)
            )
            .mappings()
            .one()
        )
        ev = conn.execute(
            select(func.max(events.c.ctdivol_mgy), func.max(events.c.agd_mgy)).where(
                events.c.study_id == study_id, events.c.counted.is_(True)
            )
        ).one()
        checks = [
            ("dlp_mgy_cm", "study", s["total_dlp_mgy_cm"]),
            ("ctdivol_mgy", "exposure", ev[0]),
            ("dap_gy_cm2", "study", s["total_dap_gy_cm2"]),
            ("agd_mgy", "exposure", ev[1]),
            ("agd_mgy", "study", s["total_agd_mgy"]),
        ]
        out = []
        for quantity, per, value in checks:
            if value is None:
                continue
            ref = lookup.active_drl(
                conn,
                code,
                quantity,
                per=per,
                site=s["institution"],
                age_years=s["patient_age_years"],
                weight_kg=s["patient_weight_kg"],
            )
            if ref is None:
                continue
            out.append(
                {
                    "set_name": ref.set_name,
                    "exam_code": code,
                    "band_label": ref.band_label,
                    "quantity": quantity,
                    "per": per,
                    "value": value,
                    "drl": ref.value,
                    "unit": DRL_UNITS.get(quantity, ""),
                    "ratio": value / ref.value if ref.value else None,
                }
            )
    return out


def viewer_url(template: str | None, study_instance_uid: str, accession_number: str | None) -> str | None:
    """The PACS viewer link for a study from a URL template with {study_instance_uid} / {accession_number}."""
    from urllib.parse import quote

    if not template:
        return None
    url = template.replace("{study_instance_uid}", quote(study_instance_uid, safe=""))
    url = url.replace("{accession_number}", quote(accession_number or "", safe=""))
    # only web links: a template must not turn into javascript: or similar
    return url if url.startswith(("http://", "https://", "/")) else None


def drl_medians(engine: Any, f: Any) -> list[dict[str, Any]] | None:
    """Median per exam code against its DRL for the studies of filter ``f`` (None: no DRL capability).

    Rows: exam_code, exam_name, band, quantity, per, unit, median, drl, ratio, studies, valid. Where a
    DRL exists both per study and per exposure, the per-study comparison is kept. Raises
    CapabilityFailed when the DRL capability fails for every quantity asked.
    """
    comp = optional("kerma.drl.compliance")
    quantities = optional("kerma.analytics.quantities")
    if comp is None or quantities is None:
        return None
    from datetime import datetime, time, timedelta

    wanted = (
        sorted({DRL_QUANTITY[m] for m in f.modality if m in DRL_QUANTITY})
        if f.modality
        else [
            "agd_mgy",
            "dap_gy_cm2",
            "dlp_mgy_cm",
        ]
    )
    if not wanted:
        return []
    sf = quantities.StatsFilter(
        modality=list(f.modality),
        date_from=datetime.combine(f.date_from, time.min) if f.date_from else None,
        date_to=datetime.combine(f.date_to + timedelta(days=1), time.min) if f.date_to else None,
        exam_codes=[f.exam_code] if f.exam_code else [],
        device_ids=list(f.room),
    )
    rows: list[dict[str, Any]] = []
    errors = []
    for q in wanted:
        try:
            rows += comp.compliance(engine, sf, period="all", quantities=[q], by_room=False)
        except Exception as exc:  # a fault in the DRL capability must not take the dashboard down
            log.exception("DRL compliance failed for %s", q)
            errors.append(f"{q}: {type(exc).__name__}: {exc}")
    if errors and len(errors) == len(wanted):
        raise CapabilityFailed("DRL comparison failed (" + "; ".join(errors) + ")")
    best: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        if r.get("drl") is None or r.get("median") is None:
            continue
        key = (r["exam_code"], r["quantity"], r.get("band"))
        if key not in best or r.get("per") == "study":
            best[key] = r
    return [
        {
            "exam_code": r["exam_code"],
            "exam_name": r.get("exam_name"),
            "band": r.get("band"),
            "quantity": r["quantity"],
            "per": r.get("per"),
            "unit": DRL_UNITS.get(r["quantity"], ""),
            "median": r["median"],
            "drl": r["drl"],
            "ratio": r.get("ratio_to_drl"),
            "studies": r.get("n"),
            "valid": r.get("valid"),
        }
        for r in best.values()
    ]


def open_alerts(engine: Any, limit: int = 10) -> list[dict[str, Any]] | None:
    """Open alerts, newest first (None when the alerts capability is not installed)."""
    mod = optional("kerma.alerts.inbox")
    fn = getattr(mod, "open_alerts", None) if mod else None
    if fn is None:
        return None
    return list(fn(engine, limit=limit))


def exam_codes_in_use(engine: Any) -> list[dict[str, Any]]:
    """Exam codes with their study counts (empty when mapping is not installed)."""
    mod = optional("kerma.nomenclature.service")
    fn = getattr(mod, "mapping_summary", None) if mod else None
    if fn is None:
        return []
    merged: dict[str, dict[str, Any]] = {}
    for r in fn(engine):
        m = merged.setdefault(
            r["exam_code"],
            {
                "exam_code": r["exam_code"],
                "exam_name": r.get("exam_name"),
                "modality": r.get("modality"),
                "studies": 0,
            },
        )
        m["studies"] += int(r.get("studies") or 0)
    return sorted(merged.values(), key=lambda r: (r.get("modality") or "", r["exam_code"]))
