"""After a restart the console's wallboard starts from today's call records, not from zero."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete

from ticketing.call.models import Call
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow


def add_call(session, queue: str, queued_ago: timedelta, *, waited: float, answered: bool) -> None:
    queued_at = utcnow() - queued_ago
    session.add(Call(linkedid=uuid.uuid4().hex, queue=queue, started_at=queued_at, queued_at=queued_at,
                     answered_at=queued_at + timedelta(seconds=waited) if answered else None,
                     ended_at=queued_at + timedelta(seconds=waited + 30), status="ended", wait_seconds=waited,
                     ivr_path=[], outcome="answered" if answered else "abandoned_queue"))


async def wait_until_calls_fit_in_today(oldest: timedelta) -> None:
    """Wait past local midnight by `oldest`, so calls placed that long ago still count as today."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
    if since_midnight < oldest + timedelta(seconds=30):
        await asyncio.sleep((oldest + timedelta(seconds=30) - since_midnight).total_seconds())


async def test_a_started_console_shows_todays_answered_and_abandoned(make_app, serve, session_factory):
    await wait_until_calls_fit_in_today(timedelta(seconds=200))
    queue = f"restore-{uuid.uuid4().hex[:6]}"
    with session_scope(session_factory) as session:
        add_call(session, queue, timedelta(seconds=200), waited=6, answered=True)
        add_call(session, queue, timedelta(seconds=150), waited=40, answered=True)
        add_call(session, queue, timedelta(seconds=100), waited=30, answered=False)
        add_call(session, queue, timedelta(days=2), waited=1, answered=True)  # not today
    try:
        app, console, _bridge = make_app()
        await serve(app)  # its lifespan starts the console, as a restarted `hotline serve` does
        row = next(q for q in console.hub.wallboard_snapshot(15)["queues"] if q["queue"] == queue)
        assert (row["answered"], row["abandoned"], row["waiting"], row["service_level"]) == (2, 1, 0, 33.3)
    finally:
        with session_scope(session_factory) as session:
            session.execute(delete(Call).where(Call.queue == queue))
