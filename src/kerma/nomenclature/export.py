"""Columns the study-level export gains from mapping: exam_code and exam_name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kerma.store.schema.core import studies
from kerma.store.schema.nomenclature import study_exam_codes


def study_columns() -> list[tuple[str, Any]]:
    """(name, scalar subquery correlated on studies.id) pairs for `kerma export --level study`."""
    return [
        (
            name,
            select(getattr(study_exam_codes.c, name))
            .where(study_exam_codes.c.study_id == studies.c.id)
            .scalar_subquery(),
        )
        for name in ("exam_code", "exam_name")
    ]
