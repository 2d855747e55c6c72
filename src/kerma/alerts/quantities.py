"""Which dose quantities a rule can watch at each scope, their canonical units and their DRL quantity.

Names are the canonical column names of the store (``ctdivol_mgy``, ``total_dlp_mgy_cm``...), so a rule
reads exactly what the database holds. Thresholds typed in another unit are converted with
:mod:`kerma.domain.units` (the only place conversion factors live).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kerma.domain.units import Quantity, UnitError, to_canonical


class Scope(StrEnum):
    """What one evaluation looks at."""

    EVENT = "event"
    """One irradiation event (acquisition, fluoroscopy run, exposure)."""
    STUDY = "study"
    """One examination (study totals, or an aggregate over its counted events)."""
    PATIENT = "patient"
    """One patient's studies over a rolling window (cumulative dose)."""
    DEVICE = "device"
    """The last N exams of the same exam code on the same room (group criteria)."""


@dataclass(frozen=True, slots=True)
class QuantityInfo:
    """One watchable quantity."""

    name: str
    quantity: Quantity
    label: str
    drl_quantity: str | None
    """The DRL quantity it is compared with (a canonical event field name), if any."""


def _q(name: str, quantity: Quantity, label: str, drl: str | None = None) -> QuantityInfo:
    return QuantityInfo(name, quantity, label, drl)


# Event fields (per irradiation event).
EVENT_QUANTITIES: dict[str, QuantityInfo] = {
    q.name: q
    for q in (
        _q("ctdivol_mgy", Quantity.AIR_KERMA, "CTDIvol", "ctdivol_mgy"),
        _q("dlp_mgy_cm", Quantity.DLP, "DLP", "dlp_mgy_cm"),
        _q("ssde_mgy", Quantity.AIR_KERMA, "SSDE", "ssde_mgy"),
        _q("dap_gy_cm2", Quantity.DAP, "DAP", "dap_gy_cm2"),
        _q("kar_mgy", Quantity.AIR_KERMA, "Ka,r", "kar_mgy"),
        _q("fluoro_time_s", Quantity.TIME, "fluoroscopy time", "fluoro_time_s"),
        _q("agd_mgy", Quantity.AIR_KERMA, "AGD", "agd_mgy"),
        _q("entrance_dose_mgy", Quantity.AIR_KERMA, "entrance dose", "entrance_dose_mgy"),
        _q("effective_dose_msv", Quantity.EFFECTIVE_DOSE, "effective dose"),
    )
}

# Study columns (totals the store keeps) and aggregates over the study's counted events.
STUDY_COLUMNS: dict[str, QuantityInfo] = {
    q.name: q
    for q in (
        _q("total_dlp_mgy_cm", Quantity.DLP, "total DLP", "dlp_mgy_cm"),
        _q("total_dap_gy_cm2", Quantity.DAP, "total DAP", "dap_gy_cm2"),
        _q("total_kar_mgy", Quantity.AIR_KERMA, "total Ka,r", "kar_mgy"),
        _q("total_fluoro_time_s", Quantity.TIME, "total fluoroscopy time", "fluoro_time_s"),
        _q("total_fluoro_dap_gy_cm2", Quantity.DAP, "fluoroscopy DAP"),
        _q("total_acquisition_dap_gy_cm2", Quantity.DAP, "acquisition DAP"),
        _q("total_agd_mgy", Quantity.AIR_KERMA, "total AGD", "agd_mgy"),
        _q("administered_activity_mbq", Quantity.ACTIVITY, "administered activity", "activity_mbq"),
    )
}
STUDY_AGGREGATES: dict[str, QuantityInfo] = {
    q.name: q
    for q in (
        _q("ctdivol_mgy_max", Quantity.AIR_KERMA, "highest CTDIvol of a series", "ctdivol_mgy"),
        _q("ctdivol_mgy_sum", Quantity.AIR_KERMA, "CTDIvol summed over the exam's series"),
        _q("ctdivol_mgy_mean", Quantity.AIR_KERMA, "mean CTDIvol of the exam's series", "ctdivol_mgy"),
        _q("ssde_mgy_max", Quantity.AIR_KERMA, "highest SSDE of a series", "ssde_mgy"),
        _q("effective_dose_msv", Quantity.EFFECTIVE_DOSE, "effective dose (sum over events)"),
    )
}
STUDY_QUANTITIES: dict[str, QuantityInfo] = {**STUDY_COLUMNS, **STUDY_AGGREGATES}

