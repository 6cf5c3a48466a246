"""Tables of identity and access: users, API tokens, grants and custom roles.

Grants (user, role, tenant, subtree or local) live here; casbin holds only the policy of
roles × resources × actions (``zhengwu.core.security.rbac``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhengwu.core.db import Base, TenantOwned, Timestamped, new_id

__all__ = ["ApiToken", "CustomRole", "Grant", "PolicyVersion", "User"]


class User(Base, TenantOwned, Timestamped):
    """A person, a service client or a device, with a home tenant (``tenant_id``)."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="person")  # person | service | device
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class ApiToken(Base, TenantOwned, Timestamped):
    """A bearer token for a service client: ``zw_<lookup>_<secret>``; only a hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    user: Mapped[User] = relationship(lazy="raise", viewonly=True)
    name: Mapped[str] = mapped_column(String(100))
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Grant(Base, TenantOwned, Timestamped):
    """A role granted to a user at a tenant; covers the subtree unless ``subtree`` is false."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    user: Mapped[User] = relationship(lazy="raise", viewonly=True)
    role: Mapped[str] = mapped_column(String(64))
    subtree: Mapped[bool] = mapped_column(default=True)
    granted_by: Mapped[str | None] = mapped_column(String(100))


class CustomRole(Base, TenantOwned, Timestamped):
    """A role defined by an admin for its subtree; its permissions never exceed the admin's."""

    __tablename__ = "custom_roles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(100))


class PolicyVersion(Base):
    """One row: a counter raised by every change of a custom role, in the same transaction.

    Each process keeps the policy (casbin) in memory; comparing this counter with the one it
    loaded tells it, with one tiny read, that another process changed a role
    (``zhengwu.core.security.policy_sync``). Not tenant-owned: it says only that something
    changed, and every process must read it.
    """

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime | None]
