"""When a case turns yellow, and the tenant settings as SQL.

``turns_yellow_on(calendar, due, n)`` is the first day on which the working days left until
the due date — the working days in ``(day, due]``, as the core's clock counts — are at most
``n``. For a due date on Thursday 8 October 2026 and ``n = 1`` that is Wednesday 30
September: the National Day holiday in between does not count, so the last working day before
it already has only one working day left. Paused days are not counted either: the due date
already lies beyond every pause, and a paused case raises no deadline card at all.

The sweep must not resolve the cascade tenant by tenant. ``SettingRegions`` reads the few
overrides of one setting (every tenant that decided it) and folds the locks the way the core's
cascade does — the topmost lock on a chain wins, else the deepest override — so that
``case(column)`` is one SQL ``CASE`` giving each row the value effective at its tenant.
``tests/plugins/supervision`` checks it against ``zhengwu.tenants.settings.resolve``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.calendar.service import WorkCalendar, load_calendar
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import SettingOverride

__all__ = ["NAMESPACE", "CalendarCache", "SettingRegions", "turns_yellow_on"]

NAMESPACE = "supervision"
_MAX_WALK = 400  # days: far more than any threshold of working days spans


def turns_yellow_on(cal: WorkCalendar, due: date, n: int) -> date:
    """The first day whose remaining working days until ``due`` are at most ``n``."""
    day, remaining = due, 0
    for _ in range(_MAX_WALK):
        step = 1 if cal.is_workday(day) else 0
        if remaining + step > n:
            break
        remaining += step
        day -= timedelta(days=1)
    return day


class CalendarCache:
    """Calendars of handling tenants for one unit of work (a sweep, an event), loaded once per
    tenant path with the years around the due dates they will be asked about."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._cals: dict[tuple[str, int, int], WorkCalendar] = {}

    async def at(self, path: str, around: date) -> WorkCalendar:
        key = (path, around.year - 1, around.year)
        if key not in self._cals:
            self._cals[key] = await load_calendar(self.session, path, range(key[1], key[2] + 1))
        return self._cals[key]

    async def yellow_on(self, path: str, due: date, n: int) -> date:
        return turns_yellow_on(await self.at(path, due), due, n)


def _within(column: Any, root: str) -> Any:
    return (column == root) | ((column >= root + "/") & (column < root + "0"))


@dataclass(frozen=True)
class SettingRegions:
    """One setting's effective value everywhere: the tenants that decided it (path, value) —
    locks already folded in — and the default for the rest."""

    key: str
    default: Any
    deciders: tuple[tuple[str, Any], ...]  # shallow first

    @classmethod
    async def load(cls, session: AsyncSession, key: str) -> SettingRegions:
        spec = tenant_settings.spec(NAMESPACE, key)
        rows = [r for r in (await session.execute(
            select(SettingOverride.tenant_path, SettingOverride.value, SettingOverride.locked)
            .where(SettingOverride.namespace == NAMESPACE, SettingOverride.key == key)
            .order_by(SettingOverride.tenant_path))).all()
            if spec.is_valid(r[1])]  # a stale override is ignored, as the cascade does
        deciders: list[tuple[str, Any]] = []
        for path, value, _locked in rows:
            chain = sorted((r for r in rows if path == r[0] or path.startswith(r[0] + "/")),
                           key=lambda r: r[0].count("/"))
            lock = next((r for r in chain if r[2]), None)  # the topmost lock on the chain wins
            deciders.append((path, lock[1] if lock is not None else value))
        deciders.sort(key=lambda d: d[0].count("/"))
        return cls(key, spec.default, tuple(deciders))

    def at(self, path: str) -> Any:
        value = self.default
        for root, v in self.deciders:
            if path == root or path.startswith(root + "/"):
                value = v  # deeper deciders come later and win
        return value

    def values(self) -> set[Any]:
        return {self.default, *(v for _, v in self.deciders)}

    def case(self, column: Any, mapping: dict[Any, Any] | None = None) -> Any:
        """SQL: the value effective at each row's ``column`` path (or ``mapping[value]``)."""
        pick = (lambda v: mapping[v]) if mapping is not None else (lambda v: v)
        if not self.deciders:
            return literal(pick(self.default))
        whens = [(_within(column, root), pick(v)) for root, v in reversed(self.deciders)]
        return case(*whens, else_=pick(self.default))

    def roots(self) -> Iterable[str]:
        return (p for p, _ in self.deciders)
