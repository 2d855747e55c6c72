"""The ingest hook: every stored object's study is evaluated against the enabled rules, inside the
object's transaction (alerts and outbox rows commit with the data that raised them)."""

from __future__ import annotations

import logging

from sqlalchemy import Connection

from kerma.alerts.compiled import current_rules
from kerma.alerts.engine import evaluate_study
from kerma.domain.model import DoseReport
from kerma.ingest.pipeline import PostStoreHook
from kerma.store.writer import SaveResult

log = logging.getLogger(__name__)


def evaluate_stored(conn: Connection, result: SaveResult, report: DoseReport) -> None:
    """Evaluate the study the object was stored in (nothing is sent from here).

    A failure of the evaluation is logged and rolled back to a savepoint: the dose data are stored all
    the same, and `kerma alerts evaluate` catches up later.
    """
    if result.study_id is None or current_rules(conn).empty:
        return
    try:
        with conn.begin_nested():
            evaluate_study(conn, result.study_id)
    except Exception:
        log.exception(
            "alert evaluation failed for study %s; run `kerma alerts evaluate`", result.study_instance_uid
        )


def hooks() -> list[PostStoreHook]:
    """The alert evaluation hook."""
    return [evaluate_stored]
