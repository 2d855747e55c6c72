"""What reading and repairing a survey file produces: rows, per-cell repairs, sheet and file outcomes.

No I/O here. Dose values are in canonical units (the field names carry them), as everywhere in Kerma.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RowStatus(StrEnum):
    """Outcome of one survey row."""

    OK = "ok"
    REPAIRED = "repaired"
    REJECTED = "rejected"


DOSE_FIELDS = ("dap_gy_cm2", "agd_mgy", "dlp_mgy_cm", "ctdivol_mgy")
"""Dose quantities a survey row can carry, in canonical units."""


@dataclass(slots=True)
class Repair:
    """One change made to one cell (or one row, when ``column`` is empty), with the rule that made it."""

    file: str
    sheet: str
    row: int
    column: str
    old_value: str | None
    new_value: str | None
    rule: str


@dataclass(slots=True)
class SurveyRow:
    """One exam (or the mean of ``n_exams`` exams) as a facility reported it, after repair.

    ``source_row`` is the 1-based row a spreadsheet program shows; ``source_column`` is set for wide
    sheets where one row holds several exams in numbered columns.
    """

    source_file: str
    source_sheet: str
    source_row: int
    source_column: str = ""
    facility: str | None = None
    device: str | None = None
    year: int | None = None
    data_source: str | None = None
    exam_code: str | None = None
    exam_name: str | None = None
    dap_gy_cm2: float | None = None
    agd_mgy: float | None = None
    dlp_mgy_cm: float | None = None
    ctdivol_mgy: float | None = None
    ctdi_phantom: str | None = None
    patient_weight_kg: float | None = None
    patient_age_years: float | None = None
    patient_sex: str | None = None
    is_mean: bool = False
    n_exams: int = 1
    status: RowStatus = RowStatus.OK
    reason: str | None = None
    # Column letters the dose values came from, so batch-level checks can treat a column as one unit.
    value_columns: dict[str, str] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)

    def dose(self, name: str) -> float | None:
        """The value of one dose field by name."""
        value: float | None = getattr(self, name)
        return value

    def reject(self, reason: str) -> None:
        """Mark the row rejected (kept, with its reason)."""
        self.status = RowStatus.REJECTED
        self.reason = reason if not self.reason else f"{self.reason}; {reason}"

    def repaired(self, column: str, old: object, new: object, rule: str) -> None:
        """Log a change to one cell of this row."""
        self.repairs.append(
            Repair(
                self.source_file,
                self.source_sheet,
                self.source_row,
                column,
                None if old is None else str(old),
                None if new is None else str(new),
                rule,
            )
        )
        if self.status is RowStatus.OK:
            self.status = RowStatus.REPAIRED


@dataclass(slots=True)
class SheetResult:
    """One sheet: its rows, the sheet-level notes (skipped sheet, layout found) and its repairs."""

    name: str
    layout: str = ""
    rows: list[SurveyRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    skipped: str | None = None


@dataclass(slots=True)
class SurveyFile:
    """One survey file as read: rejected whole (with the reason) or a list of sheets."""

    path: str
    name: str
    fmt: str
    sha256: str
    sheets: list[SheetResult] = field(default_factory=list)
    rejected: str | None = None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[SurveyRow]:
        """All rows of all sheets."""
        return [r for s in self.sheets for r in s.rows]

    def repairs(self) -> list[Repair]:
        """All repairs: sheet-level ones and those of every row."""
        out = [rep for s in self.sheets for rep in s.repairs]
        out.extend(rep for r in self.rows() for rep in r.repairs)
        return out
