"""``zhengwu plugins list|enable|disable`` against the test database."""

from __future__ import annotations

import pytest

from tests.cli import invoke_cli
from tests.plugins.fakes import make_plugin
from tests.world import build_world
from zhengwu.platform import boot


@pytest.fixture
def fake_plugins(monkeypatch):
    import zhengwu.platform as platform

    plugins = [make_plugin("alpha"), make_plugin("beta", requires=("alpha",))]
    real = platform.boot
    monkeypatch.setattr(platform, "boot", lambda extra=(), entry_points=True: real(plugins, entry_points=False))
    yield
    boot([], entry_points=False)


async def test_enable_list_disable(system_session, settings, monkeypatch, fake_plugins):
    await build_world(system_session)
    out = await invoke_cli(monkeypatch, settings, "plugins", "enable", "beta", "--tenant", "341881")
    assert out.exit_code == 1 and "plugin.requirement_disabled" in out.output
    out = await invoke_cli(monkeypatch, settings, "plugins", "enable", "alpha", "--tenant", "3418",
                           "--mandatory")
    assert out.exit_code == 0, out.output
    out = await invoke_cli(monkeypatch, settings, "plugins", "list", "--tenant", "341881")
    assert out.exit_code == 0 and "alpha" in out.output and "mandatory by 3418" in out.output
    out = await invoke_cli(monkeypatch, settings, "plugins", "disable", "alpha", "--tenant", "341881")
    assert out.exit_code == 1 and "setting.locked" in out.output
