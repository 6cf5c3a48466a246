"""Period helpers: day, ISO week, month, range; bad text is a typed error."""

from __future__ import annotations

from datetime import date

import pytest

from zhengwu.core.errors import Invalid
from zhengwu.plugins.assessment.periods import parse_period


@pytest.mark.parametrize(("text", "kind", "start", "end", "label"), [
    ("2026-03-10", "day", date(2026, 3, 10), date(2026, 3, 10), "2026-03-10"),
    ("2026-W11", "week", date(2026, 3, 9), date(2026, 3, 15), "2026-W11"),
    ("2026-W1", "week", date(2025, 12, 29), date(2026, 1, 4), "2026-W01"),
    ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
    ("2026-01-01..2026-03-31", "range", date(2026, 1, 1), date(2026, 3, 31), "2026-01-01..2026-03-31"),
])
def test_periods(text, kind, start, end, label):
    p = parse_period(text)
    assert (p.kind, p.start, p.end, p.label) == (kind, start, end, label)
    assert parse_period(p.label) == p


@pytest.mark.parametrize("text", ["March", "2026-13", "2026-W54", "2026-02-30",
                                  "2026-03-31..2026-03-01", ""])
def test_bad_periods(text):
    with pytest.raises(Invalid) as err:
        parse_period(text)
    assert err.value.code == "assessment.period"
