"""Supervisor wallboard aggregation: pure folding of call and agent events into queue and agent figures.

Counters are sets of Linkedids, so an event delivered twice changes nothing. Service level is the share of
calls offered today (answered + abandoned) that an agent answered within the threshold.

With several Asterisk servers a queue of one name runs on each of them: its row counts the calls of all
servers (Linkedids stay unique across servers: each has its own `systemname`), and lists each server's
share beside it, with the agents Asterisk has in that server's queue. A call waits for an agent on its own
server only, so "3 waiting on alpha, nobody free there" is what the supervisor must see even when beta
has agents free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ticketing.bus import contract as ct


@dataclass(frozen=True)
class ServerReport:
    """What one Asterisk server last said of its copy of a queue (queue.stats)."""

    waiting: int = 0
    logged_in: int = 0
    available: int = 0


@dataclass
class QueueBoard:
    """Today's figures of one queue, over every Asterisk server it runs on."""

    name: str
    waiting: dict[str, datetime] = field(default_factory=dict)  # linkedid -> joined the queue at
    answered: dict[str, float] = field(default_factory=dict)  # linkedid -> seconds waited
    abandoned: set[str] = field(default_factory=set)
    server_of: dict[str, str] = field(default_factory=dict)  # linkedid -> the Asterisk server of the call
    reported: dict[str, ServerReport] = field(default_factory=dict)  # server -> its queue.stats


@dataclass
class AgentRow:
    """One agent as the wallboard lists it."""

    key: str
    name: str
    interface: str
    state: str
    reason: str = ""
    since: datetime | None = None


@dataclass
class Wallboard:
    """Everything the supervisor sees, for one local day."""

    tz: ZoneInfo
    day: date | None = None
    queues: dict[str, QueueBoard] = field(default_factory=dict)
    agents: dict[str, AgentRow] = field(default_factory=dict)
    queue_of_call: dict[str, str] = field(default_factory=dict)


def fold(board: Wallboard, event: ct.Event, at: datetime) -> Wallboard:
    """Apply one bus event that happened at `at` to the board and return it."""
    if isinstance(event, ct.AgentPresence):
        _agent_presence(board, event)
        return board
    if not _in_today(board, at):
        return board
    handler = _CALL_HANDLERS.get(type(event))
    if handler is not None:
        handler(board, event, at)
    return board


def _in_today(board: Wallboard, at: datetime) -> bool:
    local_day = at.astimezone(board.tz).date()
    if board.day is None or local_day > board.day:
        board.day = local_day
        for queue in board.queues.values():
            queue.answered.clear()
            queue.abandoned.clear()
            queue.server_of = {lid: s for lid, s in queue.server_of.items() if lid in queue.waiting}
        return True
    return local_day == board.day


def _queue(board: Wallboard, name: str) -> QueueBoard:
    return board.queues.setdefault(name, QueueBoard(name=name))


def _queued(board: Wallboard, e: ct.CallQueued, at: datetime) -> None:
    queue = _queue(board, e.queue)
    queue.server_of.setdefault(e.linkedid, e.server)
    if e.linkedid not in queue.answered and e.linkedid not in queue.abandoned:
        queue.waiting.setdefault(e.linkedid, at)
        board.queue_of_call[e.linkedid] = e.queue


def _connected(board: Wallboard, e: ct.CallConnected, at: datetime) -> None:
    queue = _queue(board, e.queue or board.queue_of_call.get(e.linkedid, ""))
    queue.server_of.setdefault(e.linkedid, e.server)
    queue.waiting.pop(e.linkedid, None)
    queue.answered.setdefault(e.linkedid, float(e.hold_seconds))


def _abandoned(board: Wallboard, e: ct.CallAbandoned, at: datetime) -> None:
    if e.queue:
        _queue(board, e.queue).server_of.setdefault(e.linkedid, e.server)
    _abandon(board, e.linkedid, e.queue)


def _abandon(board: Wallboard, linkedid: str, reported_queue: str) -> None:
    name = reported_queue or board.queue_of_call.get(linkedid)
    if not name:
        return
    queue = _queue(board, name)
    if linkedid in queue.waiting or reported_queue:
        queue.waiting.pop(linkedid, None)
        if linkedid not in queue.answered:
            queue.abandoned.add(linkedid)


def _ended(board: Wallboard, e: ct.CallEnded, at: datetime) -> None:
    name = board.queue_of_call.pop(e.linkedid, None)
    if name and e.linkedid in _queue(board, name).waiting:
        _abandon(board, e.linkedid, name)


def _stats(board: Wallboard, e: ct.QueueStats, at: datetime) -> None:
    _queue(board, e.queue).reported[e.server] = ServerReport(waiting=e.waiting, logged_in=e.logged_in,
                                                             available=e.available)