# A patient's cumulative dose: sums of study quantities over the window.
PATIENT_QUANTITIES: dict[str, QuantityInfo] = {
    n: q
    for n, q in STUDY_QUANTITIES.items()
    if n not in ("ctdivol_mgy_max", "ctdivol_mgy_mean", "ssde_mgy_max")
}

# Study-scope spellings that are unambiguous and mean the study total.
STUDY_ALIASES: dict[str, str] = {
    "dlp_mgy_cm": "total_dlp_mgy_cm",
    "dap_gy_cm2": "total_dap_gy_cm2",
    "kar_mgy": "total_kar_mgy",
    "fluoro_time_s": "total_fluoro_time_s",
    "agd_mgy": "total_agd_mgy",
    "activity_mbq": "administered_activity_mbq",
}

BY_SCOPE: dict[Scope, dict[str, QuantityInfo]] = {
    Scope.EVENT: EVENT_QUANTITIES,
    Scope.STUDY: STUDY_QUANTITIES,
    Scope.PATIENT: PATIENT_QUANTITIES,
    Scope.DEVICE: STUDY_QUANTITIES,
}

# Event columns the engine reads for event rules and study aggregates.
EVENT_COLUMNS_NEEDED = (
    "irradiation_event_uid",
    "dedupe_key",
    "modality",
    "event_type",
    "protocol",
    "target_region",
    "datetime_started",
    "dose_check_alert",
    "dose_check_notification",
    "dose_check",
    *EVENT_QUANTITIES,
)


class QuantityError(ValueError):
    """An unknown quantity for a scope; the message lists the valid ones."""


def resolve(scope: Scope, name: str) -> QuantityInfo:
    """The quantity ``name`` means at ``scope`` (study aliases accepted); raises :class:`QuantityError`."""
    table = BY_SCOPE[scope]
    key = name.strip()
    if scope in (Scope.STUDY, Scope.PATIENT, Scope.DEVICE):
        key = STUDY_ALIASES.get(key, key)
    info = table.get(key)
    if info is None:
        hint = ""
        if scope is not Scope.EVENT and key == "ctdivol_mgy":
            hint = " (at this scope say ctdivol_mgy_max, ctdivol_mgy_sum or ctdivol_mgy_mean)"
        raise QuantityError(
            f"unknown quantity {name!r} for scope {scope.value}{hint}; valid: {', '.join(sorted(table))}"
        )
    return info


def to_canonical_threshold(value: float, unit: str | None, info: QuantityInfo) -> float:
    """A threshold typed in ``unit`` (None: already canonical) in the quantity's canonical unit."""
    if unit is None or not unit.strip():
        return float(value)
    try:
        return to_canonical(value, unit, info.quantity)
    except UnitError as exc:
        raise QuantityError(f"{info.name}: {exc}") from None


def canonical_unit(info: QuantityInfo) -> str:
    """Display form of the canonical unit (mGy, mGy·cm, Gy·cm², s, MBq, mSv)."""
    return {
        Quantity.AIR_KERMA: "mGy",
        Quantity.DLP: "mGy·cm",
        Quantity.DAP: "Gy·cm²",
        Quantity.TIME: "s",
        Quantity.ACTIVITY: "MBq",
        Quantity.EFFECTIVE_DOSE: "mSv",
    }.get(info.quantity, info.quantity.value)


def unit_of(name: str | None) -> str:
    """Display unit of any quantity name Kerma knows ('' if unknown)."""
    if not name:
        return ""
    for table in (EVENT_QUANTITIES, STUDY_QUANTITIES):
        if name in table:
            return canonical_unit(table[name])
    return ""
