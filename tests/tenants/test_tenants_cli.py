"""``zhengwu tenants show|create|suspend|reactivate|merge`` against the test database."""

from __future__ import annotations

import json

from tests.cli import invoke_cli
from tests.world import build_world


async def test_show_json_counts_descendants(system_session, settings, monkeypatch):
    await build_world(system_session)
    out = await invoke_cli(monkeypatch, settings, "tenants", "show", "341881000000", "--json")
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert info["code"] == "341881" and info["tier"] == "county" and info["parent"]["code"] == "3418"
    assert info["descendants"] == {"township": 2, "village": 2}
    assert info["path"] == "34/3418/341881"
    out = await invoke_cli(monkeypatch, settings, "tenants", "show", "152501200")
    assert out.exit_code == 0 and "苏木" in out.output and "1 village" in out.output


async def test_create_suspend_merge_and_errors(system_session, settings, monkeypatch):
    await build_world(system_session)
    out = await invoke_cli(monkeypatch, settings, "tenants", "create", "341881205", "新乡")
    assert out.exit_code == 0 and "34/3418/341881/341881205" in out.output
    out = await invoke_cli(monkeypatch, settings, "tenants", "create", "341881205", "新乡")
    assert out.exit_code == 1 and "tenant.duplicate_code" in out.output
    out = await invoke_cli(monkeypatch, settings, "tenants", "create", "99", "无")
    assert out.exit_code == 0
    out = await invoke_cli(monkeypatch, settings, "tenants", "create", "9901001", "坏")
    assert out.exit_code == 1 and "tenant.bad_code" in out.output
    out = await invoke_cli(monkeypatch, settings, "tenants", "suspend", "341881205")
    assert out.exit_code == 0
    out = await invoke_cli(monkeypatch, settings, "tenants", "merge", "341881204", "341881205")
    assert out.exit_code == 1 and "tenant.merge_inactive" in out.output
    out = await invoke_cli(monkeypatch, settings, "tenants", "reactivate", "341881205")
    out = await invoke_cli(monkeypatch, settings, "tenants", "merge", "341881204", "341881205")
    assert out.exit_code == 0 and "children 2" in out.output
    out = await invoke_cli(monkeypatch, settings, "tenants", "show", "341881204200", "--json")
    assert json.loads(out.output)["path"] == "34/3418/341881/341881205/341881204200"
    out = await invoke_cli(monkeypatch, settings, "tenants", "show", "999999")
    assert out.exit_code == 1 and "tenant.not_found" in out.output
