"""Shared fixtures: a migrated database on SQLite and (when configured) PostgreSQL.

* ``settings`` is parametrised over the backends: every test that asks for a database runs
  on SQLite and on PostgreSQL. PostgreSQL comes from ``ZHENGWU_TEST_POSTGRES_URL`` (any
  database on the server; the tests create and drop their own); under ``CI=true`` it
  defaults to ``postgresql+asyncpg://postgres@127.0.0.1:5432/test`` and must not skip.
* Each backend is migrated once per session with the real alembic migrations (RLS
  included); after each test every table is truncated by the owner.
* ``world`` builds a small realistic world: 安徽省 → 宣城市 (the packaged cut, 982 divisions)
  plus 二连浩特市 in another province, so every test can attack from a sibling.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.migrate import builtin_plugin_locations, upgrade
from zhengwu.models import Base

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("ZHENGWU_TEST_POSTGRES_URL") or (
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test" if CI else ""
)
FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DIVISIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "divisions-2023.csv.gz"


def _pg_database_url(base: str, name: str) -> str:
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}"


async def _recreate_pg_database(base: str, name: str) -> None:
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """Process settings pointing at a freshly migrated database of each backend.

    One test process changes custom roles only through itself, so apps under test check the
    policy version once an hour (statement counts stay exact); tests of the cross-process
    check set their own interval."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "zhengwu.sqlite3"
        s = Settings(database_url=f"sqlite+aiosqlite:///{path}", environment="test",
                     embedded_schedules=False, policy_refresh_seconds=3600,
                     _env_file=None)  # type: ignore[call-arg]
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL not configured (set ZHENGWU_TEST_POSTGRES_URL; required under CI=true)")
        name = f"zhengwu_test_{_worker_suffix()}"
        await _recreate_pg_database(PG_URL, name)
        s = Settings(database_url=_pg_database_url(PG_URL, name), environment="test",
                     embedded_schedules=False, policy_refresh_seconds=3600,
                     _env_file=None)  # type: ignore[call-arg]
    import asyncio

    await asyncio.to_thread(upgrade, s, "heads", builtin_plugin_locations())
    yield s


@pytest.fixture(scope="session")
async def owner_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings, as_owner=True)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The application's engine: on PostgreSQL it runs as the RLS-bound app role."""
    engine = make_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine: AsyncEngine, owner_engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield make_sessionmaker(engine)
    await truncate_all(owner_engine)


async def truncate_all(owner_engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            await conn.execute(text("PRAGMA foreign_keys=OFF"))
            for t in tables:
                await conn.execute(text(f'DELETE FROM "{t}"'))
            await conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
async def system_session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session with the operator's scope (every row)."""
    async with sessionmaker() as session:
        session.info["scope"] = ALL_SCOPE
        yield session


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``pg_only`` are not generated for SQLite (instead of skipping there)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("pg_only") and callspec and callspec.params.get("settings") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
