"""The dose values statistics are taken of, one row per study or per exposure, with their group columns.

Per study: DLP is the study total (``studies.total_dlp_mgy_cm``); CTDIvol is the mean over the study's
counted CT acquisitions other than localizers and bolus-tracking monitoring (event types
'constant_angle' and 'stationary'); DAP is the study total (``total_dap_gy_cm2``); AGD is the study total.
Per exposure: each counted event's own value (CT: each acquisition, the UK's "per sequence"; MG: each
view). Phantom studies and uncounted events (outranked or superseded sources) are always left out, and
only studies with an exam code count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.expression import ColumnElement

from kerma.analytics.sqlfuncs import period_label
from kerma.store.schema.core import events, studies
from kerma.store.schema.nomenclature import study_exam_codes

QUANTITIES = ("dlp_mgy_cm", "ctdivol_mgy", "dap_gy_cm2", "agd_mgy")
PER = ("study", "exposure")
NON_DIAGNOSTIC_CT_EVENTS = ("constant_angle", "stationary")
DEFAULT_PER = {"dlp_mgy_cm": "study", "ctdivol_mgy": "study", "dap_gy_cm2": "study", "agd_mgy": "exposure"}
MODALITIES = {
    "dlp_mgy_cm": ("CT",),
    "ctdivol_mgy": ("CT",),
    "dap_gy_cm2": ("DX", "CR", "RF", "XA", "PX"),
    "agd_mgy": ("MG",),
}
_STUDY_TOTAL = {
    "dlp_mgy_cm": studies.c.total_dlp_mgy_cm,
    "dap_gy_cm2": studies.c.total_dap_gy_cm2,
    "agd_mgy": studies.c.total_agd_mgy,
}


@dataclass(slots=True)
class StatsFilter:
    """Which studies count."""

    modality: Sequence[str] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None
    exam_codes: Sequence[str] = ()
    device_ids: Sequence[int] = ()
    extra: list[ColumnElement[bool]] = field(default_factory=list)


def _diagnostic_ct(col: ColumnElement[Any]) -> ColumnElement[bool]:
    return or_(col.is_(None), col.not_in(NON_DIAGNOSTIC_CT_EVENTS))


def values_query(
    quantity: str,
    per: str,
    f: StatsFilter,
    period: str = "all",
    band: ColumnElement[Any] | None = None,
) -> Select[Any]:
    """Rows (exam_code, device_id, period, band, value) of ``quantity`` per study or per exposure."""
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}")
    if per not in PER:
        raise ValueError(f"per must be study or exposure, not {per!r}")
    code = study_exam_codes.c.exam_code
    base_cols: list[ColumnElement[Any]] = [
        code.label("exam_code"),
        studies.c.device_id.label("device_id"),
        period_label(studies.c.study_datetime, period).label("period"),
        (band if band is not None else period_label(studies.c.study_datetime, "all")).label("band"),
    ]
    joined = studies.join(study_exam_codes, study_exam_codes.c.study_id == studies.c.id)
    conds: list[ColumnElement[bool]] = [studies.c.is_phantom.is_(False)]
    if per == "study" and quantity == "ctdivol_mgy":
        ev = (
            select(events.c.study_id, func.avg(events.c.ctdivol_mgy).label("v"))
            .where(events.c.counted.is_(True), events.c.ctdivol_mgy > 0, _diagnostic_ct(events.c.event_type))
            .group_by(events.c.study_id)
            .subquery("ctdi")
        )
        stmt = select(*base_cols, ev.c.v.label("value")).select_from(
            joined.join(ev, ev.c.study_id == studies.c.id)
        )
    elif per == "study":
        total = _STUDY_TOTAL[quantity]
        stmt = select(*base_cols, total.label("value")).select_from(joined)
        conds.append(total.is_not(None))
    else:
        col = events.c[quantity]
        stmt = select(*base_cols, col.label("value")).select_from(
            joined.join(events, events.c.study_id == studies.c.id)
        )
        conds += [events.c.counted.is_(True), col.is_not(None)]
        if quantity in ("dlp_mgy_cm", "ctdivol_mgy"):
            conds.append(_diagnostic_ct(events.c.event_type))
    if f.modality:
        conds.append(studies.c.modality.in_([m.upper() for m in f.modality]))
    if f.date_from is not None:
        conds.append(studies.c.study_datetime >= f.date_from)
    if f.date_to is not None:
        conds.append(studies.c.study_datetime < f.date_to)
    if f.exam_codes:
        conds.append(code.in_(list(f.exam_codes)))
    if f.device_ids:
        conds.append(studies.c.device_id.in_(list(f.device_ids)))
    conds += f.extra
    return stmt.where(and_(*conds))
