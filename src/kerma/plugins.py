"""Extension points: capabilities plug their CLI verbs, ingest hooks and web routers in here.

A capability package lists itself below; the core never imports it directly. This keeps `cli.py`,
the ingest pipeline and the web app free of knowledge about every feature.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

# Modules with `register(app: typer.Typer) -> None` adding commands to `kerma`.
CLI_MODULES = (
    "kerma.net.cli",
    "kerma.nomenclature.cli",
    "kerma.drl.cli",
    "kerma.alerts.cli",
    "kerma.registry.cli",
    "kerma.web.cli",
)

# Modules with `hooks() -> list[PostStoreHook]` run after each stored object (mapping, alerts).
INGEST_HOOK_MODULES = (
    "kerma.nomenclature.hooks",
    "kerma.alerts.hooks",
)

# Modules with `study_columns() -> list[tuple[str, ColumnElement]]` adding columns to the study export.
EXPORT_COLUMN_MODULES = ("kerma.nomenclature.export",)

# Modules with `router: fastapi.APIRouter` (and optionally `pages: APIRouter`) for the web app.
WEB_MODULES = (
    "kerma.web.api.studies",
    "kerma.web.api.stats",
    "kerma.web.api.patients",
    "kerma.web.api.devices",
    "kerma.web.api.users",
    "kerma.web.pages.overview",
    "kerma.web.pages.studies",
    "kerma.web.pages.patients",
    "kerma.web.pages.charts",
    "kerma.web.pages.account",
    "kerma.web.pages.admin",
    "kerma.web.pages.capabilities",
    "kerma.web.pages.apidocs",
    "kerma.web.status",
    "kerma.web.api.drl",
    "kerma.web.api.nomenclature",
    "kerma.web.api.alerts",
    "kerma.web.api.registry",
)


def optional(name: str) -> ModuleType | None:
    """The module if this installation has it, else None."""
    return next(load((name,)), None)


def load(names: tuple[str, ...]) -> Iterator[ModuleType]:
    """Import the modules that exist in this installation, in order."""
    for name in names:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Only a capability that is not (yet) part of this version is skipped, never a broken import.
            if exc.name is None or not name.startswith(exc.name):
                raise
