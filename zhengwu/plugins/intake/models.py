"""Tables of the intake plugin (受理/办件).

Every row is owned by the case's **accepting** tenant (``tenant_id``/``tenant_path``): the
window, township centre or village agent point where the applicant handed the case in. The
**handling** tenant (``handling_path``), the one that reviews and decides, is always that
tenant or one of its ancestors (a village agent point accepts for its township, a township
accepts county items locally), so the subtree scope and row-level security give both of them
the case and nobody else below the county: siblings never see it.

* ``intake_cases`` — one application (办件); a parallel approval (并联审批) is a parent row
  (``is_parallel``) whose sub-cases (``parent_id``) each carry their own item and clock.
  Personal data is stored encrypted (``*_enc``), with a keyed hash for search (``*_hash``) and
  a masked copy for output (``*_masked``); the public lookup compares keyed hashes only.
* ``intake_case_materials`` — the materials submitted against the item's list.
* ``intake_case_steps`` — the item's procedure steps on this case, each with its own limit.
* ``intake_pauses`` — spans the clock does not run (补正, hearing, inspection, expert review…).
* ``intake_supplement_notices`` — the one supplement notice (补正材料通知书) per round.
* ``intake_case_history`` — every transition with actor and time (the status history).
* ``intake_fees`` — fees charged, per window and day (daily totals per window and centre).
* ``intake_counters`` — the per-tenant, per-year sequence behind readable case numbers.
* ``intake_notices`` — every printed notice or decision issued on a case (受理通知书 …
  送达回证): its number, the facts it was rendered from and the SHA-256 of the rendering.
* ``intake_notice_counters`` — the per-tenant, per-kind, per-year sequence of notice numbers.

This module holds tables only; the rules live in ``service``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core.db import Base, PathString, TenantOwned, Timestamped, new_id

__all__ = [
    "TABLES",
    "Case",
    "CaseCounter",
    "CaseFee",
    "CaseHistory",
    "CaseMaterial",
    "CaseNotice",
    "CaseStep",
    "NoticeCounter",
    "Pause",
    "SupplementNotice",
]


class Case(Base, TenantOwned, Timestamped):
    """An application for one implemented item (办件), or a parallel-approval parent."""

    __tablename__ = "intake_cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_intake_cases_submitted", "tenant_path", "submitted_on"),
        Index("ix_intake_cases_accepted", "tenant_path", "accepted_on"),
        Index("ix_intake_cases_decided", "tenant_path", "decided_on"),
        Index("ix_intake_cases_open", "status", "due_date"),
        Index("ix_intake_cases_page", "submitted_at", "id"),  # newest-first keyset pages
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    province_code: Mapped[str] = mapped_column(String(2))  # distribution key (Citus-ready)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    is_parallel: Mapped[bool] = mapped_column(default=False)
    handling_tenant_id: Mapped[uuid.UUID]
    handling_path: Mapped[str] = mapped_column(PathString, index=True)
    implementation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    basic_code: Mapped[str | None] = mapped_column(String(14))
    implementation_code: Mapped[str | None] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(300))
    item_type: Mapped[str | None] = mapped_column(String(2))
    department_name: Mapped[str | None] = mapped_column(String(200))
    case_type: Mapped[int] = mapped_column(default=2)  # 1 即办件, 2 承诺件
    channel: Mapped[str] = mapped_column(String(16))  # window | online | agent | kiosk
    window_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    resume_status: Mapped[str | None] = mapped_column(String(20))
    basis: Mapped[str | None] = mapped_column(String(16))  # who_handles: statutory | agent | …

    applicant_kind: Mapped[str] = mapped_column(String(16))  # person | organisation
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_code: Mapped[str | None] = mapped_column(String(18))  # credit code (not personal)
    applicant_id_enc: Mapped[str | None] = mapped_column(Text)
    applicant_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    applicant_id_masked: Mapped[str | None] = mapped_column(String(32))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    lookup_checks: Mapped[list[str]] = mapped_column(JSON, default=list)  # keyed hashes
    idempotency_key: Mapped[str | None] = mapped_column(String(100))

    submitted_at: Mapped[datetime]
    submitted_on: Mapped[date]
    accepted_at: Mapped[datetime | None]
    accepted_on: Mapped[date | None]
    not_accepted_on: Mapped[date | None]
    not_accepted_reason: Mapped[str | None] = mapped_column(Text)
    not_accepted_basis: Mapped[str | None] = mapped_column(Text)
    statutory_days: Mapped[int | None]
    promised_days: Mapped[int | None]
    extension_days: Mapped[int] = mapped_column(default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    due_derivation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # 法定时限's end: statutory days (+ an approved extension) on the same calendar and pauses
    statutory_due: Mapped[date | None]
    tolerated_missing: Mapped[list[str]] = mapped_column(JSON, default=list)  # 容缺受理
    decided_at: Mapped[datetime | None]
    decided_on: Mapped[date | None]
    decision: Mapped[str | None] = mapped_column(String(16))  # approved | denied
    decision_reason: Mapped[str | None] = mapped_column(Text)
    handling_days: Mapped[int | None]  # working days accepted → decided, pauses excluded
    on_time: Mapped[bool | None]
    delivered_at: Mapped[datetime | None]
    delivered_on: Mapped[date | None]
    delivery_method: Mapped[str | None] = mapped_column(String(16))  # pickup | courier | electronic
    delivery_note: Mapped[str | None] = mapped_column(String(300))
    withdrawn_at: Mapped[datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    fees_cents: Mapped[int] = mapped_column(default=0)
    imported: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CaseMaterial(Base, TenantOwned):
    """A material of the item's list on this case: provided or not, and in what shape."""

    __tablename__ = "intake_case_materials"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="missing")  # ok | missing | faulty
    originals: Mapped[int] = mapped_column(default=0)
    copies: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(String(300))


