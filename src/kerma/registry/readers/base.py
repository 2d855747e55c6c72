"""The shape every spreadsheet reader hands over: sheets of numbered rows of plain cell values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class NoCachedValue:
    """A formula cell whose file holds no computed result (written by a program that never calculated it)."""

    formula: str


CellValue = str | float | int | bool | datetime | NoCachedValue | None
"""A cell as read: text, number, boolean, date, a formula without result, or empty."""


class UnreadableFile(Exception):
    """The file cannot be read as a survey; ``reason`` says why in words a facility understands."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Merge:
    """A merged cell range, 1-based inclusive rows and 0-based inclusive columns."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


class Sheet:
    """One sheet; ``rows()`` streams (row number as a spreadsheet shows it, cells by 0-based column)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.merges: list[Merge] = []
        self.notes: list[str] = []

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """Rows in order; empty rows may be left out (their numbers are skipped)."""
        raise NotImplementedError


@dataclass(slots=True)
class Workbook:
    """A readable file: format name, notes about how it was read, and its sheets in order."""

    fmt: str
    sheet_iter: Iterator[Sheet]
    notes: list[str] = field(default_factory=list)

    def sheets(self) -> Iterator[Sheet]:
        """The sheets, each to be read completely before asking for the next."""
        return self.sheet_iter


_COL = re.compile(r"([A-Za-z]+)(\d+)")


def column_index(letters: str) -> int:
    """0-based index of a column name: A -> 0, Z -> 25, AA -> 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def column_letter(index: int) -> str:
    """Column name of a 0-based index: 0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def split_ref(ref: str) -> tuple[int, int]:
    """(1-based row, 0-based column) of a cell reference such as ``B12``."""
    m = _COL.fullmatch(ref.replace("$", ""))
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), column_index(m.group(1))
