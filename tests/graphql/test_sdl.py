"""The committed SDL of every tier is exactly what the code builds (the published contract)."""

from __future__ import annotations

import pytest

from zhengwu.graphql.schema import ANONYMOUS, TIERS
from zhengwu.graphql.sdl import SDL_DIR, render_all
from zhengwu.platform import boot


@pytest.fixture(scope="module")
def rendered():
    texts = render_all(boot())
    boot([], entry_points=False)
    return texts


@pytest.mark.parametrize("tier", [*TIERS, ANONYMOUS])
def test_committed_sdl_matches_code(rendered, tier):
    committed = (SDL_DIR / f"{tier}.graphql").read_text(encoding="utf-8")
    assert committed == rendered[tier], (
        f"zhengwu/graphql/sdl/{tier}.graphql is out of date: run `zhengwu graphql sdl --write`")


def test_provisioning_only_where_tiers_provision(rendered):
    assert "createTenant" in rendered["county"] and "createTenant" not in rendered["village"]
    assert "mergeTenant" in rendered["province"] and "mergeTenant" not in rendered["county"]
    assert "__schema" not in rendered[ANONYMOUS] and "me:" not in rendered[ANONYMOUS]
