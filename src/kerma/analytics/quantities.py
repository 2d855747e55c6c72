"""The dose values statistics are taken of, one row per study or per exposure, with their group columns.

The rows live in ``stat_values`` (see kerma.analytics.values for what each quantity's value is: study
totals, the mean diagnostic CTDIvol of a study, or each counted exposure's own value). Phantom studies,
uncounted events and studies without an exam code are never there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.sql.expression import ColumnElement

from kerma.analytics.sqlfuncs import period_label
from kerma.store.schema.analytics import stat_values

QUANTITIES = ("dlp_mgy_cm", "ctdivol_mgy", "dap_gy_cm2", "agd_mgy")
PER = ("study", "exposure")
DEFAULT_PER = {"dlp_mgy_cm": "study", "ctdivol_mgy": "study", "dap_gy_cm2": "study", "agd_mgy": "exposure"}
MODALITIES = {
    "dlp_mgy_cm": ("CT",),
    "ctdivol_mgy": ("CT",),
    "dap_gy_cm2": ("DX", "CR", "RF", "XA", "PX"),
    "agd_mgy": ("MG",),
}

V = stat_values.c


@dataclass(slots=True)
class StatsFilter:
    """Which values count (``extra``: further conditions on ``stat_values`` columns)."""

    modality: Sequence[str] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None
    exam_codes: Sequence[str] = ()
    device_ids: Sequence[int] = ()
    extra: list[ColumnElement[bool]] = field(default_factory=list)


def check(quantity: str, per: str) -> None:
    """Raise ValueError for an unknown quantity or per."""
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}")
    if per not in PER:
        raise ValueError(f"per must be study or exposure, not {per!r}")


def conditions(quantity: str, per: str, f: StatsFilter) -> list[ColumnElement[bool]]:
    """WHERE terms on ``stat_values`` for a quantity and a filter."""
    check(quantity, per)
    conds: list[ColumnElement[bool]] = [V.quantity == quantity, V.per == per]
    if f.modality:
        conds.append(V.modality.in_([m.upper() for m in f.modality]))
    if f.date_from is not None:
        conds.append(V.study_datetime >= f.date_from)
    if f.date_to is not None:
        conds.append(V.study_datetime < f.date_to)
    if f.exam_codes:
        conds.append(V.exam_code.in_(list(f.exam_codes)))
    if f.device_ids:
        conds.append(V.device_id.in_(list(f.device_ids)))
    return conds + list(f.extra)


def values_query(
    quantity: str,
    per: str,
    f: StatsFilter,
    period: str = "all",
    band: ColumnElement[Any] | None = None,
) -> Select[Any]:
    """Rows (exam_code, device_id, period, band, value) of ``quantity`` per study or per exposure.

    ``band`` is a label expression over ``stat_values`` columns; rows it gives no label (patients
    outside every band of their exam code) are left out.
    """
    conds = conditions(quantity, per, f)
    band_col = band if band is not None else period_label(V.study_datetime, "all")
    if band is not None:
        conds.append(band.is_not(None))
    return select(
        V.exam_code.label("exam_code"),
        V.device_id.label("device_id"),
        period_label(V.study_datetime, period).label("period"),
        band_col.label("band"),
        V.value.label("value"),
    ).where(and_(*conds))
