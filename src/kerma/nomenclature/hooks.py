"""Ingest hook: map each newly stored study with the active rules (compiled once per rules version)."""

from __future__ import annotations

from sqlalchemy import Connection

from kerma.domain.model import DoseReport
from kerma.ingest.pipeline import PostStoreHook
from kerma.nomenclature.rules import active_rules
from kerma.nomenclature.service import map_studies
from kerma.store.writer import SaveResult


def map_stored_study(conn: Connection, result: SaveResult, report: DoseReport) -> None:
    """Map (or re-map) the study the object was stored in; cheap when no rule exists."""
    if result.study_id is None:
        return
    rules = active_rules(conn)
    if not rules.rules:
        return
    map_studies(conn, [result.study_id], rules)


def hooks() -> list[PostStoreHook]:
    """The hooks this capability adds to ingest."""
    return [map_stored_study]
