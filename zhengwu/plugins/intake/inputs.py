"""What callers hand the intake services: plain frozen dataclasses, validated by the services.

GraphQL inputs, REST bodies, CSV rows and the demo all build these; nothing here checks
anything (the services do, and report every problem of a submission at once).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

__all__ = [
    "APPLICANT_KINDS",
    "CHANNELS",
    "DELIVERY_METHODS",
    "PAUSE_KINDS",
    "Applicant",
    "CaseFilter",
    "NewCase",
    "NewParallelCase",
    "ParallelPart",
    "SubmittedMaterial",
    "SupplementItem",
]

CHANNELS = {"window": "窗口", "online": "网上", "agent": "代办点", "kiosk": "自助终端"}
APPLICANT_KINDS = {"person": "自然人", "organisation": "法人或其他组织"}
DELIVERY_METHODS = {"pickup": "窗口领取", "courier": "邮寄送达", "electronic": "电子送达"}
PAUSE_KINDS = {
    "hearing": "听证", "inspection": "现场核查", "testing": "检验检测", "expert_review": "专家评审",
    "appraisal": "鉴定", "quarantine": "检疫", "tender": "招标", "auction": "拍卖",
}
"""Special procedures whose time is not counted (ALL art. 45); 补正 pauses are ``supplement``."""


@dataclass(frozen=True)
class Applicant:
    """申请人: a natural person (GB 11643 ID number) or an organisation (GB 32100 code)."""

    kind: str  # person | organisation
    name: str
    id_number: str | None = None
    credit_code: str | None = None
    contact_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class SubmittedMaterial:
    """A material of the item's list, by its sequence number in the catalog."""

    seq: int
    status: str = "ok"  # ok | faulty
    originals: int = 0
    copies: int = 0
    note: str | None = None


@dataclass(frozen=True)
class NewCase:
    """An application at ``tenant_code`` (the accepting tenant) for ``basic_code``."""

    tenant_code: str
    basic_code: str
    applicant: Applicant
    channel: str = "window"
    materials: tuple[SubmittedMaterial, ...] = ()
    window_id: uuid.UUID | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ParallelPart:
    basic_code: str
    materials: tuple[SubmittedMaterial, ...] = ()


@dataclass(frozen=True)
class NewParallelCase:
    """并联审批: one application, several items handled in parallel, one result."""

    tenant_code: str
    title: str
    parts: tuple[ParallelPart, ...]
    applicant: Applicant
    channel: str = "window"
    window_id: uuid.UUID | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SupplementItem:
    """One line of a supplement notice: a material that is missing or faulty, and why."""

    seq: int
    problem: str = "missing"  # missing | faulty
    note: str | None = None


@dataclass(frozen=True)
class CaseFilter:
    """Filters of case lists (all optional; AND-ed)."""

    under: str | None = None  # a tenant code in scope: that subtree only
    status: tuple[str, ...] = ()
    channel: str | None = None
    basic_code: str | None = None
    case_no: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    overdue_on: date | None = None  # open cases whose due date is before this day
    handled_here: bool = False  # only cases whose handling tenant is the acting tenant
    include_parts: bool = True  # sub-cases of parallel approvals
    applicant_id_number: str | None = None  # searched by keyed hash, never stored in plain
    applicant_phone: str | None = None  # idem
