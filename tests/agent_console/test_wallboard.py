"""Wallboard aggregation: event sequences -> queue figures and agent rows; duplicates change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent_console import wallboard as wb
from ticketing.bus import contract as ct

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queued(lid, q="general-zh"):
    return ct.CallQueued(linkedid=lid, queue=q, position=1, waiting=1)


def connected(lid, hold, q="general-zh"):
    return ct.CallConnected(linkedid=lid, queue=q, agent="PJSIP/1001", hold_seconds=hold)


def abandoned(lid, q="general-zh"):
    return ct.CallAbandoned(linkedid=lid, queue=q, position=1, original_position=1, hold_seconds=20)


def ended(lid):
    return ct.CallEnded(linkedid=lid, cause="Normal Clearing")


CASES = [
    ("nothing yet", [], {}),
    ("one waiting", [(0, queued("A"))],
     {"waiting": 1, "longest_wait": 30, "answered": 0, "service_level": None}),
    ("answered within 15 s", [(0, queued("A")), (10, connected("A", 10))],
     {"waiting": 0, "answered": 1, "abandoned": 0, "service_level": 100.0}),
    ("answered late", [(0, queued("A")), (20, connected("A", 20))], {"answered": 1, "service_level": 0.0}),
    ("abandoned counts against service level",
     [(0, queued("A")), (0, queued("B")), (5, connected("A", 5)), (25, abandoned("B"))],
     {"answered": 1, "abandoned": 1, "service_level": 50.0, "waiting": 0}),
    ("hang-up while queued is abandoned", [(0, queued("A")), (8, ended("A"))],
     {"abandoned": 1, "waiting": 0}),
    ("duplicates change nothing",
     [(0, queued("A")), (0, queued("A")), (5, connected("A", 5)), (5, connected("A", 5)), (9, ended("A"))],
     {"answered": 1, "abandoned": 0, "waiting": 0, "service_level": 100.0}),
    ("longest of several", [(0, queued("A")), (12, queued("B"))], {"waiting": 2, "longest_wait": 30}),
]


@pytest.mark.parametrize(("events", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_queue_figures(events, expected):
    board = wb.Wallboard(tz=TZ)
    for offset, event in events:
        wb.fold(board, event, at(offset))
    snapshot = wb.snapshot(board, at(30), sl_seconds=15)
    row = next((q for q in snapshot["queues"] if q["queue"] == "general-zh"), {})
    for key, value in expected.items():
        assert row[key] == value, key


def test_new_day_resets_counters_and_old_events_are_ignored():
    board = wb.Wallboard(tz=TZ)
    wb.fold(board, queued("A"), at(0))
    wb.fold(board, connected("A", 3), at(3))
    tomorrow = T0 + timedelta(days=1)
    wb.fold(board, queued("B"), tomorrow)
    wb.fold(board, connected("Z", 3), T0)  # yesterday's event arriving late
    row = wb.snapshot(board, tomorrow, 15)["queues"][0]
    assert (row["answered"], row["waiting"]) == (0, 1)


def test_agents_by_state_with_durations():
    board = wb.Wallboard(tz=TZ)
    for uid, name, state, since in ((1, "李娜", "available", at(0)), (2, "陈刚", "paused", at(10)),
                                    (3, "王", "offline", at(0))):
        presence = ct.PresenceView(state=state, interface=f"PJSIP/100{uid}",
                                   reason="meal" if state == "paused" else "", since=since.isoformat())
        wb.fold(board, ct.AgentPresence(user_id=uid, name=name, presence=presence), at(0))
    snapshot = wb.snapshot(board, at(70), 15)
    assert snapshot["agents_by_state"] == {"available": 1, "paused": 1}
    assert [(a["name"], a["seconds"]) for a in snapshot["agents"]] == [("李娜", 70), ("陈刚", 60)]
    gone = ct.AgentPresence(user_id=2, name="陈刚", presence=ct.PresenceView(state="offline"))
    wb.fold(board, gone, at(80))
    assert [a["name"] for a in wb.snapshot(board, at(80), 15)["agents"]] == ["李娜"]


def record(lid, offset, *, answered=False, ended=False, wait=None, q="general-zh"):
    return wb.CallRecord(linkedid=lid, queue=q, queued_at=at(offset), answered=answered, ended=ended,
                         wait_seconds=wait)


def test_a_restart_rebuilds_todays_figures_from_the_call_records():
    records = [record("A", 0, answered=True, ended=True, wait=5), record("B", 1, answered=True, wait=20),
               record("C", 2, ended=True), record("D", 3), record("Y", -86_400, answered=True, wait=1)]
    board = wb.restore(wb.Wallboard(tz=TZ), records, at(30))
    row = wb.snapshot(board, at(30), 15)["queues"][0]
    assert (row["answered"], row["abandoned"], row["waiting"], row["service_level"]) == (2, 1, 1, 33.3)
    wb.fold(board, ended("D"), at(31))  # the caller still waiting at the restart hangs up
    assert wb.snapshot(board, at(31), 15)["queues"][0]["abandoned"] == 2


def test_live_events_win_over_older_records():
    board = wb.Wallboard(tz=TZ)
    wb.fold(board, queued("A"), at(0))
    wb.fold(board, connected("A", 4), at(4))
    wb.restore(board, [record("A", 0), record("A", 0, ended=True)], at(5))  # records lag behind
    row = wb.snapshot(board, at(5), 15)["queues"][0]
    assert (row["answered"], row["abandoned"], row["waiting"]) == (1, 0, 0)
    wb.restore(board, [record("A", 0, answered=True, wait=4)], at(6))  # restoring twice changes nothing
    assert wb.snapshot(board, at(6), 15)["queues"][0]["answered"] == 1


def on(server, event):
    return type(event)(**{**event.__dict__, "server": server})


def test_a_queue_on_two_servers_is_summed_and_split_per_server():
    board = wb.Wallboard(tz=TZ)
    for offset, event in ((0, on("alpha", queued("A1"))), (0, on("beta", queued("B1"))),
                          (2, on("alpha", queued("A2"))), (5, on("beta", connected("B1", 5))),
                          (6, on("alpha", connected("A1", 6))), (8, on("beta", queued("B2"))),
                          (20, on("beta", abandoned("B2"))),
                          (25, ct.QueueStats(server="alpha", queue="general-zh", waiting=1, logged_in=2,
                                             available=0)),
                          (25, ct.QueueStats(server="beta", queue="general-zh", waiting=0, logged_in=3,
                                             available=2))):
        wb.fold(board, event, at(offset))
    [row] = wb.snapshot(board, at(30), sl_seconds=15)["queues"]
    assert (row["waiting"], row["longest_wait"], row["answered"], row["abandoned"]) == (1, 28, 2, 1)
    assert row["service_level"] == 66.7
    assert row["servers"] == [
        {"server": "alpha", "waiting": 1, "longest_wait": 28, "answered": 1, "abandoned": 0,
         "service_level": 100.0, "agents": 2, "available": 0},
        {"server": "beta", "waiting": 0, "longest_wait": 0, "answered": 1, "abandoned": 1,
         "service_level": 50.0, "agents": 3, "available": 2},
    ]
    # the same report again, or a second report of one server, replaces that server's figures only
    wb.fold(board, ct.QueueStats(server="beta", queue="general-zh", waiting=0, logged_in=1, available=1),
            at(31))
    servers = wb.snapshot(board, at(31), 15)["queues"][0]["servers"]
    assert [(s["agents"], s["available"]) for s in servers] == [(2, 0), (1, 1)]


def test_one_server_shows_no_split():
    board = wb.Wallboard(tz=TZ)
    wb.fold(board, queued("A"), at(0))
    wb.fold(board, ct.QueueStats(queue="general-zh", waiting=1, logged_in=1), at(1))
    assert wb.snapshot(board, at(2), 15)["queues"][0]["servers"] == []
