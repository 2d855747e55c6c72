"""Patient identities, read only from the identity table and only ever together with an audit entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from kerma.privacy.audit import record
from kerma.store.schema.core import patient_identities, patients


def read_identity(engine: Engine, patient_key: str, actor: str, via: str) -> dict[str, Any] | None:
    """The identity behind a pseudonym (None if none is stored), audited in the same transaction."""
    with engine.begin() as conn:
        row = (
            conn.execute(
                select(
                    patient_identities.c.id_value,
                    patient_identities.c.issuer,
                    patient_identities.c.name,
                    patient_identities.c.birth_date,
                    patient_identities.c.updated_at,
                )
                .join(patients, patients.c.id == patient_identities.c.patient_id)
                .where(patients.c.patient_key == patient_key)
            )
            .mappings()
            .first()
        )
        record(conn, actor, "identity.view", f"patient:{patient_key}", {"found": row is not None, "via": via})
    return dict(row) if row else None


def find_patients(
    engine: Engine, patient_id: str, actor: str, via: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Pseudonyms of the patients with this patient ID (any issuer); the search is audited."""
    value = patient_id.strip()
    with engine.begin() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(
                    patients.c.patient_key,
                    patient_identities.c.id_value,
                    patient_identities.c.issuer,
                    patient_identities.c.name,
                    patient_identities.c.birth_date,
                )
                .join(patients, patients.c.id == patient_identities.c.patient_id)
                .where(func.upper(patient_identities.c.id_value) == value.upper())
                .limit(limit)
            ).mappings()
        ]
        record(conn, actor, "identity.search", "patient_id", {"matches": len(rows), "via": via})
    return rows


def patient_exists(engine: Engine, patient_key: str) -> bool:
    """True when a patient has this pseudonym."""
    with engine.connect() as conn:
        return (
            conn.execute(select(patients.c.id).where(patients.c.patient_key == patient_key)).first()
            is not None
        )
