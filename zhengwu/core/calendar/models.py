"""Calendar tables.

* ``calendar_years``: one row per year whose national calendar is stored (``published``:
  from the State Council's notice, via chinese-calendar or imported by the platform admin).
  A year without a published row is reckoned by the provisional rule (see ``rules``).
* ``calendar_days``: the national exceptions only — holidays (also those falling on a
  weekend, for naming) and make-up workdays (调休). Ordinary weekdays/weekends are not stored.
  Not tenant-owned: every tenant reads it, only the platform admin writes it.
* ``calendar_overrides``: regional exceptions (ethnic holidays set by autonomous areas, art. 4
  of 《全国年节及纪念日放假办法》), owned by a tenant and applying to its whole subtree. A
  separate table rather than nullable-region rows in ``calendar_days`` so RLS can be forced on
  it (national rows with a NULL path would be invisible under the scope policy).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core.db import Base, TenantOwned, Timestamped, new_id

__all__ = ["DAY_KINDS", "CalendarDay", "CalendarOverride", "CalendarYear"]

DAY_KINDS = ("holiday", "workday")


class CalendarYear(Base):
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))  # published | provisional
    source: Mapped[str] = mapped_column(String(32))  # chinese_calendar | notice
    imported_at: Mapped[datetime]


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32))  # chinese_calendar | notice


class CalendarOverride(Base, TenantOwned, Timestamped):
    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32), default="override")
