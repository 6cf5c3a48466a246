"""Database plumbing: the shared metadata, engines, sessions and the per-transaction scope.

What this module guarantees:

* Every tenant-owned table carries ``tenant_id`` and ``tenant_path`` (``TenantOwned`` mixin);
  on PostgreSQL, ``tenant_path`` is ``COLLATE "C"`` so a subtree is an index range.
* The scope of a session (the acting tenant's path, or ``*`` for the operator) is written
  into the transaction with ``set_config('zhengwu.scope', …, true)`` by an ``after_begin``
  event: transaction-local, never session-wide, so a pooled connection never inherits it.
  Row-level-security policies (see migrations) read it; a missing scope sees nothing.
* On PostgreSQL the application's connections start as a role that does not own
  the tables and has no BYPASSRLS (``Settings.database_app_role``), so the policies apply.

It must never hold business rules.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, String, Uuid, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.pool import NullPool

from zhengwu.core import clock
from zhengwu.core.config import Settings
from zhengwu.core.ids import uuid7

__all__ = [
    "ALL_SCOPE",
    "Base",
    "PathString",
    "TenantOwned",
    "Timestamped",
    "make_engine",
    "make_sessionmaker",
    "scoped_session",
    "subtree_clause",
]

ALL_SCOPE = "*"
"""Scope value of the platform operator: every row. Only the CLI and jobs use it."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PathString = String(400).with_variant(String(400, collation="C"), "postgresql")
"""Materialised path column type: byte order on PostgreSQL so range scans use the index."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {uuid.UUID: Uuid(), datetime: DateTime(timezone=True)}


def _now() -> datetime:
    return clock.now()


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class TenantOwned:
    """Mixin of every tenant-owned table: the owner and its materialised path.

    ``tenant_path`` is denormalised on purpose: scope filters and RLS policies compare it by
    range without a join. When a tenant moves (merge), every table with this mixin is
    rewritten by ``zhengwu.tenants.provisioning``.
    """

    tenant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    tenant_path: Mapped[str] = mapped_column(PathString, index=True)


def new_id() -> uuid.UUID:
    return uuid7()


def subtree_clause(column: Any, path: str) -> Any:
    """SQL condition: ``column`` is ``path`` or lies below it (index-served range form)."""
    if path == ALL_SCOPE:
        return text("1 = 1")
    return (column == path) | ((column >= path + "/") & (column < path + "0"))


def make_engine(settings: Settings, *, as_owner: bool = False, pool: bool = True) -> AsyncEngine:
    """An async engine for ``settings.database_url``.

    ``as_owner=True`` keeps the login role (migrations, test cleanup, benchmarks' baselines).
    """
    kwargs: dict[str, Any] = {"echo": settings.database_echo}
    sqlite = settings.database_url.startswith("sqlite")
    if not pool:
        kwargs["poolclass"] = NullPool
    if settings.is_postgres and settings.database_app_role and not as_owner:
        # The role is a startup parameter of every connection, not a SET inside a
        # transaction that a rollback could undo (that once left pooled connections
        # running as the login role, bypassing RLS).
        kwargs["connect_args"] = {"server_settings": {"role": settings.database_app_role}}
    engine = create_async_engine(settings.database_url, **kwargs)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@event.listens_for(Session, "after_begin")
def _apply_scope(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    """Write the session's scope into the new transaction (PostgreSQL; SQLite has no RLS)."""
    if connection.dialect.name != "postgresql":
        return
    scope = session.info.get("scope", "")
    connection.execute(text("SELECT set_config('zhengwu.scope', :scope, true)"), {"scope": scope})


@asynccontextmanager
async def scoped_session(
    sessionmaker: async_sessionmaker[AsyncSession], scope: str
) -> AsyncIterator[AsyncSession]:
    """A session whose every transaction is limited to ``scope`` (a tenant path, or ``*``)."""
    async with sessionmaker() as session:
        session.info["scope"] = scope
        yield session
