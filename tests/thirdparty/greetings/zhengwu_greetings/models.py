"""The plugin's one table, on the shared metadata; tenant-owned (RLS in its migration)."""

from __future__ import annotations

import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core.db import Base, TenantOwned, new_id


class Greeting(Base, TenantOwned):
    __tablename__ = "greetings_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    text: Mapped[str] = mapped_column(String(200))
