"""The published contract: each tier's SDL, committed under ``zhengwu/graphql/sdl/``.

Frontend teams generate clients from these files. ``tests/graphql/test_sdl.py`` fails when
the code and the committed SDL differ; ``zhengwu graphql sdl --write`` refreshes them.
"""

from __future__ import annotations

from pathlib import Path

from zhengwu.core.plugin_host import PluginHost
from zhengwu.graphql.schema import ANONYMOUS, TIERS, build_schemas

__all__ = ["SDL_DIR", "render_all", "write_all"]

SDL_DIR = Path(__file__).parent / "sdl"


def render_all(host: PluginHost) -> dict[str, str]:
    """Tier (and ``anonymous``) → SDL text, newline-terminated."""
    schemas = build_schemas(host)
    return {tier: schemas[tier].as_str().rstrip() + "\n" for tier in (*TIERS, ANONYMOUS)}


def write_all(host: PluginHost, directory: Path = SDL_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for tier, text in render_all(host).items():
        path = directory / f"{tier}.graphql"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
