"""Call recorder: a bus consumer of Streams.CALLS that keeps the `calls` table, one transaction per event.

Every handler applies a fact through ticketing.call.service, whose functions are safe to apply twice
(rows keyed by Linkedid, steps de-duplicated), so a redelivered event changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ticketing.bus import Bus, Envelope, Streams
from ticketing.bus import contract as ev
from ticketing.bus.contract import IvrCaseOpened, IvrStep
from ticketing.call import service as calls
from ticketing.database.core import session_scope

log = logging.getLogger(__name__)

GROUP = "call-recorder"


def _at(event: ev.TelephonyEvent) -> datetime:
    return _at_iso(event.at)


def _at_iso(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _started(session: Session, e: ev.CallStarted) -> None:
    calls.start(session, e.linkedid, _at(e), caller=e.caller, dialled=e.dialled, server=e.server,
                language=e.language)


def _caller_changed(session: Session, e: ev.CallerIdChanged) -> None:
    calls.start(session, e.linkedid, _at(e), caller=e.caller)  # Local-channel calls learn it late


def _step(session: Session, e: IvrStep) -> None:
    call = calls.add_step(session, e.linkedid, _at(e), node=e.node, input=e.input, language=e.language,
                          caller=e.caller, dialled=e.dialled, heard=e.heard, server=e.server)
    if e.recording and not call.recording:
        call.recording = e.recording


def _case_opened(session: Session, e: IvrCaseOpened) -> None:
    if calls.link_case(session, e.linkedid, e.case_number, _at(e)) is None:
        log.warning("case %s of call %s does not exist; not linked", e.case_number, e.linkedid)


def _queued(session: Session, e: ev.CallQueued) -> None:
    calls.queued(session, e.linkedid, _at(e), queue=e.queue)


def _connected(session: Session, e: ev.CallConnected) -> None:
    calls.connected(session, e.linkedid, _at(e), queue=e.queue, agent=e.agent, hold_seconds=e.hold_seconds)


def _abandoned(session: Session, e: ev.CallAbandoned) -> None:
    calls.abandoned(session, e.linkedid, _at(e), queue=e.queue, hold_seconds=e.hold_seconds)


def _transferred(session: Session, e: ev.CallTransferred) -> None:
    calls.transferred(session, e.linkedid, _at(e))


APPLY: dict[type, Callable[[Session, ev.TelephonyEvent], None]] = {
    ev.CallStarted: _started, ev.CallerIdChanged: _caller_changed, IvrStep: _step,
    IvrCaseOpened: _case_opened, ev.CallQueued: _queued,
    ev.CallConnected: _connected, ev.CallAbandoned: _abandoned, ev.CallTransferred: _transferred,
}


class CallRecorder:
    """Component that turns call and IVR events into call records."""

    name = "call-recorder"

    def __init__(self, bus: Bus, session_factory: sessionmaker[Session], *,
                 recordings_dir: Path | None = None) -> None:
        self.bus, self.session_factory, self.recordings_dir = bus, session_factory, recordings_dir

    def _recording_of(self, linkedid: str, started_at: datetime) -> str | None:
        """Return the MixMonitor file of a call (recordings/YYYYMMDD/<linkedid>.wav) if it exists."""
        if self.recordings_dir is None:
            return None
        path = self.recordings_dir / f"{started_at.astimezone(UTC):%Y%m%d}" / f"{linkedid}.wav"
        return str(path) if path.exists() else None

    async def start(self) -> None:
        """Subscribe to the call stream (durable: a restart resumes where it stopped)."""
        self.bus.subscribe(Streams.CALLS, GROUP, self.handle)

    async def stop(self) -> None:
        """Nothing to release: the bus owns the consumer task."""

    async def handle(self, envelope: Envelope) -> None:
        """Apply one event in its own transaction; unknown types are skipped, failures re-raised for retry."""
        try:
            event = ev.parse(envelope)
        except ev.UnknownEventType:
            return
        except ValueError as err:
            log.error("skipping malformed %s event %s: %s", envelope.type, envelope.id, err)
            return
        if isinstance(event, ev.CallEnded | ev.CallsReconciled) or type(event) in APPLY:
            await asyncio.to_thread(self.apply, event)

    def apply(self, event: ev.TelephonyEvent) -> None:
        """Write one event to the database (sync; runs in a worker thread)."""
        with session_scope(self.session_factory) as session:
            if isinstance(event, ev.CallsReconciled):
                lost = calls.close_lost(session, event.server, _at_iso(event.since), set(event.live),
                                        _at(event), cause=ev.LOST_DURING_OUTAGE)
                if lost:
                    log.warning("closed %d call records of server %s that ended while no bridge watched: %s",
                                len(lost), event.server, ", ".join(lost[:10]))
            elif isinstance(event, ev.CallEnded):
                call = calls.end(session, event.linkedid, _at(event), cause=event.cause)
                call.recording = call.recording or self._recording_of(call.linkedid, call.started_at)
            else:
                APPLY[type(event)](session, event)
