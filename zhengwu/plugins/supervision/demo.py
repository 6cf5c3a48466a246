"""supervision's part of ``zhengwu demo`` (hook ``zhengwu_cli``): one sweep over the demo's
tenants (``zhengwu demo`` switches every installed plugin on at 宁国市 before the plugins' steps,
and intake's day of cases runs first), so the demo's supervisor (``ningguo_supervisor``) finds
the cards intake's events and the sweep raised. Idempotent: a second run raises nothing twice.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.plugins.supervision.models import Alert
from zhengwu.plugins.supervision.projection import PLUGIN
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants.enablement import enabled_scope

__all__ = ["demo_sweep"]


async def demo_sweep(session: AsyncSession) -> str:
    """Sweep now; one line for the demo's summary."""
    report = await sweep(session, await enabled_scope(session, PLUGIN), clock.now())
    await session.commit()
    standing = dict((await session.execute(
        select(Alert.colour, func.count()).where(Alert.status.not_in(("closed", "cleared")))
        .group_by(Alert.colour))).all())
    return (f"sweep on {report.today}: {report.raised} cards raised now; standing: "
            f"{standing.get('yellow', 0)} yellow, {standing.get('red', 0)} red")
