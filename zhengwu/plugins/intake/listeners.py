"""Intake's reactions to the core's facts, inside the announcing transaction.

* ``tenant.merged`` (撤并): the core re-owns and re-paths every tenant-owned row (so cases
  accepted at the merged tenant or below it follow), but it knows nothing of a case's
  *handling* tenant. Here cases handled by the merged tenant pass to the target, and handling
  paths below it are re-pathed like the directory — open cases keep a handler who can act.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.plugin_api import Event
from zhengwu.plugins.intake.models import Case
from zhengwu.tenants.models import Tenant

__all__ = ["on_tenant_merged"]


async def on_tenant_merged(event: Event, session: AsyncSession) -> None:
    source = await session.scalar(select(Tenant).where(Tenant.code == event.payload["source"]))
    target = await session.scalar(select(Tenant).where(Tenant.code == event.payload["target"]))
    if source is None or target is None:
        return
    await session.execute(update(Case).where(Case.handling_tenant_id == source.id)
                          .values(handling_tenant_id=target.id, handling_path=target.path))
    old_prefix, new_prefix = source.path + "/", target.path + "/"
    await session.execute(
        update(Case).where(Case.handling_path >= old_prefix, Case.handling_path < source.path + "0")
        .values(handling_path=new_prefix + func.substr(Case.handling_path, len(old_prefix) + 1)))
