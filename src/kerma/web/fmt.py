"""Readable numbers with units for pages and charts: the quantities Kerma shows and how to print them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Quantity:
    """A dose quantity as a column name, a short label and its unit."""

    column: str
    label: str
    unit: str

    @property
    def title(self) -> str:
        """'DLP (mGy·cm)'."""
        return f"{self.label} ({self.unit})"


# Study-level totals a list can show, filter and sort by (column names carry the canonical unit).
STUDY_QUANTITIES: dict[str, Quantity] = {
    q.column: q
    for q in (
        Quantity("total_dlp_mgy_cm", "DLP", "mGy·cm"),
        Quantity("total_dap_gy_cm2", "DAP", "Gy·cm²"),
        Quantity("total_kar_mgy", "Ka,r", "mGy"),
        Quantity("total_fluoro_time_s", "Fluoro time", "s"),
        Quantity("total_agd_mgy", "AGD", "mGy"),
        Quantity("administered_activity_mbq", "Activity", "MBq"),
    )
}

# The quantity a modality's exams are usually judged by (what DRLs are set for).
MAIN_QUANTITY: dict[str, str] = {
    "CT": "total_dlp_mgy_cm",
    "DX": "total_dap_gy_cm2",
    "CR": "total_dap_gy_cm2",
    "RF": "total_dap_gy_cm2",
    "XA": "total_dap_gy_cm2",
    "PX": "total_dap_gy_cm2",
    "MG": "total_agd_mgy",
    "NM": "administered_activity_mbq",
    "PT": "administered_activity_mbq",
}

# Units of event-level columns, for the study page's event table.
EVENT_UNITS: dict[str, str] = {
    "ctdivol_mgy": "mGy",
    "dlp_mgy_cm": "mGy·cm",
    "scanning_length_mm": "mm",
    "exposed_range_mm": "mm",
    "nominal_single_collimation_mm": "mm",
    "nominal_total_collimation_mm": "mm",
    "exposure_time_per_rotation_s": "s",
    "max_tube_current_ma": "mA",
    "water_equivalent_diameter_mm": "mm",
    "ssde_mgy": "mGy",
    "effective_dose_msv": "mSv",
    "kvp": "kV",
    "tube_current_ma": "mA",
    "exposure_time_s": "s",
    "exposure_mas": "mAs",
    "dap_gy_cm2": "Gy·cm²",
    "kar_mgy": "mGy",
    "fluoro_time_s": "s",
    "irradiation_duration_s": "s",
    "pulse_rate_per_s": "1/s",
    "pulse_width_ms": "ms",
    "distance_source_to_rp_mm": "mm",
    "distance_source_to_detector_mm": "mm",
    "distance_source_to_isocenter_mm": "mm",
    "distance_source_to_patient_mm": "mm",
    "positioner_primary_angle_deg": "°",
    "positioner_secondary_angle_deg": "°",
    "positioner_primary_end_angle_deg": "°",
    "positioner_secondary_end_angle_deg": "°",
    "column_angulation_deg": "°",
    "table_longitudinal_position_mm": "mm",
    "table_lateral_position_mm": "mm",
    "table_height_position_mm": "mm",
    "collimated_field_area_cm2": "cm²",
    "collimated_field_height_mm": "mm",
    "collimated_field_width_mm": "mm",
    "focal_spot_mm": "mm",
    "agd_mgy": "mGy",
    "entrance_dose_mgy": "mGy",
    "compression_thickness_mm": "mm",
    "compression_force_n": "N",
    "half_value_layer_mm": "mm",
}

_UNIT_SUFFIXES = (
    "_mgy_cm",
    "_gy_cm2",
    "_cm2",
    "_mgy",
    "_msv",
    "_mbq",
    "_mm",
    "_ma",
    "_mas",
    "_deg",
    "_per_s",
    "_ms",
    "_s",
    "_n",
)


def label_of(column: str) -> str:
    """'ctdivol_mgy' -> 'CTDIvol'; other names lose their unit suffix and underscores."""
    special = {
        "ctdivol_mgy": "CTDIvol",
        "dlp_mgy_cm": "DLP",
        "ssde_mgy": "SSDE",
        "dap_gy_cm2": "DAP",
        "kar_mgy": "Ka,r",
        "agd_mgy": "AGD",
        "kvp": "kVp",
        "exposure_mas": "Exposure",
        "datetime_started": "Time",
        "ctdi_phantom": "CTDI phantom",
        "irradiation_event_uid": "Event UID",
        "event_type": "Type",
        "sop_instance_uid": "SOP Instance UID",
        "series_instance_uid": "Series UID",
        "exposure_index": "EI",
        "target_exposure_index": "Target EI",
        "deviation_index": "DI",
        "half_value_layer_mm": "HVL",
    }
    if column in special:
        return special[column]
    name = column
    for suffix in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("_", " ").capitalize()


def num(value: object, digits: int = 3) -> str:
    """About ``digits`` significant figures, thin-space thousands: '1 234', '12.3', '0.0452'."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if not isinstance(value, float):
        return str(value)
    v = value
    if math.isnan(v) or math.isinf(v):
        return "–"
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    decimals = max(0, digits - 1 - mag)
    text = f"{v:,.{decimals}f}"
    return text.replace(",", "\u202f")


def tick(value: float, step: float) -> str:
    """An axis label with just the decimals the tick step needs: 0, 250, 500 or 0.05, 0.10 or 2.5, 5.0."""
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1
    return f"{value:,.{decimals}f}".replace(",", "\u202f")


def with_unit(value: object, unit: str, digits: int = 3) -> str:
    """'512 mGy·cm' (or '–' when missing)."""
    text = num(value, digits)
    return text if text == "–" or not unit else f"{text}\u00a0{unit}"


def duration(seconds: float | None) -> str:
    """Fluoroscopy time as '2 min 35 s' (seconds below a minute as '42.0 s')."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f}\u00a0s"
    m, s = divmod(round(seconds), 60)
    return f"{m}\u00a0min {s}\u00a0s"


def when(value: object) -> str:
    """'2025-03-14 09:41' for datetimes, ISO for dates, '–' when missing."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "–" if value is None else str(value)


def age(years: float | None) -> str:
    """Age at exam: '47 y', '8 mo' for infants."""
    if years is None:
        return "–"
    if years < 2:
        return f"{round(years * 12)}\u00a0mo"
    return f"{int(years)}\u00a0y"
