"""All of Kerma's tables, on one MetaData: every module in this package is imported.

Each capability keeps its tables in its own module here (core, nomenclature, alerts, ...).
"""

from __future__ import annotations

import importlib
import pkgutil

from kerma.store.schema.base import metadata

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "base":
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["metadata"]
