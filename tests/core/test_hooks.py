"""Meta-tests of the plugin contract: every hook is documented and tested (Datasette's rule)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from zhengwu.core import hooks

TESTS = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, fn in vars(hooks).items()
               if name.startswith("zhengwu_") and inspect.isfunction(fn))


def test_there_are_hooks():
    assert len(HOOKS) >= 8


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented(name):
    doc = inspect.getdoc(getattr(hooks, name)) or ""
    for part in ("Called:", "Gets:", "Returns:"):
        assert part in doc, f"hook {name} lacks '{part}' in its docstring"
    assert re.search(r"first result wins|All results are collected|one per plugin", doc), (
        f"hook {name} must say whether the first result wins")


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name):
    pattern = re.compile(rf"def test_hook_{name}\b")
    assert any(pattern.search(p.read_text(encoding="utf-8")) for p in TESTS.rglob("test_*.py")), (
        f"no test named test_hook_{name} under tests/")


def test_hook_zhengwu_cli(monkeypatch):
    """A plugin's command group is mounted as ``zhengwu <plugin> …``; a group named like a
    core command is refused; demo steps come back in plugin-name order; the built-in intake
    plugin contributes ``zhengwu intake import`` and a demo step."""
    import typer
    from typer.testing import CliRunner

    from zhengwu.cli import app as zhengwu_app
    from zhengwu.cli.plugins import mount
    from zhengwu.core import plugin_host
    from zhengwu.core.hooks import hookimpl
    from zhengwu.core.plugin_api import CliContribution, PluginInfo

    monkeypatch.setattr(plugin_host, "_current", plugin_host.current_host())  # restored after

    def plugin(name: str, group: str | None) -> object:
        commands = typer.Typer(no_args_is_help=True)

        @commands.command()
        def hello(who: str = "方塘乡") -> None:
            typer.echo(f"{name} greets {who}")

        @commands.command()
        def bye() -> None:
            typer.echo("bye")

        async def demo(session: object) -> str:
            return f"{name} demo"

        class Plugin:
            @staticmethod
            @hookimpl
            def zhengwu_plugin_info() -> PluginInfo:
                return PluginInfo(name=name, version="0.1.0", title_zh=name, title_en=name)

            @staticmethod
            @hookimpl
            def zhengwu_cli() -> CliContribution:
                return CliContribution(plugin=group or name, app=commands, help=f"{name} commands",
                                       demo=demo)

        return Plugin()

    host = plugin_host.load_plugins([plugin("zeta", None), plugin("alpha", None),
                                     plugin("sneaky", "tenants")], entry_points=False,
                                    make_current=False)
    assert [c.plugin for c in host.cli()] == ["alpha", "tenants", "zeta"]
    root = typer.Typer()

    @root.command()
    def tenants() -> None:  # a core command of the same name wins
        typer.echo("core")

    assert mount(root, host) == ["alpha", "zeta"]
    result = CliRunner().invoke(root, ["zeta", "hello", "--who", "双村"])
    assert result.exit_code == 0 and "zeta greets 双村" in result.output
    assert "core" in CliRunner().invoke(root, ["tenants"]).output

    import asyncio

    assert [asyncio.run(c.demo(None)) for c in host.cli() if c.demo] == [
        "alpha demo", "sneaky demo", "zeta demo"]
    shown = CliRunner().invoke(zhengwu_app, ["intake", "--help"])
    assert shown.exit_code == 0 and "import" in shown.output
    real = plugin_host.load_plugins(make_current=False)
    intake = next(c for c in real.cli() if c.plugin == "intake")
    assert intake.app is not None and intake.demo is not None
