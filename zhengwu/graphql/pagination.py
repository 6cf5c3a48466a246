"""Relay cursor connections with keyset pagination (no OFFSET), page size capped.

A cursor is the opaque base64 of the sort key of the last row seen; the next page is
``WHERE key > cursor ORDER BY key LIMIT first + 1`` (the extra row tells ``hasNextPage``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from zhengwu.core.errors import Invalid
from zhengwu.graphql.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["Connection", "Edge", "PageInfo", "build_connection", "decode_cursor", "page_size"]

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type(description="分页信息 Pagination state of a connection.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="An edge: a node and its cursor.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None, description="Total matching rows where that is cheap to count; else null.")


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"k:{key}".encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except Exception:
        raw = ""
    if not raw.startswith("k:"):
        raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid pagination cursor",
                      field="after")
    return raw[2:]


def page_size(first: int | None) -> int:
    """``first`` checked against the cap (1–100; 20 when omitted)."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 1 or first > MAX_PAGE_SIZE:
        raise Invalid("pagination.bad_page_size",
                      f"first 必须在 1 到 {MAX_PAGE_SIZE} 之间",
                      f"first must be between 1 and {MAX_PAGE_SIZE}", field="first")
    return first


def build_connection(rows: Sequence[R], size: int, key: Callable[[R], str],
                     node: Callable[[R], T], *, after: str | None,
                     total: int | None = None) -> Connection[T]:
    """A connection from ``rows`` fetched with ``LIMIT size + 1``."""
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [Edge(cursor=encode_cursor(key(r)), node=node(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, has_previous_page=after is not None,
                           start_cursor=edges[0].cursor if edges else None,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )
