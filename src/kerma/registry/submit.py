"""A site's data in the registry's survey format (`kerma export --registry`): one row per study with an
exam code, pseudonymised (no patient identifier, only age, sex and weight), with the template's headers
so the authority's `kerma registry import` reads it without a single repair.

Values per study follow the definitions of :mod:`kerma.analytics.quantities`: DLP and DAP are study
totals, CTDIvol the mean over counted diagnostic CT acquisitions (localizers and bolus monitoring left
out), AGD the mean per view (the German mammography DRL is per view).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, or_, select

from kerma.analytics.values import NON_DIAGNOSTIC_CT_EVENTS
from kerma.registry.catalogue import Catalogue
from kerma.registry.template import COLUMNS
from kerma.reports.tabular import FORMATS, write_rows
from kerma.store.queries import stream
from kerma.store.schema.core import devices, events, studies
from kerma.store.schema.nomenclature import study_exam_codes

DATA_SOURCE = "DMS (Kerma)"
HEADERS = [title for _f, title, _h in COLUMNS]


def _study_rows(year: int) -> Any:
    diagnostic = or_(events.c.event_type.is_(None), events.c.event_type.not_in(NON_DIAGNOSTIC_CT_EVENTS))
    ct = (
        select(
            events.c.study_id,
            func.avg(events.c.ctdivol_mgy).label("ctdivol"),
            func.max(events.c.ctdi_phantom).label("phantom"),
        )
        .where(events.c.counted.is_(True), events.c.ctdivol_mgy > 0, diagnostic)
        .group_by(events.c.study_id)
        .subquery("ct")
    )
    mg = (
        select(events.c.study_id, func.avg(events.c.agd_mgy).label("agd"))
        .where(events.c.counted.is_(True), events.c.agd_mgy > 0)
        .group_by(events.c.study_id)
        .subquery("mg")
    )
    stmt = (
        select(
            studies.c.id,
            studies.c.modality,
            devices.c.institution,
            func.coalesce(devices.c.display_name, devices.c.station_name, devices.c.model).label("device"),
            devices.c.id.label("device_id"),
            study_exam_codes.c.exam_code,
            study_exam_codes.c.exam_name,
            studies.c.total_dap_gy_cm2,
            mg.c.agd,
            ct.c.ctdivol,
            studies.c.total_dlp_mgy_cm,
            ct.c.phantom,
            studies.c.patient_weight_kg,
            studies.c.patient_age_years,
            studies.c.patient_sex,
        )
        .select_from(
            studies.join(study_exam_codes, study_exam_codes.c.study_id == studies.c.id)
            .outerjoin(devices, devices.c.id == studies.c.device_id)
            .outerjoin(ct, ct.c.study_id == studies.c.id)
            .outerjoin(mg, mg.c.study_id == studies.c.id)
        )
        .where(
            studies.c.is_phantom.is_(False),
            studies.c.study_datetime >= datetime(year, 1, 1),
            studies.c.study_datetime < datetime(year + 1, 1, 1),
        )
        .order_by(studies.c.study_datetime, studies.c.id)
    )
    return stmt


def _phantom(text: str | None) -> int | None:
    if not text:
        return None
    t = text.lower()
    return 16 if ("16" in t or "head" in t) else 32 if ("32" in t or "body" in t) else None


def write_site_submission(
    engine: Engine, out: Path | None, year: int, fmt: str, facility: str | None = None
) -> int:
    """Write the site's studies of ``year`` in the registry's format to ``out`` (stdout for csv/json when
    None); ``facility`` is the ID the authority knows the site by (default: the devices' institution).
    Returns the number of rows written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    cat = Catalogue()

    def rows() -> Any:
        for r in stream(engine, _study_rows(year)):
            (
                _sid,
                modality,
                institution,
                device,
                device_id,
                code,
                name,
                dap,
                agd,
                ctdi,
                dlp,
                phantom,
                w,
                age,
                sex,
            ) = r
            exam = cat.get(code)
            mod = exam.modality if exam else (modality or "")
            ct = mod == "CT"
            yield [
                DATA_SOURCE,
                year,
                facility or institution or "",
                device or (f"device {device_id}" if device_id else ""),
                code,
                (exam.name if exam else name) or "",
                dap if mod in ("DX", "CR", "RF", "XA") else None,
                agd if mod == "MG" else None,
                ctdi if ct else None,
                dlp if ct else None,
                _phantom(phantom) if ct else None,
                w,
                age,
                {"M": "M", "F": "F", "O": "O"}.get(sex or "", None),
                "single",
                1,
                None,
            ]

    return write_rows(fmt, HEADERS, rows(), out, sys.stdout)
