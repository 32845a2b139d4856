"""Everything the scheduler tells the rest of the hotline: one contract event per raised step.

Built here and staged in the outbox in the transaction that takes the step (scheduler.take_step), so a
notice reaches the bus exactly when its step is committed, never without it and never twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketing.bus.contract import NOTICES, DeadlineNotice

if TYPE_CHECKING:
    from ticketing.supervision.scheduler import Raised


def notice(item: Raised) -> DeadlineNotice:
    """Return the bus event of one raised step (case.reminder, case.overdue, case.urged, case.supervised)."""
    return NOTICES[item.kind](number=item.number, stage=item.stage, due=item.due_at.isoformat(),
                              bureau=item.bureau, bureau_id=item.bureau_id, order=item.order_id,
                              at=item.at.isoformat())
