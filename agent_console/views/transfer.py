"""Warm transfer and three-way calls: consult a queue, an agent or an outside number, then hand over.

`consult` asks Asterisk for an attended transfer from the agent's channel (AMI Atxfer): the caller waits on
hold music while the agent talks to the target. The agent's phone then completes it (*2), joins all three
(*3) or returns to the caller (*1) with features.conf's keys: the browser phone sends them from its
buttons, a desk phone's user keys them. `handover` notes on the call's cases who took the call over.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from agent_console import cases
from agent_console.auth import Viewer
from agent_console.transfer import Contexts, Destination, UnknownTarget, destination
from agent_console.views.agent import AgentViewer, _current_call, _error, _guard, call_server
from agent_console.views.deps import console_of, language
from ticketing.call.models import Call, CaseCall
from ticketing.case import flows
from ticketing.case.models import Case
from ticketing.case.schemas import ActionPayload
from ticketing.database.core import session_scope

log = logging.getLogger(__name__)
router = APIRouter(prefix="/agent/call")


class ConsultBody(BaseModel):
    target: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_+-]+$")


class HandoverBody(ConsultBody):
    how: Literal["transfer", "three_way"]


def _destination(request: Request, target: str) -> Destination:
    console = console_of(request)
    s = console.settings
    contexts = Contexts(queue=s.transfer_queue_context, agent=s.transfer_extension_context,
                        outside=s.originate_context)
    return destination(target, queues=s.queues, extensions=s.extensions, directory=console.directory,
                       contexts=contexts, language=language(request))


@router.post("/consult")
async def consult(request: Request, body: ConsultBody, viewer: Viewer = AgentViewer) -> Response:
    """Put the caller on hold and ring the target for the agent to talk to first (attended transfer)."""
    console = console_of(request)
    try:
        where = _destination(request, body.target)
    except UnknownTarget:
        return _error(request, "unknown_transfer_target", 422, body.target)

    async def run() -> dict[str, Any]:
        presence, call = await _current_call(request, viewer)
        await console.commands.run("Atxfer", {"Channel": call.agent_channel or call.channel,
                                              "Exten": where.exten, "Context": where.context},
                                   server=call_server(console, presence, call))
        log.info("%s consults %s (%s) on call %s", viewer.username, where.label, where.kind, call.linkedid)
        return {"ok": True, "label": where.label, "kind": where.kind}

    return await _guard(request, run)


@router.post("/handover")
async def handover(request: Request, body: HandoverBody, viewer: Viewer = AgentViewer) -> Response:
    """Note on the call's cases who took the call over (after a completed transfer or a three-way call)."""
    console = console_of(request)
    try:
        where = _destination(request, body.target)
    except UnknownTarget:
        return _error(request, "unknown_transfer_target", 422, body.target)

    async def run() -> dict[str, Any]:
        _presence, call = await _current_call(request, viewer)
        numbers = await asyncio.to_thread(_note_handover, console, call.linkedid, where, body.how, viewer)
        return {"ok": True, "cases": numbers, "label": where.label, "kind": where.kind}

    return await _guard(request, run)


def _note_handover(console, linkedid: str, where: Destination, how: str, viewer: Viewer) -> list[str]:
    """Add an internal note to every case of the call: who took it over, and how."""
    verb = "转接给" if how == "transfer" else "三方通话，加入"
    note = f"来电{verb} {where.label}（{where.exten}），话务员 {viewer.display_name}"
    with session_scope(console.session_factory) as session:
        numbers = list(session.scalars(
            select(Case.number).join(CaseCall, CaseCall.case_id == Case.id)
            .join(Call, Call.id == CaseCall.call_id).where(Call.linkedid == linkedid)))
        for number in numbers:
            flows.apply_action(session, console.dataset, number, "note",
                               ActionPayload(note=note, visibility="internal"), cases.actor_of(viewer))
    return numbers
