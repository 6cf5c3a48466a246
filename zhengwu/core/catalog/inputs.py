"""Typed inputs of the catalog services (what the CLI, GraphQL and importers hand them).

Plain frozen dataclasses: the services validate them (``zhengwu.core.catalog.service``,
``.implementation``, ``.delegation``); nothing here touches the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "LocalFee",
    "LocalMaterial",
    "NewDelegation",
    "NewFee",
    "NewImplementation",
    "NewItem",
    "NewMaterial",
    "NewStep",
]


@dataclass(frozen=True)
class NewMaterial:
    name: str
    form: str = "paper"  # paper | electronic | both
    originals: int = 0
    copies: int = 0
    required: bool = True
    blank_form_url: str | None = None
    sample_url: str | None = None
    legal_basis: str | None = None


@dataclass(frozen=True)
class NewFee:
    name: str
    standard: str
    max_amount_cents: int | None = None
    basis: str | None = None
    reducible: bool = False
    reduction_basis: str | None = None


@dataclass(frozen=True)
class NewStep:
    name: str
    limit_days: int | None = None
    role: str | None = None


@dataclass(frozen=True)
class NewItem:
    """A catalog item (or, with ``parent_code``, a business-handling item of one)."""

    basic_code: str
    name: str
    item_type: str
    use_levels: tuple[int, ...]
    statutory_days: int | None = None
    case_type: int = 2  # 1 即办件, 2 承诺件
    legal_basis: str | None = None
    conditions: str | None = None
    quantity_limit: str | None = None
    max_visits: int | None = None
    online_depth: int | None = None
    applicant_types: tuple[int, ...] = ()
    result_type: str | None = None
    result_name: str | None = None
    is_free: bool = True
    materials: tuple[NewMaterial, ...] = ()
    fees: tuple[NewFee, ...] = ()
    steps: tuple[NewStep, ...] = ()
    parent_code: str | None = None


@dataclass(frozen=True)
class LocalMaterial:
    """A catalog material (by its ``seq``) the implementation asks for."""

    seq: int
    required: bool = True


@dataclass(frozen=True)
class LocalFee:
    """A catalog fee (by its ``seq``) applied locally at ``amount_cents`` (≤ the standard)."""

    seq: int
    amount_cents: int | None = None


@dataclass(frozen=True)
class NewImplementation:
    """Adopting a published catalog item at a tenant (实施清单)."""

    basic_code: str
    department_name: str
    department_credit_code: str
    promised_days: int | None = None
    max_visits: int | None = None
    materials: tuple[LocalMaterial, ...] | None = None  # None: every catalog material as is
    fees: tuple[LocalFee, ...] | None = None  # None: every catalog fee at its standard
    window_id: uuid.UUID | None = None
    online: bool = False
    online_url: str | None = None
    in_hall: bool = True
    not_in_hall_reason: str | None = None
    appointment: bool = False
    courier: bool = False
    address: str | None = None
    hours: str | None = None
    phone: str | None = None
    local_code: str | None = None
    power_source: int = 1


@dataclass(frozen=True)
class NewDelegation:
    basic_code: str
    kind: str  # "2" 下放, "3" 授权, "5" 委托, or "agent" (代办: acceptance only)
    to_code: str  # the receiving tenant (its subtree receives)
    to_tiers: tuple[str, ...] = ()  # restrict to these tiers below; empty: all
    valid_from: date | None = None  # default: today (Asia/Shanghai)
    valid_to: date | None = None
    note: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
