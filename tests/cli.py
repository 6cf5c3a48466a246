"""Run the real ``zhengwu`` CLI from an async test, against the test database."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import Result
from typer.testing import CliRunner

import zhengwu.cli._runtime as runtime
from zhengwu.cli import app
from zhengwu.core.config import Settings


async def invoke_cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str,
                     input: str | None = None) -> Result:
    """Invoke the CLI in a worker thread (it runs its own event loop) with ``settings``."""
    monkeypatch.setattr(runtime, "get_settings", lambda: settings)
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), input=input)
