"""Reading the studies filter from a request: strictly for the API (typed, documented, 422 on bad input)
and leniently for pages (empty form fields are 'no filter'; bad values come back as messages).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import HTTPException, Query
from starlette.datastructures import QueryParams

from kerma.web.data.studies import SORT_KEYS, StudyFilter
from kerma.web.fmt import STUDY_QUANTITIES

MODALITY_RE = re.compile(r"^[A-Z]{1,16}$")
EXAM_CODE_RE = re.compile(r"^[A-Za-z0-9._:/+-]{1,64}$")

SortKey = Literal[
    "date",
    "modality",
    "room",
    "description",
    "events",
    "age",
    "weight",
    "total_dlp_mgy_cm",
    "total_dap_gy_cm2",
    "total_kar_mgy",
    "total_fluoro_time_s",
    "total_agd_mgy",
    "administered_activity_mbq",
]
QuantityName = Literal[
    "total_dlp_mgy_cm",
    "total_dap_gy_cm2",
    "total_kar_mgy",
    "total_fluoro_time_s",
    "total_agd_mgy",
    "administered_activity_mbq",
]
assert set(SortKey.__args__) == set(SORT_KEYS)  # type: ignore[attr-defined]
assert set(QuantityName.__args__) == set(STUDY_QUANTITIES)  # type: ignore[attr-defined]


def api_filter(
    date_from: Annotated[
        date | None, Query(alias="from", description="First day (YYYY-MM-DD), inclusive.")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Last day (YYYY-MM-DD), inclusive.")
    ] = None,
    modality: Annotated[
        list[str],
        Query(description="Modalities (CT, DX, MG, RF, XA, ...); repeat for several.", max_length=20),
    ] = [],  # noqa: B006 - FastAPI copies defaults
    room: Annotated[
        list[int], Query(description="Room (device) ids; repeat for several.", max_length=200)
    ] = [],  # noqa: B006
    exam_code: Annotated[str | None, Query(max_length=64, pattern=EXAM_CODE_RE.pattern)] = None,
    mapped: Annotated[
        Literal["mapped", "unmapped"] | None, Query(description="Only mapped or unmapped studies.")
    ] = None,
    quantity: Annotated[QuantityName | None, Query(description="Quantity the dose range applies to.")] = None,
    dose_min: Annotated[float | None, Query(ge=0, description="Least dose, in the quantity's unit.")] = None,
    dose_max: Annotated[
        float | None, Query(ge=0, description="Largest dose, in the quantity's unit.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the description or accession number.")
    ] = None,
    patient: Annotated[str | None, Query(max_length=64, description="Patient pseudonym.")] = None,
    phantoms: Annotated[bool, Query(description="Include phantom / QA studies.")] = False,
) -> StudyFilter:
    """The studies filter of an API call."""
    mods = tuple(sorted({m.strip().upper() for m in modality if m.strip()}))
    for m in mods:
        if not MODALITY_RE.match(m):
            raise HTTPException(422, f"modality {m[:20]!r} is not a DICOM modality code")
    return StudyFilter(
        date_from=date_from,
        date_to=date_to,
        modality=mods,
        room=tuple(sorted(set(room))),
        exam_code=exam_code,
        mapped=None if mapped is None else mapped == "mapped",
        quantity=quantity,
        dose_min=dose_min,
        dose_max=dose_max,
        text=q.strip() if q and q.strip() else None,
        patient_key=patient,
        include_phantoms=phantoms,
    )


def parse_date(value: str, name: str, errors: list[str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"{name}: {value[:40]!r} is not a date (YYYY-MM-DD)")
        return None


def _float(value: str, name: str, errors: list[str]) -> float | None:
    if not value.strip():
        return None
    try:
        v = float(value.replace(",", ".").strip())
    except ValueError:
        errors.append(f"{name}: {value[:40]!r} is not a number")
        return None
    if v != v or v in (float("inf"), float("-inf")) or v < 0:
        errors.append(f"{name}: give a number of zero or more")
        return None
    return v


def page_filter(params: QueryParams) -> tuple[StudyFilter, list[str]]:
    """The studies filter of a page's query string, and messages about values that were ignored."""
    errors: list[str] = []
    mods = []
    for m in params.getlist("modality"):
        m = m.strip().upper()
        if not m:
            continue
        if MODALITY_RE.match(m):
            mods.append(m)
        else:
            errors.append(f"modality {m[:20]!r} is not a DICOM modality code")
    rooms = []
    for r in params.getlist("room"):
        if r.strip().isdigit() and len(r.strip()) < 10:
            rooms.append(int(r))
        elif r.strip():
            errors.append(f"room {r[:20]!r} is not a room id")
    exam = params.get("exam_code", "").strip()
    if exam and not EXAM_CODE_RE.match(exam):
        errors.append("exam code: letters, digits and . _ : / + - only")
        exam = ""
    mapped_raw = params.get("mapped", "")
    quantity = params.get("quantity", "")
    if quantity and quantity not in STUDY_QUANTITIES:
        errors.append(f"unknown quantity {quantity[:40]!r}")
        quantity = ""
    text = params.get("q", "").strip()[:200]
    patient = params.get("patient", "").strip()[:64]
    f = StudyFilter(
        date_from=parse_date(params.get("from", ""), "from", errors),
        date_to=parse_date(params.get("to", ""), "to", errors),
        modality=tuple(sorted(set(mods))),
        room=tuple(sorted(set(rooms))),
        exam_code=exam or None,
        mapped={"mapped": True, "unmapped": False}.get(mapped_raw),
        quantity=quantity or None,
        dose_min=_float(params.get("dose_min", ""), "least dose", errors),
        dose_max=_float(params.get("dose_max", ""), "largest dose", errors),
        text=text or None,
        patient_key=patient or None,
        include_phantoms=params.get("phantoms", "") in ("1", "true", "on"),
    )
    return f, errors


def page_sort(params: QueryParams, default: str = "date") -> tuple[str, str, list[str]]:
    """Sort key and order of a page (unknown keys fall back to the default, with a message)."""
    errors: list[str] = []
    sort = params.get("sort", default)
    if sort not in SORT_KEYS:
        errors.append(f"cannot sort by {sort[:40]!r}; sorted by date instead")
        sort = default
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        order = "desc"
    return sort, order, errors


def page_int(params: QueryParams, name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter clamped to [lo, hi] (pages never fail on a silly number)."""
    raw = params.get(name, "")
    try:
        value = int(raw) if raw.strip() else default
    except ValueError:
        value = default
    return max(lo, min(hi, value))
