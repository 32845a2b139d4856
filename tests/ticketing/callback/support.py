"""A case taken in, dispatched, acknowledged and resolved through the real flows (for callback tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ticketing.case import flows
from ticketing.case.permissions import Actor
from ticketing.case.schemas import CaseCreate

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY_10 = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
AGENT = Actor("agent1", "agent")


def resolved_case(session, dataset, phone="13800138000", now=THURSDAY_10):
    """Return a street-light case of urban-mgmt, resolved an hour after intake."""
    data = CaseCreate(description="小区门口路灯坏了，晚上很黑", street="futian", caller_phone=phone,
                      dispatch=True)
    case = flows.intake(session, dataset, data, AGENT, now=now)
    for minutes, action, payload in ((10, "acknowledge", {}), (60, "resolve", {"reply": "路灯已修复"})):
        flows.apply_action(session, dataset, case.number, action, payload, "urban1",
                           now=now + timedelta(minutes=minutes))
    return case
