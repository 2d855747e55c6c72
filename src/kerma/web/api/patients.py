"""REST API: a patient's dose history (by pseudonym) and, for the `pid` role only, the identity behind it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy import Engine

from kerma.web.auth.roles import Principal
from kerma.web.data.identity import find_patients, patient_exists, read_identity
from kerma.web.data.studies import studies_of_patient
from kerma.web.deps import get_engine, get_principal
from kerma.web.fmt import STUDY_QUANTITIES

router = APIRouter(prefix="/api/patients", tags=["patients"])

KeyPath = Annotated[
    str, Path(max_length=64, pattern=r"^[A-Za-z0-9]{1,64}$", description="Patient pseudonym.")
]


def cumulative(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Sum and count of each dose quantity over a patient's studies (sums only within one quantity)."""
    out: dict[str, dict[str, Any]] = {}
    for q in STUDY_QUANTITIES:
        values = [r[q] for r in rows if r.get(q) is not None]
        if values:
            out[q] = {"sum": sum(values), "studies": len(values), "max": max(values)}
    return out


@router.get("/identity/search", summary="Find pseudonyms by patient ID (role pid; audited)")
def search_identity(
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
    patient_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> list[dict[str, Any]]:
    """Patients whose Patient ID equals ``patient_id``; every search is audited."""
    return find_patients(engine, patient_id, principal.username, principal.via)


@router.get("/{patient_key}", summary="A patient's dose history (pseudonymised)")
def patient_history(patient_key: KeyPath, engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """Every study of the patient, oldest first, with cumulative sums per quantity."""
    if not patient_exists(engine, patient_key):
        raise HTTPException(404, f"no patient with pseudonym {patient_key}")
    rows = studies_of_patient(engine, patient_key)
    return {"patient_key": patient_key, "studies": rows, "cumulative": cumulative(rows)}


@router.get("/{patient_key}/identity", summary="The identity behind a pseudonym (role pid; audited)")
def patient_identity(
    patient_key: KeyPath,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, Any]:
    """Patient ID, issuer, name and birth date; the view is written to the audit log."""
    if not patient_exists(engine, patient_key):
        raise HTTPException(404, f"no patient with pseudonym {patient_key}")
    ident = read_identity(engine, patient_key, principal.username, principal.via)
    if ident is None:
        raise HTTPException(404, "no identity is stored for this patient")
    return {"patient_key": patient_key, **ident}
