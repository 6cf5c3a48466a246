"""A third-party plugin, installed as a package, extends the platform without core changes.

``tests/thirdparty/greetings`` is a separate distribution with an entry point in the group
``zhengwu.plugins``. It is pip-installed into a temporary directory and exercised in a
subprocess (so its table never joins this process's metadata). Each ``test_hook_<name>``
checks what that hook contributed; tests/core/test_hooks.py requires one per hook.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL, _pg_database_url, _recreate_pg_database, _worker_suffix

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tests" / "thirdparty" / "greetings"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(PACKAGE)],
                   check=True, capture_output=True)
    return target


async def _database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'thirdparty.sqlite3'}"
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set ZHENGWU_TEST_POSTGRES_URL; required under CI=true)")
    name = f"zhengwu_test_{_worker_suffix()}_thirdparty"
    await _recreate_pg_database(PG_URL, name)
    return _pg_database_url(PG_URL, name)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def seen(request, installed, tmp_path_factory) -> dict:
    url = await _database(request.param, tmp_path_factory.mktemp("tp"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(ROOT)])}
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, str(ROOT / "tests" / "plugins" / "thirdparty_check.py"), url],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_not_importable_here(installed):
    with pytest.raises(ImportError):
        __import__("zhengwu_greetings")  # only the subprocess has it: no core change, no leak


def test_hook_zhengwu_plugin_info(seen):
    # found by its entry point beside the built-in plugins (which register the same way)
    assert "greetings" in seen["plugins"] and "intake" in seen["plugins"]


def test_hook_zhengwu_schema(seen):
    assert any(m.endswith("zhengwu_greetings/migrations") for m in seen["migrations"])
    assert seen["post"]["data"]["postGreeting"] == {"text": "你好", "tenantPath": "34/3418/341881/341881204"}


def test_hook_zhengwu_permissions(seen):
    assert seen["permissions_known"] == ["greeting:read", "greeting:write"]
    assert seen["clerk_role_has_greeting"] is True


def test_hook_zhengwu_graphql(seen):
    assert seen["sdl_county_has_field"] and not seen["sdl_province_has_field"]
    assert seen["before_enable"]["errors"][0]["extensions"]["code"] == "plugin.not_enabled"
    assert seen["enable"]["data"]["enablePlugin"]["errors"] == []
    assert seen["list"]["data"]["greetings"] == [{"text": "你好", "tenantPath": "34/3418/341881/341881204"}]
    # A sibling county has not enabled it: disabled means absent.
    assert seen["sibling"]["errors"][0]["extensions"]["code"] == "plugin.not_enabled"


def test_hook_zhengwu_routes(seen):
    assert seen["route"] == {"hello": "你好"}


def test_hook_zhengwu_jobs(seen):
    assert seen["job_result"] == 1


def test_hook_zhengwu_metrics(seen):
    assert seen["metric"] == 1.0


def test_hook_zhengwu_event(seen):
    # The 15 divisions of the test world were announced by the core, then one by hand.
    assert seen["heard"] == ["tenant.created"] * 16
