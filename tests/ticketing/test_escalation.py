"""Deadline supervision rules as data and pure functions: step instants, next steps, reading the file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import load_dataset
from ticketing.dataset.errors import DatasetError
from ticketing.dataset.escalation import read_escalation
from ticketing.sla import Limit
from ticketing.sla.escalation import (
    DEFAULT_RULES,
    EscalationStep,
    StageClock,
    deadline_key,
    next_step,
    schedule,
    step_instant,
)

SH = ZoneInfo("Asia/Shanghai")
FUTIAN = load_dataset(PACKAGE_DATA / "futian")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# (stage clock, step, instant) on the Futian 2026 calendar (Mon-Fri 09-12, 14-18; Thu 2026-11-26).
INSTANTS = [
    # acknowledge: 2 working hours from Thu 10:00 -> 12:00; 80 % of 2 h = 1 h 36 min
    (
        StageClock("acknowledge", t("2026-11-26 10:00"), t("2026-11-26 12:00")),
        EscalationStep("reminder", share=0.8),
        t("2026-11-26 11:36"),
    ),
    (
        StageClock("acknowledge", t("2026-11-26 10:00"), t("2026-11-26 12:00")),
        EscalationStep("overdue", share=1.0),
        t("2026-11-26 12:00"),
    ),
    # the reminder skips the lunch break: 11:00 -> 15:00 is 2 working hours, 80 % = 1 h 36 min -> 14:36
    (
        StageClock("acknowledge", t("2026-11-26 11:00"), t("2026-11-26 15:00")),
        EscalationStep("reminder", share=0.8),
        t("2026-11-26 14:36"),
    ),
    # 催办 two working hours past a 12:00 deadline: the lunch break does not count -> 16:00
    (
        StageClock("acknowledge", t("2026-11-26 10:00"), t("2026-11-26 12:00")),
        EscalationStep("urge", after_due=Limit("working_hours", 2)),
        t("2026-11-26 16:00"),
    ),
    # 督办 one working day past Friday's close: the end of Monday
    (
        StageClock("resolve", t("2026-11-24 10:00"), t("2026-11-27 18:00")),
        EscalationStep("supervise", after_due=Limit("working_days", 1)),
        t("2026-11-30 18:00"),
    ),
    # dispatch runs on the wall clock, nights and weekends included: 80 % of 24 h = 19 h 12 min
    (
        StageClock("dispatch", t("2026-11-28 23:00"), t("2026-11-29 23:00"), wall_clock=True),
        EscalationStep("reminder", share=0.8),
        t("2026-11-29 18:12"),
    ),
]


@pytest.mark.parametrize(("clock", "step", "expected"), INSTANTS)
def test_step_instants(clock, step, expected):
    assert step_instant(step, clock, FUTIAN.calendar) == expected


def test_the_shipped_rules_and_their_order():
    clock = StageClock("resolve", t("2026-11-24 10:00"), t("2026-11-27 18:00"))
    steps = schedule(FUTIAN.escalation, clock, FUTIAN.calendar)
    assert [kind for kind, _ in steps] == ["reminder", "overdue", "urge", "supervise"]
    assert [at for _, at in steps] == sorted(at for _, at in steps)
    assert [
        kind
        for kind, _ in schedule(
            FUTIAN.escalation, StageClock("dispatch", clock.start, clock.deadline, True), FUTIAN.calendar
        )
    ] == ["reminder", "overdue"]


STEPS = (
    ("reminder", t("2026-11-26 11:36")),
    ("overdue", t("2026-11-26 12:00")),
    ("urge", t("2026-11-26 16:00")),
)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (None, STEPS[0]),
        ("reminder", STEPS[1]),
        ("overdue", STEPS[2]),
        ("urge", None),
        ("supervise", STEPS[0]),
    ],
)
def test_next_step(after, expected):
    assert next_step(STEPS, after) == expected
    assert next_step((), after) is None


def test_a_new_deadline_is_a_new_key():
    first = StageClock("resolve", t("2026-11-24 10:00"), t("2026-11-27 18:00"))
    extended = StageClock("resolve", t("2026-11-24 10:00"), t("2026-12-02 18:00"))
    assert deadline_key(first) != deadline_key(extended)
    assert deadline_key(first) == "resolve:20261127T100000"  # UTC


def test_defaults_without_a_file(tmp_path):
    assert read_escalation(tmp_path / "supervision.yaml") == DEFAULT_RULES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "stages:\n  resolve:\n    - {kind: reminder, share: 1.5}\nanswer_within: {working_days: 2}\n",
            "at most 1",
        ),
        ("stages:\n  resolve:\n    - {kind: reminder}\nanswer_within: {working_days: 2}\n", "give one of"),
        (
            "stages:\n  resolve:\n    - {kind: reminder, share: 0.8, after_due: {working_hours: 1}}\n"
            "answer_within: {working_days: 2}\n",
            "give one of",
        ),
        ("stages:\n  resolve:\n    - {kind: nag, share: 0.8}\nanswer_within: {working_days: 2}\n", "nag"),
        (
            "stages:\n  resolve:\n    - {kind: urge, share: 0.5}\n    - {kind: urge, share: 0.9}\n"
            "answer_within: {working_days: 2}\n",
            "listed twice",
        ),
        (
            "stages:\n  closing:\n    - {kind: urge, share: 0.5}\nanswer_within: {working_days: 2}\n",
            "closing",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text, message):
    path = tmp_path / "supervision.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        read_escalation(path)