def _agent_presence(board: Wallboard, e: ct.AgentPresence) -> None:
    presence, key = e.presence, str(e.user_id)
    if presence.state == "offline":
        board.agents.pop(key, None)
        return
    since = datetime.fromisoformat(presence.since) if presence.since else None
    board.agents[key] = AgentRow(key=key, name=e.name or key, interface=presence.interface,
                                 state=presence.state, reason=presence.reason, since=since)


_CALL_HANDLERS: dict[type, Callable[[Wallboard, Any, datetime], None]] = {
    ct.CallQueued: _queued,
    ct.CallConnected: _connected,
    ct.CallAbandoned: _abandoned,
    ct.CallEnded: _ended,
    ct.QueueStats: _stats,
}


@dataclass(frozen=True)
class CallRecord:
    """A queued call as the call records (`calls` table) keep it, for rebuilding today's figures."""

    linkedid: str
    queue: str
    queued_at: datetime
    answered: bool
    ended: bool
    wait_seconds: float | None = None
    server: str = ""  # the Asterisk server ("": not recorded)


def restore(board: Wallboard, records: list[CallRecord], now: datetime) -> Wallboard:
    """Merge today's call records into the board (after a restart); what live events said wins."""
    _in_today(board, now)
    for record in records:
        if record.queued_at.astimezone(board.tz).date() != board.day:
            continue
        queue = _queue(board, record.queue)
        lid = record.linkedid
        if record.server:
            queue.server_of.setdefault(lid, record.server)
        if lid in queue.answered or lid in queue.abandoned:
            continue  # a live event already settled it
        if record.answered:
            queue.waiting.pop(lid, None)
            queue.answered[lid] = float(record.wait_seconds or 0.0)
        elif record.ended:
            queue.waiting.pop(lid, None)
            queue.abandoned.add(lid)
        else:
            queue.waiting.setdefault(lid, record.queued_at)
            board.queue_of_call.setdefault(lid, record.queue)
    return board


def queue_figures(queue: QueueBoard, now: datetime, sl_seconds: int) -> dict[str, Any]:
    """Return the row a supervisor sees for one queue: all servers summed, then each server's share."""
    return {"queue": queue.name, **_figures(queue.waiting, queue.answered, queue.abandoned, now, sl_seconds),
            "servers": _server_figures(queue, now, sl_seconds)}


def _figures(waiting: dict[str, datetime], answered: dict[str, float], abandoned: set[str], now: datetime,
             sl_seconds: int) -> dict[str, Any]:
    longest = max(((now - t).total_seconds() for t in waiting.values()), default=0.0)
    offered = len(answered) + len(abandoned)
    within = sum(1 for waited in answered.values() if waited <= sl_seconds)
    return {
        "waiting": len(waiting),
        "longest_wait": int(max(longest, 0)),
        "answered": len(answered),
        "abandoned": len(abandoned),
        "service_level": round(100 * within / offered, 1) if offered else None,
    }


def _server_figures(queue: QueueBoard, now: datetime, sl_seconds: int) -> list[dict[str, Any]]:
    """Each server's share of the queue, when the queue runs on more than one (else nothing to split)."""
    servers = sorted(set(queue.server_of.values()) | set(queue.reported))
    if len(servers) < 2:
        return []
    waiting: dict[str, dict[str, datetime]] = {s: {} for s in servers}  # one pass over each set, per push
    answered: dict[str, dict[str, float]] = {s: {} for s in servers}
    abandoned: dict[str, set[str]] = {s: set() for s in servers}
    for lid, joined in queue.waiting.items():
        waiting.get(queue.server_of.get(lid, ""), {})[lid] = joined
    for lid, waited in queue.answered.items():
        answered.get(queue.server_of.get(lid, ""), {})[lid] = waited
    for lid in queue.abandoned:
        abandoned.get(queue.server_of.get(lid, ""), set()).add(lid)
    rows = []
    for server in servers:
        report = queue.reported.get(server, ServerReport())
        figures = _figures(waiting[server], answered[server], abandoned[server], now, sl_seconds)
        rows.append({"server": server, **figures, "agents": report.logged_in, "available": report.available})
    return rows


def snapshot(board: Wallboard, now: datetime, sl_seconds: int) -> dict[str, Any]:
    """Return the whole wallboard as plain data: queues by name, agents grouped by state with durations."""
    queues = [queue_figures(q, now, sl_seconds) for _, q in sorted(board.queues.items())]
    agents = [{"name": a.name, "interface": a.interface, "state": a.state, "reason": a.reason,
               "seconds": int((now - a.since).total_seconds()) if a.since else 0}
              for a in sorted(board.agents.values(), key=lambda a: (a.state, a.name))]
    by_state: dict[str, int] = {}
    for agent in agents:
        by_state[agent["state"]] = by_state.get(agent["state"], 0) + 1
    return {"queues": queues, "agents": agents, "agents_by_state": by_state}

