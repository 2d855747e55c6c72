"""Later corrections of patient height and weight, keyed by accession number or Study Instance UID.

The old value is kept in ``characteristic_changes``; nothing is overwritten without a trace.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from kerma.analytics.values import refresh as refresh_values
from kerma.privacy.audit import record
from kerma.store.schema.core import characteristic_changes, studies
from kerma.store.writer import utcnow

FIELDS = {"patient_weight_kg": (0.2, 400.0), "patient_height_m": (0.2, 2.8)}


def _value(raw: str | None, field: str, line: int) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        v = float(raw.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"line {line}, column {field}: {raw!r} is not a number") from None
    low, high = FIELDS[field]
    if not low < v <= high:
        raise ValueError(f"line {line}, column {field}: {v} is outside {low}..{high}")
    return v


def apply_corrections(engine: Engine, path: Path, actor: str) -> dict[str, Any]:
    """Apply a corrections CSV in one transaction; returns counts and the keys that matched no study."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        if not cols & {"accession_number", "study_instance_uid"}:
            raise ValueError(f"{path}: needs a column accession_number or study_instance_uid")
        if not cols & set(FIELDS):
            raise ValueError(f"{path}: needs a column patient_weight_kg or patient_height_m")
        rows = list(reader)
    changed = 0
    unmatched: list[str] = []
    now = utcnow()
    touched: set[int] = set()
    with engine.begin() as conn:
        for line, row in enumerate(rows, start=2):
            uid = (row.get("study_instance_uid") or "").strip()
            acc = (row.get("accession_number") or "").strip()
            cond = studies.c.study_instance_uid == uid if uid else studies.c.accession_number == acc
            targets = (
                conn.execute(select(studies.c.id, *[studies.c[f] for f in FIELDS]).where(cond))
                .mappings()
                .all()
            )
            if not targets:
                unmatched.append(uid or acc)
                continue
            new = {f: _value(row.get(f), f, line) for f in FIELDS if f in row}
            for t in targets:
                for f, v in new.items():
                    if v is None or t[f] == v:
                        continue
                    conn.execute(
                        update(studies).where(studies.c.id == t["id"]).values({f: v, "updated_at": now})
                    )
                    conn.execute(
                        characteristic_changes.insert().values(
                            study_id=t["id"],
                            field=f,
                            old_value=t[f],
                            new_value=v,
                            source=path.name,
                            changed_by=actor,
                            changed_at=now,
                        )
                    )
                    changed += 1
                    touched.add(t["id"])
        # patient bands of the DRL statistics follow age and weight
        refresh_values(conn, touched)
        record(conn, actor, "patients.correct", path.name, {"changed": changed, "unmatched": len(unmatched)})
    return {"rows": len(rows), "changed": changed, "unmatched": unmatched}
