"""``zhengwu plugins``: list installed plugins and switch them per tenant."""

from __future__ import annotations

import typer

from zhengwu.cli._runtime import console, operator_session, run_async
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import enablement

app = typer.Typer(no_args_is_help=True)
OPERATOR = Principal.system("cli")


def _boot() -> None:
    from zhengwu.platform import boot

    boot()


@app.command("list")
@run_async
async def list_(tenant: str = typer.Option("0", "--tenant", help="Division code (0: the platform).")
                ) -> None:
    """Installed plugins, and their state at a tenant."""
    _boot()
    async with operator_session() as session:
        states = await enablement.plugin_states(session, OPERATOR, tenant)
    if not states:
        console.print("no plugins installed (entry-point group zhengwu.plugins)")
        return
    console.print(f"plugins at {tenant}:")
    for s in states:
        lock = "mandatory" if s.mandatory else "forbidden" if s.forbidden else ""
        console.print(
            f"  {s.name} {s.version} ({s.title_zh}): {'on' if s.switched_on else 'off'}, "
            f"{'active' if s.active else 'inactive'} here, from {s.source}"
            + (f", {lock} by {s.locked_by}" if lock else "")
            + f"; tiers {','.join(s.tiers)}" + (f"; requires {','.join(s.requires)}" if s.requires else ""),
            soft_wrap=True)


@app.command()
@run_async
async def enable(plugin: str, tenant: str = typer.Option(..., "--tenant", help="Division code."),
                 mandatory: bool = typer.Option(False, "--mandatory",
                                                help="Lock it on for the whole subtree.")) -> None:
    """Enable a plugin for a tenant and its subtree."""
    _boot()
    async with operator_session() as session:
        state = await enablement.enable_plugin(session, OPERATOR, tenant, plugin, mandatory=mandatory)
        await session.commit()
    console.print(f"{plugin} at {tenant}: on{' (mandatory)' if state.mandatory else ''}, "
                  f"active here: {'yes' if state.active else 'no (tier not served)'}")


@app.command()
@run_async
async def disable(plugin: str, tenant: str = typer.Option(..., "--tenant", help="Division code."),
                  forbid: bool = typer.Option(False, "--forbid",
                                              help="Lock it off for the whole subtree.")) -> None:
    """Disable a plugin for a tenant and its subtree."""
    _boot()
    async with operator_session() as session:
        state = await enablement.disable_plugin(session, OPERATOR, tenant, plugin, forbid=forbid)
        await session.commit()
    console.print(f"{plugin} at {tenant}: off{' (forbidden)' if state.forbidden else ''}")
