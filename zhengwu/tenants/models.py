"""Tables of the tenant tree: tenants, merges, setting overrides, venues and windows.

The ``tenants`` table is the directory of divisions. Division names and codes are public
(the NBS publishes them), so the directory itself has no row-level security; the data a
tenant owns (settings, venues, users, grants, audit entries, plugin records) does.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhengwu.core.db import Base, PathString, TenantOwned, Timestamped, new_id

__all__ = [
    "SettingOverride",
    "Tenant",
    "TenantMerge",
    "TenantStatus",
    "Venue",
    "VenueKind",
    "Window",
    "WindowKind",
]


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # no new cases; data kept
    MERGED = "merged"  # 撤并: merged into another tenant; kept as a trace


class Tenant(Base, Timestamped):
    """One administrative division with its own office: a node of the tree."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    path: Mapped[str] = mapped_column(PathString, unique=True)
    depth: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.ACTIVE.value)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"))

    # Relations never load behind your back (lazy="raise"): GraphQL goes through DataLoaders,
    # services through explicit queries.
    parent: Mapped[Tenant | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="raise", viewonly=True)

    def __repr__(self) -> str:
        return f"<Tenant {self.code} {self.name} {self.tier}>"


class TenantMerge(Base):
    """The trace of a merge (撤并): what moved where, who did it, when."""

    __tablename__ = "tenant_merges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    source_path: Mapped[str] = mapped_column(PathString)
    target_path: Mapped[str] = mapped_column(PathString)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SettingOverride(Base, TenantOwned, Timestamped):
    """A tenant's override of one setting key; ``locked`` fixes it for the whole subtree."""

    __tablename__ = "setting_overrides"
    __table_args__ = (UniqueConstraint("tenant_id", "namespace", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    namespace: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    locked: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class VenueKind(StrEnum):
    SERVICE_CENTRE = "service_centre"  # 政务服务中心 (county and above)
    SPECIALISED_HALL = "specialised_hall"  # 专业分厅: public security, social insurance …
    CONVENIENCE_CENTRE = "convenience_centre"  # 便民/民生服务中心 (township)
    AGENT_POINT = "agent_point"  # 代办点 (village)


class Venue(Base, TenantOwned, Timestamped):
    """A service venue of a tenant (政务服务中心, 便民服务中心, 代办点)."""

    __tablename__ = "venues"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    hours: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class WindowKind(StrEnum):
    DEDICATED = "dedicated"  # 专窗 for one department
    COMPREHENSIVE = "comprehensive"  # 综合窗口 (无差别受理)


class Window(Base, TenantOwned, Timestamped):
    """A window (窗口) of a venue, with its post holder and backup (AB岗)."""

    __tablename__ = "windows"
    __table_args__ = (
        UniqueConstraint("venue_id", "number"),
        Index("ix_windows_venue", "venue_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id"))
    venue: Mapped[Venue] = relationship(lazy="raise", viewonly=True)
    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=WindowKind.COMPREHENSIVE.value)
    department: Mapped[str | None] = mapped_column(String(200))
    chief_representative_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    holder_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    backup_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(default=True)
