"""Tables of the service-item standard.

* ``catalog_items`` — one row per item *version* of an owner's catalog (the province by
  default; the platform root for a national catalog). Business-handling items (业务办理项)
  are rows whose ``parent_id`` points at their item. Materials, fees and procedure steps
  hang off a version. Catalog rows are tenant-owned by the owner; lower tiers read them
  (RLS lets a tenant read its ancestors' rows, like setting overrides).
* ``implementations`` — a tenant's adoption of one catalog item version (实施清单), with
  the local elements; its chosen materials and applied fees.
* ``delegations`` — an upper tier hands an item to lower tiers (下放/授权/委托), or a
  township entrusts acceptance to village agent points (代办).

Statuses: catalog ``draft → published → retired``; implementation ``active``,
``needs_review`` (a newer catalog version was published), ``retired``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhengwu.core.db import Base, PathString, TenantOwned, Timestamped, new_id

__all__ = [
    "CatalogFee",
    "CatalogItem",
    "CatalogMaterial",
    "CatalogStep",
    "Delegation",
    "Implementation",
    "ImplementationFee",
    "ImplementationMaterial",
]


class CatalogItem(Base, TenantOwned, Timestamped):
    """A catalog item version (基本目录事项). ``tenant_*`` is the owning tier."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("tenant_id", "basic_code", "version"),
                      Index("ix_catalog_items_code", "basic_code"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("catalog_items.id"))
    basic_code: Mapped[str] = mapped_column(String(14))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    name: Mapped[str] = mapped_column(String(300))
    item_type: Mapped[str] = mapped_column(String(2))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    use_levels: Mapped[list[int]] = mapped_column(JSON, default=list)
    statutory_days: Mapped[int | None]
    case_type: Mapped[int] = mapped_column(default=2)  # 1 即办件, 2 承诺件
    conditions: Mapped[str | None] = mapped_column(Text)
    quantity_limit: Mapped[str | None] = mapped_column(Text)
    max_visits: Mapped[int | None]
    online_depth: Mapped[int | None]  # 1–4 (网上办理深度)
    applicant_types: Mapped[list[int]] = mapped_column(JSON, default=list)
    result_type: Mapped[str | None] = mapped_column(String(100))
    result_name: Mapped[str | None] = mapped_column(String(200))
    is_free: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    parent: Mapped[CatalogItem | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="raise", viewonly=True)


class CatalogMaterial(Base, TenantOwned):
    """A material the item requires (申请材料)."""

    __tablename__ = "catalog_materials"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(16), default="paper")  # paper | electronic | both
    originals: Mapped[int] = mapped_column(default=0)
    copies: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    blank_form_url: Mapped[str | None] = mapped_column(String(500))
    sample_url: Mapped[str | None] = mapped_column(String(500))
    legal_basis: Mapped[str | None] = mapped_column(Text)


class CatalogFee(Base, TenantOwned):
    """A fee item (收费项目): basis and standard; ``max_amount_cents`` bounds local fees."""

    __tablename__ = "catalog_fees"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    standard: Mapped[str] = mapped_column(String(500))
    max_amount_cents: Mapped[int | None]
    basis: Mapped[str | None] = mapped_column(Text)
    reducible: Mapped[bool] = mapped_column(default=False)
    reduction_basis: Mapped[str | None] = mapped_column(Text)


class CatalogStep(Base, TenantOwned):
    """A procedure step (办理环节) with its limit in working days."""

    __tablename__ = "catalog_steps"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    limit_days: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(String(64))


class Implementation(Base, TenantOwned, Timestamped):
    """A tenant's adoption of a catalog item version (实施清单事项)."""

    __tablename__ = "implementations"
    __table_args__ = (UniqueConstraint("tenant_id", "basic_code", "department_credit_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    catalog_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"), index=True)
    basic_code: Mapped[str] = mapped_column(String(14))
    implementation_code: Mapped[str] = mapped_column(String(40), index=True)
    local_code: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="active")
    review_reason: Mapped[str | None] = mapped_column(String(300))
    department_name: Mapped[str] = mapped_column(String(200))
    department_credit_code: Mapped[str] = mapped_column(String(18))
    use_level: Mapped[int]
    power_source: Mapped[int] = mapped_column(default=1)
    window_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("windows.id"))
    promised_days: Mapped[int | None]
    max_visits: Mapped[int | None]
    online: Mapped[bool] = mapped_column(default=False)
    online_url: Mapped[str | None] = mapped_column(String(500))
    in_hall: Mapped[bool] = mapped_column(default=True)
    not_in_hall_reason: Mapped[str | None] = mapped_column(String(300))
    appointment: Mapped[bool] = mapped_column(default=False)
    courier: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(String(300))
    hours: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))


class ImplementationMaterial(Base, TenantOwned):
    """A catalog material the implementation asks for (a subset; required stay required)."""

    __tablename__ = "implementation_materials"
    __table_args__ = (UniqueConstraint("implementation_id", "catalog_material_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    implementation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("implementations.id"),
                                                         index=True)
    catalog_material_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_materials.id"))
    required: Mapped[bool] = mapped_column(default=True)


class ImplementationFee(Base, TenantOwned):
    """A catalog fee applied locally, at or below its standard."""

    __tablename__ = "implementation_fees"
    __table_args__ = (UniqueConstraint("implementation_id", "catalog_fee_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    implementation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("implementations.id"),
                                                         index=True)
    catalog_fee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_fees.id"))
    amount_cents: Mapped[int | None]


class Delegation(Base, TenantOwned, Timestamped):
    """An item handed down: ``tenant_*`` delegates; ``to_path`` (and its subtree) receives.

    ``kind``: a power-source code (2 下放, 3 授权, 5 委托) — the receiver decides (下放/授权)
    or decides in the delegator's name (委托) — or ``agent`` (代办): a township entrusts
    *acceptance* to village agent points, the township still decides.
    """

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_code", "basic_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    basic_code: Mapped[str] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(16))
    to_path: Mapped[str] = mapped_column(PathString, index=True)
    to_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every tier below
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
