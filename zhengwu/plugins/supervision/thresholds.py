"""When a case turns yellow, and the tenant settings as SQL.

Two rules, the earlier wins (``yellow_day``): the days-left rule (``yellow_days``, always on)
and, where a tenant sets ``yellow_share_percent``, the share-of-limit rule
(``share_elapsed_on``).

``turns_yellow_on(calendar, due, n)`` is the first day on which the working days left until
the due date — the working days in ``(day, due]``, as the core's clock counts — are at most
``n``. For a due date on Thursday 8 October 2026 and ``n = 1`` that is Wednesday 30
September: the National Day holiday in between does not count, so the last working day before
it already has only one working day left. Paused days are not counted either: the due date
already lies beyond every pause, and a paused case raises no deadline card at all.

``share_elapsed_on(calendar, accepted, due, p, pauses)`` is the working day on which ``p`` per
cent of the case's working days have elapsed. The case's working days are those in
``(accepted, due]`` (the limit runs from the day after acceptance, as the core's clock counts)
that lie in no finished pause; the elapsed ones on a day are those up to and including it.
**Rounding: up** — the share has elapsed once ``elapsed * 100 >= p * total``, so the day is
the ``ceil(p * total / 100)``-th working day: 50 % of 5 working days is the 3rd (2.5 have not
elapsed on the 2nd), 80 % of 10 the 8th. A limit with no working day at all (due on the day of
acceptance) is yellow on the day of acceptance.

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

__all__ = ["NAMESPACE", "CalendarCache", "SettingRegions", "Spans", "share_elapsed_on", "spans",
           "turns_yellow_on", "yellow_day"]

NAMESPACE = "supervision"
_MAX_WALK = 400  # days: far more than any threshold of working days spans
_MAX_LIMIT = 1500  # calendar days: longer than any promised limit with its extensions and pauses

Spans = tuple[tuple[date, date], ...]
"""Finished pauses as (first day, last day), both included (the projection's ``pauses``)."""


def spans(pauses: list[Any] | None) -> Spans:
    """The projection's JSON ``[[first, last], …]`` as dates."""
    return tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in pauses or ())


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


def share_elapsed_on(cal: WorkCalendar, accepted: date, due: date, percent: int,
                     pauses: Spans = ()) -> date:
    """The working day on which ``percent`` % of the working days in ``(accepted, due]`` that
    lie in no pause have elapsed (rounded up; see the module's docstring)."""
    days: list[date] = []
    day = accepted + timedelta(days=1)
    for _ in range(_MAX_LIMIT):
        if day > due:
            break
        if cal.is_workday(day) and not any(a <= day <= b for a, b in pauses):
            days.append(day)
        day += timedelta(days=1)
    need = -(-len(days) * percent // 100)  # ceil without floats
    return days[need - 1] if need else accepted


def yellow_day(cal: WorkCalendar, due: date, n: int, *, percent: int | None = None,
               accepted: date | None = None, pauses: Spans = ()) -> date:
    """When the case turns yellow: the earlier of the days-left rule (``n``) and, if
    ``percent`` is set and the day of acceptance known, the share-of-limit rule."""
    day = turns_yellow_on(cal, due, n)
    if percent is not None and accepted is not None and accepted <= due:
        day = min(day, share_elapsed_on(cal, accepted, due, percent, pauses))
    return day


class CalendarCache:
    """Calendars of handling tenants for one unit of work (a sweep, an event), loaded once per
    tenant path with the years around the due dates they will be asked about."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._cals: dict[tuple[str, int, int], WorkCalendar] = {}

    async def at(self, path: str, around: date, since: date | None = None) -> WorkCalendar:
        key = (path, min(around.year - 1, since.year if since else around.year), around.year)
        if key not in self._cals:
            self._cals[key] = await load_calendar(self.session, path, range(key[1], key[2] + 1))
        return self._cals[key]

    async def yellow_on(self, path: str, due: date, n: int, *, percent: int | None = None,
                        accepted: date | None = None, pauses: Spans = ()) -> date:
        cal = await self.at(path, due, accepted if percent is not None else None)
        return yellow_day(cal, due, n, percent=percent, accepted=accepted, pauses=pauses)


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
