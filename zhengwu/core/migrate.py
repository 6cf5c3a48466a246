"""Run the alembic migrations programmatically (``zhengwu migrate``, tests, demo)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config

from zhengwu.core.config import Settings

__all__ = ["alembic_config", "builtin_plugin_locations", "upgrade"]

_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(settings: Settings, plugin_locations: Sequence[str] = ()) -> Config:
    """The alembic config: the core's versions plus each plugin's version directory.

    A plugin's first revision has its own branch label and ``depends_on`` a core revision,
    so ``upgrade heads`` applies the core and every plugin in a consistent order.
    """
    cfg = Config(str(_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(_ROOT / "migrations"))
    locations = [str(_ROOT / "migrations" / "versions"), *plugin_locations]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.attributes["database_url"] = settings.database_url
    return cfg


def upgrade(settings: Settings, revision: str = "heads",
            plugin_locations: Sequence[str] = ()) -> None:
    """Bring the database to ``revision`` (all heads by default). Runs as the table owner."""
    command.upgrade(alembic_config(settings, plugin_locations), revision)


def builtin_plugin_locations() -> list[str]:
    """Migration directories of the built-in plugins (entry points under ``zhengwu.plugins.``).

    Tests and tools that migrate without booting the platform use it; ``zhengwu migrate``
    asks the loaded plugin host instead (third-party plugins included).
    """
    from importlib.metadata import entry_points

    out: list[str] = []
    for ep in entry_points(group="zhengwu.plugins"):
        if not ep.value.startswith("zhengwu.plugins."):
            continue
        schema = getattr(ep.load(), "zhengwu_schema", None)
        contribution = schema() if schema is not None else None
        if contribution is not None and contribution.migrations:
            out.append(contribution.migrations)
    return out
