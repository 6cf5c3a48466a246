"""An injectable clock, so tests can travel in time.

Services ask ``clock.now()`` instead of ``datetime.now()``; tests call ``clock.freeze(...)``.
Time is UTC in the database; working days are reckoned in Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "freeze", "now", "today_shanghai"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today_shanghai() -> date:
    """Today's date in China, the date working days are counted on."""
    return now().astimezone(SHANGHAI).date()


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``at`` for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
