"""The exam-code catalogue: shipped code lists (German BfS CT codes, Kerma's RadLex-Playbook-style list)
plus codes a site defines itself.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from sqlalchemy import Connection, select

from kerma.store.schema.nomenclature import custom_exam_codes


@dataclass(frozen=True, slots=True)
class ExamCode:
    """One standard exam: its code, the modalities it applies to and its standard name."""

    code: str
    modalities: tuple[str, ...]
    name: str
    scheme: str
    """DE-BFS-CT (German DRL survey codes), KERMA (Kerma's stable codes) or LOCAL (defined by a site)."""
    body_region: str | None = None
    rpid: str | None = None
    """RadLex Playbook RPID of the same procedure, where the Playbook has exactly this exam."""

    def fits(self, modality: str | None) -> bool:
        """True when the code applies to exams of ``modality`` (None: unknown, accepted)."""
        return modality is None or modality.upper() in self.modalities


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("kerma.nomenclature").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def builtin_codes() -> dict[str, ExamCode]:
    """The shipped catalogue, keyed by code."""
    out: dict[str, ExamCode] = {}
    for r in _rows("de-bfs-ct-exam-codes.csv"):
        out[r["exam_code"]] = ExamCode(r["exam_code"], ("CT",), r["exam_name"], "DE-BFS-CT")
    for r in _rows("kerma-exam-codes.csv"):
        out[r["code"]] = ExamCode(
            r["code"],
            tuple(r["modality"].split("|")),
            r["name"],
            "KERMA",
            r["body_region"] or None,
            r["rpid"] or None,
        )
    return out


def catalogue(conn: Connection | None = None) -> dict[str, ExamCode]:
    """Shipped codes plus the site's own (from ``custom_exam_codes``) when a connection is given."""
    codes = dict(builtin_codes())
    if conn is not None:
        for r in conn.execute(select(custom_exam_codes)).mappings():
            codes[r["code"]] = ExamCode(
                r["code"], tuple(r["modality"].upper().split("|")), r["name"], "LOCAL", r["body_region"]
            )
    return codes
