"""Repeat callers and the order of their cases on the pop: pure decisions, by table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent_console.callers import open_first, repeat_caller

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("ages_hours, days, calls, expected", [
    ([0, 5, 30], 7, 3, {"calls": 3, "days": 7}),
    ([0, 5], 7, 3, None),
    ([0, 5, 200], 7, 3, None),  # the third call is older than the window
    ([0, 1, 2, 3], 1, 3, {"calls": 4, "days": 1}),
    ([], 7, 3, None),
])
def test_repeat_caller(ages_hours, days, calls, expected):
    starts = [NOW - timedelta(hours=h) for h in ages_hours]
    assert repeat_caller(starts, NOW, days, calls) == expected


def test_open_cases_come_first_in_their_order():
    cases = [{"number": "a", "status": "closed"}, {"number": "b", "status": "dispatched"},
             {"number": "c", "status": "resolved"}, {"number": "d", "status": "new"}]
    assert [c["number"] for c in open_first(cases)] == ["b", "d", "a", "c"]
