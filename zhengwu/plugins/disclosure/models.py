"""Tables of the disclosure plugin (政务公开).

Every row is owned by one tenant (``tenant_id``/``tenant_path``) and scoped by row-level
security like the core's subtree tables. Categories are also readable by descendants (the
catalog is defined above and inherited below: ``ancestors_readable``); everything else is
visible to the owner and its ancestors only.

* ``disclosure_categories`` — sub-categories a tenant adds to the catalog it inherits. The
  national categories (Art. 20, Art. 21 for cities and counties, the township additions) are
  built in (``catalog.NATIONAL``), not rows.
* ``disclosure_publications`` — one item of government information (政府信息), from draft
  through the review chain to published / withdrawn. ``index_no`` (索引号) is given when the
  item is first published.
* ``disclosure_attachments`` — files of a publication (stored in the row: small documents).
* ``disclosure_links`` — a publication interprets (政策解读) or repeals another.
* ``disclosure_review_steps`` — every step of the review chain with actor, time and comment.
* ``disclosure_requests`` — applications for disclosure (依申请公开) with their clock.
* ``disclosure_consultations`` — third-party (Art. 32) and co-producer (Art. 34) opinions
  asked for a request; the clock stops from sending to answer (or silence at the limit).
* ``disclosure_request_history`` — every transition of a request with actor and time.
* ``disclosure_counters`` — per-tenant, per-year sequences (index numbers, request numbers).
* ``disclosure_report_inputs`` — what the annual report needs and the platform cannot know
  (narratives, the review and litigation cells, figures of other systems), per tenant and year.

This module holds tables only; the rules live in the service modules.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core.db import Base, TenantOwned, Timestamped, new_id

__all__ = [
    "TABLES",
    "Attachment",
    "Category",
    "Consultation",
    "Counter",
    "DisclosureRequest",
    "Publication",
    "PublicationLink",
    "ReportInput",
    "RequestHistory",
    "ReviewStep",
]


class Category(Base, TenantOwned, Timestamped):
    """A sub-category a tenant adds under a category it sees (built-in or inherited).

    ``code`` is the parent's code, a dot and two digits (``07.01``, ``07.01.02``); it is unique
    along the tenant's line (its ancestors and its subtree), so an inherited code never clashes
    with one added below.
    """

    __tablename__ = "disclosure_categories"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), index=True)
    parent_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]


class Publication(Base, TenantOwned, Timestamped):
    """One item of government information and where it stands in the review chain.

    ``status``: ``draft`` → ``confidentiality`` (保密审查) → ``leader`` (分管领导审核) →
    ``principal`` (主要领导审批, only when ``is_major``) → ``published``; ``returned`` (sent back
    with comments, editable like a draft); ``withdrawn`` (with a reason). A revision of a
    published item goes through the chain again while the published text stays public
    (``published_*`` columns hold what the public sees).
    """

    __tablename__ = "disclosure_publications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "index_no"),
        Index("ix_disclosure_publications_feed", "tenant_path", "status", "published_on"),
        Index("ix_disclosure_publications_formed", "tenant_path", "formed_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    index_no: Mapped[str | None] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str] = mapped_column(String(40))
    disclosure_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # 五公开
    key_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    attribute: Mapped[str] = mapped_column(String(16))  # proactive | on_request | not_disclosed
    withhold_ground: Mapped[str | None] = mapped_column(String(40))  # Arts. 14–16
    timing: Mapped[str] = mapped_column(String(16))  # long_term | periodic | ad_hoc
    doc_kind: Mapped[str] = mapped_column(String(16), default="other")  # rule | normative | other
    document_no: Mapped[str | None] = mapped_column(String(100))  # 文号
    department_name: Mapped[str | None] = mapped_column(String(200))  # 发布机构
    is_major: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    formed_on: Mapped[date]  # 成文/形成日期: the 20-working-day clock starts here (Art. 26)
    due_on: Mapped[date | None]  # proactive items: formed_on + 20 working days
    due_derivation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    published_at: Mapped[datetime | None]
    published_on: Mapped[date | None]
    published_late: Mapped[bool | None]
    published_title: Mapped[str | None] = mapped_column(String(300))
    published_body: Mapped[str | None] = mapped_column(Text)
    repealed_on: Mapped[date | None]
    withdrawn_at: Mapped[datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]


class Attachment(Base, TenantOwned):
    __tablename__ = "disclosure_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    publication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_publications.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class PublicationLink(Base, TenantOwned):
    """``publication_id`` interprets (``interprets``) or repeals (``repeals``) ``target_id``."""

    __tablename__ = "disclosure_links"
    __table_args__ = (UniqueConstraint("publication_id", "target_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    publication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_publications.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_publications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))


class ReviewStep(Base, TenantOwned):
    """One step of the review chain: who did what, when, from which state to which."""

    __tablename__ = "disclosure_review_steps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    publication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_publications.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str | None] = mapped_column(String(100))  # d002: the actor's username
    actor_role: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)


class DisclosureRequest(Base, TenantOwned, Timestamped):
    """An application for disclosure (依申请公开) and its statutory clock.

    ``received_on`` is the date of receipt of Art. 31 (in person: the day of submission;
    registered mail: the day signed for; letters, internet, fax: the day of confirmation).
    ``clock_start`` is ``received_on``, or the day a completed application arrived after a
    correction notice (Art. 30). ``due_on`` = clock_start + 20 working days (+ an approved
    extension of at most 20), consultations excluded (Art. 33 ¶3); ``due_derivation`` keeps
    why. ``requester_kind`` is one of the annual report's six columns.
    """

    __tablename__ = "disclosure_requests"
    __table_args__ = (
        Index("ix_disclosure_requests_received", "tenant_path", "received_on"),
        Index("ix_disclosure_requests_open", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_no: Mapped[str] = mapped_column(String(40), unique=True)
    channel: Mapped[str] = mapped_column(String(20))  # in_person | registered_mail | letter | online | fax
    requester_kind: Mapped[str] = mapped_column(String(20))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_id_enc: Mapped[str | None] = mapped_column(Text)
    requester_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    requester_id_masked: Mapped[str | None] = mapped_column(String(32))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime]
    received_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="registered")
    clock_start: Mapped[date]
    due_on: Mapped[date]
    due_derivation: Mapped[dict[str, Any]] = mapped_column(JSON)
    correction_notice_on: Mapped[date | None]
    correction_items: Mapped[str | None] = mapped_column(Text)
    correction_deadline: Mapped[date | None]
    corrected_on: Mapped[date | None]
    extended_days: Mapped[int] = mapped_column(default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_approved_by: Mapped[uuid.UUID | None]
    extension_approved_on: Mapped[date | None]
    fee_cents: Mapped[int | None]
    fee_notice_on: Mapped[date | None]
    fee_paid_on: Mapped[date | None]
    reply_type: Mapped[str | None] = mapped_column(String(40))
    reply_reason: Mapped[str | None] = mapped_column(String(40))
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_on: Mapped[date | None]
    replied_on_time: Mapped[bool | None]
    replied_by: Mapped[uuid.UUID | None]
    created_by: Mapped[uuid.UUID | None]


class Consultation(Base, TenantOwned):
    """A written consultation of a third party (Art. 32) or co-producing agency (Art. 34).

    Both have 15 working days (``due_on``); ``outcome``: ``consent`` | ``objection`` |
    ``silence`` (no answer by the limit: the agency decides / consent). The request's clock
    does not run from ``sent_on`` to ``answered_on`` (or ``due_on`` on silence).
    """

    __tablename__ = "disclosure_consultations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # third_party | co_producer
    party_name: Mapped[str] = mapped_column(String(200))
    sent_on: Mapped[date]
    due_on: Mapped[date]
    answered_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class RequestHistory(Base, TenantOwned):
    __tablename__ = "disclosure_request_history"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_requests.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None]
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Counter(Base, TenantOwned):
    """Per-tenant, per-year sequences: ``kind`` is ``index`` (索引号) or ``request``."""

    __tablename__ = "disclosure_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]
    value: Mapped[int] = mapped_column(default=0)


class ReportInput(Base, TenantOwned, Timestamped):
    """The annual report's hand-entered parts for one tenant and year.

    ``narratives``: sections 一, 五, 六 (keys ``overview``, ``problems``, ``other``);
    ``review_litigation``: the 15 cells of section 四; ``proactive``: section 二 figures the
    platform cannot count itself (行政许可/处罚/强制 decisions, fees in 万元) — counted ones
    (规章, 规范性文件) come from the publications; ``carried_over``: requests carried over
    from the year before the platform was used, per requester column.
    """

    __tablename__ = "disclosure_report_inputs"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    year: Mapped[int]
    narratives: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    review_litigation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    proactive: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    carried_over: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[uuid.UUID | None]


TABLES = ("disclosure_categories", "disclosure_publications", "disclosure_attachments",
          "disclosure_links", "disclosure_review_steps", "disclosure_requests",
          "disclosure_consultations", "disclosure_request_history", "disclosure_counters",
          "disclosure_report_inputs")
