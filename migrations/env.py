"""Alembic environment: async, batch mode on SQLite, always as the table owner."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from zhengwu.core.config import Settings
from zhengwu.core.db import make_engine
from zhengwu.models import Base

config = context.config
target_metadata = Base.metadata


def _settings() -> Settings:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return Settings(database_url=url) if url else Settings()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_settings(), as_owner=True, pool=False)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_settings().database_url, target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async())
