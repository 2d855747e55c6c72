"""Post-store hooks of the installed capabilities (protocol mapping, alert evaluation)."""

from __future__ import annotations

from kerma.ingest.pipeline import PostStoreHook
from kerma.plugins import INGEST_HOOK_MODULES, load


def default_hooks() -> list[PostStoreHook]:
    """All hooks, in plugin order (mapping before alerts, so alerts see exam codes)."""
    out: list[PostStoreHook] = []
    for mod in load(INGEST_HOOK_MODULES):
        out.extend(mod.hooks())
    return out
