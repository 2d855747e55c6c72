"""Options and helpers shared by every `kerma` verb, so each capability's CLI says them the same way."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from kerma.config import load_settings

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: KERMA_DATABASE_URL or sqlite:///kerma.db)."),
]
FmtOption = Annotated[str, typer.Option("--format", help="table, csv, xlsx or json.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Output file (stdout for table/csv/json).")]
ModOption = Annotated[list[str] | None, typer.Option("--modality", help="Only these modalities.")]
FromOption = Annotated[str | None, typer.Option("--from", help="From date (YYYY-MM-DD), inclusive.")]
ToOption = Annotated[str | None, typer.Option("--to", help="To date (YYYY-MM-DD), exclusive.")]


def parse_date(value: str | None, name: str) -> datetime | None:
    """A --from/--to date (YYYY-MM-DD or ISO date-time), or a usage error (exit 2) naming the option."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)", param_hint=name) from None


def open_engine(db: str | None) -> Engine:
    """The store for ``--db`` (else the configured URL), migrated to the current schema."""
    from kerma.store import open_store

    return open_store(db or load_settings().database_url)
