"""Printing result rows as a table, CSV, XLSX or JSON (shared by the `map` and `drl` commands)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "xlsx", "json")


def emit(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, out: Path | None, title: str
) -> None:
    """Write ``rows`` in ``fmt`` (to ``out`` or stdout); JSON keeps nested values as they are."""
    from kerma.reports.tabular import write_rows

    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if fmt == "json":
        text = json.dumps(
            [{c: r.get(c) for c in columns} for r in rows], ensure_ascii=False, default=str, indent=1
        )
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
        return
    if fmt == "table":
        t = Table(title=title)
        for c in columns:
            t.add_column(c)
        for r in rows:
            t.add_row(*[_cell(r.get(c)) for c in columns])
        Console(width=200).print(t)
        return
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("xlsx needs --out FILE", param_hint="--out")
    flat = [[_flat(r.get(c)) for c in columns] for r in rows]
    write_rows(fmt, columns, flat, out, sys.stdout)


def _flat(v: Any) -> Any:
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return ", ".join(
            _cell(x) if not isinstance(x, dict) else f"{x.get('exam_code')} ({x.get('confidence')})"
            for x in v
        )
    return str(v)
