"""Compare what registry import read with a simulation's ground truth: the share of rows recovered with
correct values, and which expected rejections happened. Used by the tests and the benchmark.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kerma.registry.batch import facility_identity
from kerma.registry.model import RowStatus, SurveyFile, SurveyRow

_VALUES = ("dap_gy_cm2", "agd_mgy", "dlp_mgy_cm", "ctdivol_mgy", "patient_weight_kg", "patient_age_years")


@dataclass(slots=True)
class Recovery:
    """Outcome of a comparison with the ground truth."""

    records: int = 0
    recovered: int = 0
    expected_rejections: int = 0
    rejected_as_expected: int = 0
    failures: list[str] = field(default_factory=list)
    failure_fields: Counter[str] = field(default_factory=Counter)
    by_damage: dict[str, list[int]] = field(default_factory=dict)

    @property
    def share(self) -> float:
        """Recovered records / true records."""
        return self.recovered / self.records if self.records else 0.0


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def _mismatch(row: SurveyRow, t: dict[str, str]) -> str | None:
    if row.status is RowStatus.REJECTED:
        return f"rejected: {row.reason}"
    if facility_identity(row.facility or "") != facility_identity(t["facility"]):
        return f"facility {row.facility!r} != {t['facility']!r}"
    if str(row.year) != t["year"]:
        return f"year {row.year} != {t['year']}"
    if row.exam_code != t["exam_code"]:
        return f"exam_code {row.exam_code} != {t['exam_code']}"
    for attr in _VALUES:
        got = getattr(row, attr)
        want = _num(t[attr])
        if not _close(got, want):
            return f"{attr} {got} != {want}"
    if int(row.is_mean) != int(t["is_mean"]) or row.n_exams != int(t["n_exams"]):
        return f"mean/n {row.is_mean}/{row.n_exams} != {t['is_mean']}/{t['n_exams']}"
    return None


def compare(files: Sequence[SurveyFile], truth_csv: Path) -> Recovery:
    """Match read rows to true records by (file, sheet, row, column) and check every value."""
    index: dict[tuple[str, str, int, str], SurveyRow] = {}
    for f in files:
        for r in f.rows():
            index[(f.name, r.source_sheet, r.source_row, r.source_column)] = r
    out = Recovery()
    with truth_csv.open(encoding="utf-8", newline="") as fh:
        for t in csv.DictReader(fh):
            key = (t["file"], t["sheet"], int(t["row"]), t["column"])
            row = index.get(key)
            damages = [d for d in t["damage"].split(";") if d] or ["none"]
            if t["expect"] == "rejected":
                out.expected_rejections += 1
                if row is None or row.status is RowStatus.REJECTED:
                    out.rejected_as_expected += 1
                else:
                    out.failures.append(f"{key}: expected rejected ({t['damage']}), got {row.status.value}")
                continue
            out.records += 1
            problem = "not read" if row is None else _mismatch(row, t)
            for d in damages:
                stat = out.by_damage.setdefault(d, [0, 0])
                stat[0] += 1
                stat[1] += problem is None
            if problem is None:
                out.recovered += 1
            else:
                out.failures.append(f"{key} [{t['damage']}]: {problem}")
                out.failure_fields[problem.split(" ")[0]] += 1
    return out
