"""Small SQL functions whose spelling differs between engines, compiled per dialect.

Everything else the statistics use (window functions, CASE, GROUP BY) is standard SQL and runs unchanged
on SQLite, PostgreSQL and distributed engines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

PERIODS = ("month", "quarter", "year", "all")


class floor_nonneg(FunctionElement[Any]):
    """floor(x) for x >= 0. SQLite builds without math functions have no floor(): CAST truncates."""

    type = Integer()
    inherit_cache = True
    name = "floor_nonneg"


@compiles(floor_nonneg)
def _floor_default(element: floor_nonneg, compiler: Any, **kw: Any) -> str:
    return f"FLOOR({compiler.process(element.clauses, **kw)})"


@compiles(floor_nonneg, "sqlite")
def _floor_sqlite(element: floor_nonneg, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


class period_label(FunctionElement[Any]):
    """'2025-03' (month), '2025-Q1' (quarter), '2025' (year) or 'all' for a timestamp column."""

    type = String()
    inherit_cache = True
    name = "period_label"
    # the unit is part of the statement's cache key: 'month' must not reuse the SQL compiled for 'all'
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        *FunctionElement._traverse_internals,
        ("unit", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], unit: str) -> None:
        if unit not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        self.unit = unit
        super().__init__(column)


@compiles(period_label)
def _period_default(element: period_label, compiler: Any, **kw: Any) -> str:
    col = compiler.process(element.clauses, **kw)
    fmt = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}.get(element.unit)
    return "'all'" if fmt is None else f"to_char({col}, '{fmt}')"


@compiles(period_label, "sqlite")
def _period_sqlite(element: period_label, compiler: Any, **kw: Any) -> str:
    col = compiler.process(element.clauses, **kw)
    if element.unit == "month":
        return f"strftime('%Y-%m', {col})"
    if element.unit == "quarter":
        return f"(strftime('%Y', {col}) || '-Q' || ((CAST(strftime('%m', {col}) AS INTEGER) + 2) / 3))"
    if element.unit == "year":
        return f"strftime('%Y', {col})"
    return "'all'"


class month_number(FunctionElement[Any]):
    """year * 100 + month of a timestamp column (202503 for March 2025); NULL for NULL."""

    type = Integer()
    inherit_cache = True
    name = "month_number"


@compiles(month_number)
def _month_default(element: month_number, compiler: Any, **kw: Any) -> str:
    col = compiler.process(element.clauses, **kw)
    return f"CAST(to_char({col}, 'YYYYMM') AS INTEGER)"


@compiles(month_number, "sqlite")
def _month_sqlite(element: month_number, compiler: Any, **kw: Any) -> str:
    col = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%Y%m', {col}) AS INTEGER)"


def month_label(month: int | None) -> str | None:
    """'2025-03' for 202503: the label period_label gives for unit 'month'."""
    return None if month is None else f"{month // 100:04d}-{month % 100:02d}"
