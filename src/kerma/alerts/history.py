"""Evaluation on demand over stored history, in chronological order (patient windows and device series
then see the exams before each one, as they would have at ingest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from kerma.alerts.engine import evaluate_study
from kerma.store.schema.core import studies

BATCH = 500


@dataclass(slots=True)
class EvaluationSummary:
    """Counts of one `kerma alerts evaluate` run."""

    studies: int = 0
    new_alerts: int = 0
    not_applicable: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON form."""
        return {"studies": self.studies, "new_alerts": self.new_alerts, "not_applicable": self.not_applicable}


def study_ids(
    engine: Engine, date_from: datetime | None = None, date_to: datetime | None = None
) -> list[int]:
    """Studies in [date_from, date_to), oldest first (all history by default; undated ones last)."""
    stmt = select(studies.c.id)
    if date_from is not None:
        stmt = stmt.where(studies.c.study_datetime >= date_from)
    if date_to is not None:
        stmt = stmt.where(studies.c.study_datetime < date_to)
    stmt = stmt.order_by(studies.c.study_datetime.is_(None), studies.c.study_datetime, studies.c.id)
    with engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(stmt)]


def evaluate_range(
    engine: Engine,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> EvaluationSummary:
    """Evaluate every study in the range; existing alerts are never duplicated."""
    ids = study_ids(engine, date_from, date_to)
    summary = EvaluationSummary()
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        with engine.begin() as conn:
            for sid in chunk:
                out = evaluate_study(conn, sid)
                summary.new_alerts += len(out.new_alerts)
                summary.not_applicable += out.not_applicable
        summary.studies += len(chunk)
        if progress:
            progress(len(chunk))
    return summary
