"""Liveness of the bus's workers (consumers, senders, the outbox relay) for /readyz and /metrics.

Each worker reports a `WorkerHealth`; `Bus.health()`, `Sender.health()` and `Relay.health()` return theirs
and `hotline.components.Services.health()` gathers every one of a process.
"""

from __future__ import annotations

from dataclasses import dataclass

STALL_SECONDS = 30.0  # a worker failing (or silent) for longer than this is reported unhealthy


@dataclass(frozen=True)
class WorkerHealth:
    """One worker: is its task running, is it keeping up, and how much waits for it."""

    name: str  # e.g. "consumer hotline.calls/call-recorder", "outbox-relay", "sender ami-bridge.default"
    running: bool  # its task is alive
    healthy: bool  # running and not failing for longer than STALL_SECONDS
    detail: str = ""  # the last error while unhealthy, else ""
    backlog: int | None = None  # events waiting (sender queue, unsent outbox rows), None when not known


def failing_too_long(failing_since: float | None, now: float, limit: float = STALL_SECONDS) -> bool:
    """Tell whether a worker that started failing at `failing_since` (None: not failing) is past the limit."""
    return failing_since is not None and now - failing_since > limit


@dataclass(frozen=True)
class Check:
    """One part of a process /readyz looks at: is it ready, and if not, why (in words safe to show)."""

    name: str  # e.g. "database", "bus", "ami default", "speech zh", "worker outbox-relay"
    ok: bool
    reason: str = ""  # "unreachable", "not connected", "stalled", ... never a driver's message


def worker_checks(reports: list[WorkerHealth]) -> list[Check]:
    """The readiness of bus workers: each must be running and not failing for long."""
    return [Check(f"worker {r.name}", r.healthy, "" if r.healthy else "stalled" if r.running else "stopped")
            for r in reports]
