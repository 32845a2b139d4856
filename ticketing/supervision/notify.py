"""Everything the scheduler tells the rest of the hotline goes out here (one place, moved to the outbox
when the event contract lands)."""

from __future__ import annotations

import logging

from ticketing.bus import Bus, Streams
from ticketing.supervision.scheduler import Raised

log = logging.getLogger(__name__)
EVENT_TYPES = {"reminder": "case.reminder", "overdue": "case.overdue", "urge": "case.urged",
               "supervise": "case.supervised"}


def payload(item: Raised) -> dict[str, object]:
    """Return the event data of one raised step."""
    return {"number": item.number, "kind": item.kind, "stage": item.stage, "bureau": item.bureau,
            "due": item.due_at.isoformat(), "at": item.at.isoformat(), "order": item.order_id}


async def announce(bus: Bus | None, item: Raised) -> None:
    """Publish one raised step on the cases stream; a bus failure is logged, the step stays taken."""
    if bus is None:
        return
    try:
        await bus.publish(Streams.CASES, EVENT_TYPES[item.kind], item.number, payload(item))
    except Exception:
        log.exception("publishing %s of case %s failed", item.kind, item.number)
