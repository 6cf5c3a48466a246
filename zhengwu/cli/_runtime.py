"""What every CLI command needs: settings, an engine, an operator session, clean errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.config import Settings, get_settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.errors import DomainError

__all__ = ["console", "err_console", "get_settings", "operator_session", "run_async"]

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
T = TypeVar("T")


@asynccontextmanager
async def operator_session(settings: Settings | None = None) -> AsyncIterator[AsyncSession]:
    """A session with the operator's scope (every tenant). Commits are the caller's."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["scope"] = ALL_SCOPE
            yield session
    finally:
        await engine.dispose()


def run_async(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async command; a ``DomainError`` becomes a clear message and exit code 1."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except DomainError as exc:
            err_console.print(f"[red]error[/red] {exc.code}: {exc.zh} / {exc.en}")
            raise typer.Exit(1) from exc

    return wrapper


