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
