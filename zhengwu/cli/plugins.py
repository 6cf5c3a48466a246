"""``zhengwu plugins``: list installed plugins and switch them per tenant; and ``mount``, which
adds every plugin's own command group (hook ``zhengwu_cli``) to the ``zhengwu`` command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from zhengwu.cli._runtime import console, err_console, operator_session, run_async
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import enablement

if TYPE_CHECKING:
    from zhengwu.core.plugin_host import PluginHost

app = typer.Typer(no_args_is_help=True)
OPERATOR = Principal.system("cli")


def _command_names(root: typer.Typer) -> set[str]:
    names = {g.name for g in root.registered_groups if g.name}
    for c in root.registered_commands:
        fn = c.callback
        names.add(c.name or (fn.__name__.replace("_", "-") if fn is not None else ""))
    return names


def mount(root: typer.Typer, host: PluginHost | None = None) -> list[str]:
    """Mount each plugin's command group as ``zhengwu <plugin> …``; returns the names mounted.

    The plugins are found by entry point (without making that host current: commands boot the
    platform themselves). A plugin that fails to load, or a group named like a core command,
    is skipped with a warning on stderr: a broken plugin never takes the operator's CLI down.
    """
    if host is None:
        from zhengwu.core.plugin_host import load_plugins

        try:
            host = load_plugins(make_current=False)
        except Exception as exc:  # any plugin error: the core commands must still work
            err_console.print(f"[yellow]warning[/yellow] plugin commands not loaded: {exc}",
                              soft_wrap=True, highlight=False)
            return []
    taken = _command_names(root)
    mounted = []
    for contribution in host.cli():
        if contribution.app is None:
            continue
        if contribution.plugin in taken:
            err_console.print(f"[yellow]warning[/yellow] plugin {contribution.plugin}: the command "
                              f"name is taken by the core; its commands are not mounted",
                              soft_wrap=True, highlight=False)
            continue
        root.add_typer(contribution.app, name=contribution.plugin,
                       help=contribution.help or f"Plugin {contribution.plugin}.")
        taken.add(contribution.plugin)
        mounted.append(contribution.plugin)
    return mounted


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
