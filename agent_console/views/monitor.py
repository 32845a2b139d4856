"""Supervisor monitoring from the wallboard: listen (silent), whisper (the agent hears), barge (three-way).

The supervisor's own phone (browser or desk) is rung with ChanSpy on the agent's call: Asterisk's
Originate of the supervisor's interface into the ChanSpy application, options q (no announcement of the
spied channel), E (end when the agent's call ends) and w (whisper) or B (barge). ChanSpy's E did not end a
barging supervisor's call when the agent hung up (Asterisk 22.10), so the console also watches the agent's
call and hangs up the spy call, which it placed with its own channel id, once that call is over. Each use
goes into the access audit trail (ticketing.audit, the administrator's 访问审计 page): who monitored
whom, how, from which phone, and the call's case when one is linked.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from agent_console import agent_state as sm
from agent_console import i18n, phones
from agent_console.auth import Viewer
from agent_console.live.commands import CommandFailed, TelephonyUnavailable
from agent_console.views.deps import console_of, guarded, language
from ticketing.audit import service as audit
from ticketing.call.models import Call, CaseCall
from ticketing.case.models import Case
from ticketing.database.core import session_scope

log = logging.getLogger(__name__)
router = APIRouter(prefix="/monitor")
SUPERVISORS = ("supervisor", "admin")
MONITOR_CALLER_ID = "monitor <monitor>"  # a browser phone that asked for it answers this call by itself
SPY_OPTIONS = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
WATCH_EVERY = 1.0  # seconds between looks at whether the monitored call is still on
_WATCHERS: set[asyncio.Task] = set()  # running watchers (a reference keeps each task alive)


class MonitorBody(BaseModel):
    interface: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z]+/[0-9A-Za-z_-]+$")
    mode: Literal["listen", "whisper", "barge"]
    extension: str = Field(min_length=1, max_length=32)
    phone: Literal["desk", "browser"] = "browser"


def chanspy_data(agent_interface: str, mode: str) -> str:
    """Return ChanSpy's arguments for spying on the agent's call in a mode ("PJSIP/1001-,qwE")."""
    # The trailing "-" keeps PJSIP/1001 from matching PJSIP/10010-...: channel names are <endpoint>-<id>.
    return f"{agent_interface}-,{SPY_OPTIONS[mode]}"


def _refuse(request: Request, code: str, status_code: int, detail: str = "") -> JSONResponse:
    return JSONResponse({"error": code, "message": i18n.translate(code, language(request)), "detail": detail},
                        status_code=status_code)


@router.post("")
async def monitor_call(request: Request, body: MonitorBody,
                       viewer: Viewer = Depends(guarded(*SUPERVISORS))) -> Response:
    """Ring the supervisor's phone into the agent's live call, listening, whispering or barging in."""
    console = console_of(request)
    settings = console.settings
    if body.extension not in settings.extensions:
        return _refuse(request, "unknown_extension", 422, body.extension)
    online = await asyncio.to_thread(console.presence.online)
    agent = next(((name, p) for _id, name, p in online if p.interface == body.interface), None)
    if agent is None or agent[1].state not in (sm.AgentState.ON_CALL, sm.AgentState.RINGING):
        return _refuse(request, "no_call_to_monitor", 409, body.interface)
    template = settings.browser_interface_template if body.phone == "browser" else settings.interface_template
    own = template.format(extension=body.extension)
    if own == body.interface:
        return _refuse(request, "monitor_self", 409, own)
    spy_id = f"monitor-{uuid.uuid4().hex[:16]}"  # the spy call's Uniqueid: hung up by it, never by name
    args: dict[str, Any] = {"Channel": own, "Application": "ChanSpy", "ChannelId": spy_id,
                            "Data": chanspy_data(body.interface, body.mode), "CallerID": MONITOR_CALLER_ID}
    try:
        # ChanSpy sees only its own server's channels: the agent's call's server places the spy call.
        await console.commands.run("Originate", args, server=agent[1].server)
    except TelephonyUnavailable as err:
        return _refuse(request, "telephony_unavailable", 503, str(err))
    except CommandFailed as err:
        return _refuse(request, "asterisk_refused", 502, err.message)
    watcher = asyncio.create_task(end_with_the_call(console, body.interface, agent[1].linkedid, spy_id,
                                                    agent[1].server))
    _WATCHERS.add(watcher)
    watcher.add_done_callback(_WATCHERS.discard)
    await asyncio.to_thread(_audit, console, viewer, body, agent, own)
    log.info("monitor: %s (%s) %s %s (%s) from %s", viewer.username, viewer.role, body.mode, agent[0],
             body.interface, own)
    return JSONResponse({"ok": True, "mode": body.mode, "agent": agent[0], "phone": own})


async def end_with_the_call(console, interface: str, linkedid: str | None, spy_id: str, server: str) -> None:
    """Hang up the spy call SPY_ID once the agent on INTERFACE is no longer in call LINKEDID."""
    while True:
        await asyncio.sleep(WATCH_EVERY)
        online = await asyncio.to_thread(console.presence.online)
        presence = next((p for _id, _name, p in online if p.interface == interface), None)
        if (presence is None or presence.linkedid != linkedid
                or presence.state not in (sm.AgentState.ON_CALL, sm.AgentState.RINGING)):
            break
    try:
        await console.commands.run("Hangup", {"Channel": spy_id}, server=server)
        log.info("monitor: the call of %s ended, so did the spy call %s", interface, spy_id)
    except (CommandFailed, TelephonyUnavailable):
        pass  # the supervisor had hung up already (Asterisk: no such channel)


def _audit(console, viewer: Viewer, body: MonitorBody, agent: tuple[str, sm.Presence], own: str) -> None:
    """Record the monitoring in the access audit trail, with the call's (first) case when it has one."""
    name, presence = agent
    phone = i18n.translate("phone_browser" if body.phone == "browser" else "phone_desk", "zh")
    with session_scope(console.session_factory) as session:
        number = _case_of_call(session, presence.linkedid) if presence.linkedid else None
        audit.record(session, viewer.username, viewer.role, f"monitor-{body.mode}", number,
                     target=f"{name}（{phones.extension_words(body.interface)}）",
                     detail=f"{phone} {phones.extension_words(own)}")


def _case_of_call(session, linkedid: str) -> str | None:
    query = (select(Case.number).join(CaseCall, CaseCall.case_id == Case.id)
             .join(Call, Call.id == CaseCall.call_id).where(Call.linkedid == linkedid).order_by(Case.id))
    return session.scalars(query).first()
