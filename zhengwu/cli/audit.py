"""``zhengwu audit``: verify the hash chain of the audit trail."""

from __future__ import annotations

import typer

from zhengwu.cli._runtime import console, err_console, operator_session, run_async
from zhengwu.core import audit

app = typer.Typer(no_args_is_help=True)


@app.command()
@run_async
async def verify() -> None:
    """Recompute every chain; name the first broken link of each (exit code 1 if any)."""
    async with operator_session() as session:
        checked, breaks = await audit.verify(session)
    if breaks:
        for brk in breaks:
            err_console.print(f"[red]BROKEN[/red] {brk}")
        err_console.print(f"{checked} entries checked, {len(breaks)} chain(s) broken")
        raise typer.Exit(1)
    console.print(f"[green]OK[/green] {checked} entries checked, every chain intact")