class CaseStep(Base, TenantOwned):
    """A procedure step (办理环节) on a case, with its own limit in working days."""

    __tablename__ = "intake_case_steps"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    limit_days: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|active|done|skipped
    assignee_id: Mapped[uuid.UUID | None]
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    started_on: Mapped[date | None]
    due_date: Mapped[date | None]
    finished_at: Mapped[datetime | None]
    finished_on: Mapped[date | None]
    opinion: Mapped[str | None] = mapped_column(Text)


class Pause(Base, TenantOwned):
    """A span the clock does not run: ``start_day``..``end_day`` inclusive (open: NULL end)."""

    __tablename__ = "intake_pauses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    start_day: Mapped[date]
    ended_at: Mapped[datetime | None]
    end_day: Mapped[date | None]


class SupplementNotice(Base, TenantOwned):
    """补正材料通知书: ONE notice listing every missing or faulty material."""

    __tablename__ = "intake_supplement_notices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime]
    issued_on: Mapped[date]
    notify_by: Mapped[date | None]  # ALL art. 32: within 5 working days of receipt
    late: Mapped[bool] = mapped_column(default=False)
    fulfilled_at: Mapped[datetime | None]


class CaseHistory(Base, TenantOwned):
    """One transition or recorded act on a case, with actor and time (never changed)."""

    __tablename__ = "intake_case_history"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseFee(Base, TenantOwned):
    """A fee charged on a case, at a window, on a day (at or below the item's standard)."""

    __tablename__ = "intake_fees"
    __table_args__ = (Index("ix_intake_fees_day", "tenant_path", "charged_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    fee_seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    amount_cents: Mapped[int]
    window_id: Mapped[uuid.UUID | None]
    venue_id: Mapped[uuid.UUID | None]
    charged_at: Mapped[datetime]
    charged_on: Mapped[date]
    charged_by: Mapped[str] = mapped_column(String(100))


class CaseCounter(Base, TenantOwned):
    """The last case number given out by a tenant in a year."""

    __tablename__ = "intake_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class CaseNotice(Base, TenantOwned):
    """A printed notice or decision (文书) issued on a case, kept as a record.

    Owned like the case (its accepting tenant), so whoever reads the case reads its notices.
    ``facts`` is the snapshot the document was rendered from (names, dates, items, reasons —
    the applicant's ID number only masked), so rendering it again reproduces the same bytes;
    ``sha256`` is the digest of that rendering (the "stamp as record"). ``event_key`` makes
    issuing idempotent: one notice per case, kind and lifecycle event.
    """

    __tablename__ = "intake_notices"
    __table_args__ = (UniqueConstraint("case_id", "kind", "event_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # acceptance | non_acceptance | supplement | …
    event_key: Mapped[str] = mapped_column(String(40))  # accept, supplement:2, decide, deliver …
    number: Mapped[str] = mapped_column(String(60), unique=True)
    issuer_tenant_id: Mapped[uuid.UUID]
    issued_at: Mapped[datetime]
    issued_on: Mapped[date]
    issued_by: Mapped[str] = mapped_column(String(100))
    template_version: Mapped[int] = mapped_column(default=1)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64))


class NoticeCounter(Base, TenantOwned):
    """The last notice number an issuing tenant gave out for a kind in a year."""

    __tablename__ = "intake_notice_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


TABLES = ("intake_cases", "intake_case_materials", "intake_case_steps", "intake_pauses",
          "intake_supplement_notices", "intake_case_history", "intake_fees", "intake_counters",
          "intake_notices", "intake_notice_counters")
