"""Radiopharmaceutical administrations from PET and NM image headers.

Radionuclide Total Dose (0018,1074) has two units in PS3.3: MBq in the NM Isotope Module
(C.8.4.10.1.7) and Bq in the PET Isotope Module (C.8.9.2); the committee kept the discrepancy. The corpus
shows both (NM 320 / 764 = MBq of Tc-99m; PET 394000000 = 394 MBq of F-18). Senders are known to use the
wrong one, so the magnitude is checked too: no administration is below 0.1 MBq or above 100 GBq.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kerma.domain.model import Administration
from kerma.domain.units import BQ_TO_MBQ
from kerma.ingest.common import combine_da_tm, parse_dt
from kerma.ingest.headers.fields import Fields, label
from kerma.ingest.headers.keys import administration_key

# Below this a value cannot be Bq of a real administration (0.1 MBq); at or above it cannot be MBq.
_BQ_MBQ_BOUNDARY = 1e5


def activity_mbq(value: float | None, *, pet: bool, warnings: list[str]) -> float | None:
    """Radionuclide Total Dose in MBq, from the unit of the IOD, corrected when the magnitude says
    the sender used the other IOD's unit."""
    if value is None:
        return None
    if value == 0:
        warnings.append(f"{label('RadionuclideTotalDose')} is 0; no activity recorded")
        return None
    if pet and value < _BQ_MBQ_BOUNDARY:
        warnings.append(f"{label('RadionuclideTotalDose')} {value:g} is implausible in Bq (PET); read as MBq")
        return value
    if not pet and value >= _BQ_MBQ_BOUNDARY:
        warnings.append(f"{label('RadionuclideTotalDose')} {value:g} is implausible in MBq (NM); read as Bq")
        return value * BQ_TO_MBQ
    return value * BQ_TO_MBQ if pet else value


def _moment(f: Fields, dt_keyword: str, time_keyword: str, day: str | None) -> datetime | None:
    time_of_day = f.text(time_keyword)
    # A date alone would read as midnight: without a time there is no start to report.
    return parse_dt(f.text(dt_keyword)) or (combine_da_tm(day, time_of_day) if time_of_day else None)


def administrations(
    f: Fields, *, pet: bool, study_uid: str, acquired: datetime | None, day: str | None
) -> list[Administration]:
    """One administration per Radiopharmaceutical Information Sequence (0054,0016) item.

    ``day`` dates a start given only as a time (the acquisition's date); a start after the acquisition
    then means the injection was the evening before.
    """
    result: list[Administration] = []
    for item in f.items("RadiopharmaceuticalInformationSequence", strict=True):
        sub = f.scoped(item)
        nuclide = sub.code("RadionuclideCodeSequence")[1] or sub.text("Radiopharmaceutical")
        pharmaceutical = sub.code("RadiopharmaceuticalCodeSequence")[1] or sub.text("Radiopharmaceutical")
        activity = activity_mbq(sub.dose("RadionuclideTotalDose"), pet=pet, warnings=f.warnings)
        if activity is None and nuclide is None:
            continue
        start = _moment(sub, "RadiopharmaceuticalStartDateTime", "RadiopharmaceuticalStartTime", day)
        stop = _moment(sub, "RadiopharmaceuticalStopDateTime", "RadiopharmaceuticalStopTime", day)
        time_only = sub.text("RadiopharmaceuticalStartDateTime") is None
        if time_only and start is not None and acquired is not None and start > acquired:
            start -= timedelta(days=1)
            stop = None if stop is None else stop - timedelta(days=1)
        result.append(
            Administration(
                event_uid=administration_key(study_uid, nuclide, start, activity),
                radionuclide=nuclide,
                radionuclide_half_life_s=sub.number("RadionuclideHalfLife", positive=True),
                pharmaceutical=pharmaceutical,
                activity_mbq=activity,
                route=sub.code("AdministrationRouteCodeSequence")[1] or sub.text("RadiopharmaceuticalRoute"),
                start_datetime=start,
                stop_datetime=stop,
            )
        )
    return result
