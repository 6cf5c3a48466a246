"""Run the alembic migrations programmatically (``zhengwu migrate``, tests, demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from zhengwu.core.config import Settings

__all__ = ["alembic_config", "upgrade"]

_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(settings: Settings) -> Config:
    cfg = Config(str(_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(_ROOT / "migrations"))
    cfg.attributes["database_url"] = settings.database_url
    return cfg


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (all heads by default). Runs as the table owner."""
    command.upgrade(alembic_config(settings), revision)
