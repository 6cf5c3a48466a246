"""Query limits and caches, built ONCE per process and shared by every tier's schema.

Stack notes: passing the limiter extensions as per-request factories defeats the
validation cache (~12x slower). So the depth and alias rules are built once and handed to
``AddValidationRules``; parse and validation caches are on.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_PAGE_SIZE", "MAX_TOKENS", "extensions"]

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

_RULES = [depth_validator(MAX_DEPTH, None, None), aliases_validator(MAX_ALIASES)]


def extensions(*, introspection: bool) -> list[Any]:
    """The extension factories of a schema. Anonymous schemas get no introspection.

    Factories, not instances (strawberry builds one per request); the parse and
    validation caches live at module level, and the rule classes are the same objects on
    every request, so validation results are cached across requests and schemas.
    """
    out: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=1000),
        lambda: AddValidationRules(_RULES),
        lambda: ValidationCache(maxsize=1000),
    ]
    if not introspection:
        out.append(DisableIntrospection)
    return out
