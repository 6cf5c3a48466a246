"""The principal: who is acting, at which tenant, with which grants.

A principal is built once per request (from a JWT or an API token) or per command (the
operator). ``scope`` is the acting tenant's path: every query of tenant-owned data is
filtered by it in SQL, and on PostgreSQL the same value feeds row-level security.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from zhengwu.core.db import ALL_SCOPE

__all__ = ["GrantRef", "Principal", "covers", "is_ancestor_or_self"]


def is_ancestor_or_self(upper: str, lower: str) -> bool:
    """True when path ``upper`` is ``lower`` or one of its ancestors."""
    return upper == ALL_SCOPE or lower == upper or lower.startswith(upper + "/")


@dataclass(frozen=True, slots=True)
class GrantRef:
    """A grant as the principal carries it: role at a tenant path, subtree or local."""

    role: str
    tenant_path: str
    subtree: bool = True

    def applies_to(self, path: str) -> bool:
        if self.subtree:
            return is_ancestor_or_self(self.tenant_path, path)
        return path == self.tenant_path


def covers(grants: tuple[GrantRef, ...], path: str) -> bool:
    return any(g.applies_to(path) for g in grants)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who acts. ``acting_path`` is the tenant the request acts at (its scope)."""

    user_id: uuid.UUID | None
    username: str
    home_tenant_id: uuid.UUID | None
    home_path: str
    acting_tenant_id: uuid.UUID | None
    acting_path: str
    acting_tier: str
    grants: tuple[GrantRef, ...] = field(default_factory=tuple)
    kind: str = "person"  # person | service | device | system | anonymous

    @property
    def scope(self) -> str:
        return self.acting_path

    @property
    def acting_code(self) -> str:
        """Division code of the acting tenant (``0``, the platform root, for ``*``)."""
        return "0" if self.acting_path in (ALL_SCOPE, "0") else self.acting_path.rsplit("/", 1)[-1]

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def sees(self, path: str) -> bool:
        """Whether a row at ``path`` lies in this principal's scope (subtree of acting tenant)."""
        return is_ancestor_or_self(self.acting_path, path)

    @classmethod
    def system(cls, name: str = "system") -> Principal:
        """The operator (CLI, jobs): every tenant, every permission."""
        return cls(None, name, None, ALL_SCOPE, None, ALL_SCOPE, "platform",
                   (GrantRef("platform_admin", ALL_SCOPE),), kind="system")

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(None, "anonymous", None, "", None, "", "", (), kind="anonymous")
