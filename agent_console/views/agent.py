"""The agent desk: presence (queues, pause, wrap-up), call controls, the case form and callbacks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from agent_console import agent_state as sm
from agent_console import cases, i18n, phones
from agent_console.auth import Viewer
from agent_console.live.commands import CommandFailed, TelephonyUnavailable
from agent_console.presence import Agent, PresenceError
from agent_console.views.deps import TAB_HEADER, console_of, guarded, language, render, require_roles
from ticketing.case import media
from ticketing.case import service as case_service
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/agent")
AGENTS = ("agent", "admin")
AgentViewer = Depends(guarded(*AGENTS))


class LoginBody(BaseModel):
    extension: str = Field(max_length=32)
    queues: list[str] = Field(default_factory=list, max_length=50)
    phone: Literal["desk", "browser"] = "desk"


class PauseBody(BaseModel):
    reason: str = Field("", max_length=40)


class TransferBody(BaseModel):
    target: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")


class CaseRef(BaseModel):
    number: str = Field(min_length=1, max_length=32)
    linkedid: str = Field("", max_length=64)
    note: str = Field("", max_length=1000)


class RouteBody(BaseModel):
    description: str = Field(min_length=1, max_length=4000)
    street: str = Field("", max_length=64)
    category: str = Field("", max_length=64)


def _agent(request: Request, viewer: Viewer) -> Agent:
    return Agent(user_id=viewer.user_id, name=viewer.display_name, tab=request.headers.get(TAB_HEADER, ""))


def _error(request: Request, code: str, status_code: int, detail: str = "", **extra: Any) -> JSONResponse:
    message = i18n.translate(code, language(request))
    body = {"error": code, "message": message, "detail": detail, **extra}
    return JSONResponse(body, status_code=status_code)


def _in_words(detail: str, lang: str) -> str:
    """Say a presence error's detail the way an agent reads it: 分机 1001, 通话中; drop other codes.

    (Asterisk's own refusal text is kept: it is what a supervisor passes on to whoever runs Asterisk.)
    """
    if phones.extension_of(detail):
        return phones.extension_words(detail, lang)
    state = f"state_{detail}"
    if state in i18n.MESSAGES:
        return i18n.translate(state, lang)
    return detail if detail.isdigit() else ""


async def _guard(request: Request, action) -> Response:
    """Run an action, turning presence and telephony failures into clear JSON messages."""
    try:
        return JSONResponse(await action())
    except PresenceError as err:
        detail = err.detail if err.code == "asterisk_refused" else _in_words(err.detail, language(request))
        return _error(request, err.code, 409, detail)
    except TelephonyUnavailable as err:
        return _error(request, "telephony_unavailable", 503, str(err))
    except CommandFailed as err:
        return _error(request, "asterisk_refused", 502, err.message)
    except cases.FormInvalid as err:
        lang = language(request)
        fields = {name: i18n.field_error(name, error, lang) for name, error in err.errors.items()}
        return _error(request, "invalid_form", 422, str(err), fields=fields)


@router.get("")
def agent_page(request: Request, viewer: Viewer = Depends(require_roles(*AGENTS))) -> Response:
    """Show the agent desk."""
    console = console_of(request)
    presence, _tab = console.presence.get(viewer.user_id)
    dataset, lang = console.dataset, language(request)

    def name(item) -> str:
        return item.name_en if lang == "en" and item.name_en else item.name_zh

    return render(request, "agent.html", viewer, presence=presence.to_json(), settings=console.settings,
                  browser_phone=console.phones is not None, transfer_directory=console.directory,
                  may_download=media.may_download(viewer.role),
                  streets=[(s.code, name(s)) for s in dataset.streets.values()],
                  categories=[(c.code, name(c)) for c in dataset.leaf_categories().values()],
                  bureaus=[(b.code, name(b)) for b in dataset.bureaus.values()])


@router.get("/state")
def agent_state(request: Request, viewer: Viewer = Depends(require_roles(*AGENTS))) -> dict[str, Any]:
    """Return the agent's presence and the call on screen."""
    console = console_of(request)
    presence, tab = console.presence.get(viewer.user_id)
    call = console.hub.calls.get(presence.linkedid) if presence.linkedid else None
    return {"presence": presence.to_json(), "tab": tab, "call": call.to_json() if call else None}


@router.post("/presence/login")
async def go_available(request: Request, body: LoginBody, viewer: Viewer = AgentViewer) -> Response:
    """Join the chosen queues on the chosen extension."""
    console = console_of(request)

    async def run() -> dict[str, Any]:
        presence = await console.presence.login(_agent(request, viewer), body.extension, body.queues,
                                                body.phone)
        console.hub.track(viewer.user_id, presence.interface)
        return {"presence": presence.to_json()}

    return await _guard(request, run)


@router.post("/presence/{action}")
async def change_presence(request: Request, action: str, body: PauseBody | None = None,
                          viewer: Viewer = AgentViewer) -> Response:
    """Pause (with a reason), resume, end wrap-up, or leave the queues."""
    events = {"pause": lambda: sm.Pause(body.reason if body else ""), "resume": sm.Resume,
              "end-wrapup": sm.Resume, "logout": sm.Logout}
    if action not in events:
        return _error(request, "unknown_action", 404, action)
    console = console_of(request)

    async def run() -> dict[str, Any]:
        presence = await console.presence.act(_agent(request, viewer), events[action]())
        return {"presence": presence.to_json()}

    return await _guard(request, run)


async def _current_call(request: Request, viewer: Viewer) -> tuple[sm.Presence, Any]:
    console = console_of(request)
    presence, _tab = await asyncio.to_thread(console.presence.get, viewer.user_id)
    call = console.hub.calls.get(presence.linkedid) if presence.linkedid else None
    if call is None or presence.state not in (sm.AgentState.RINGING, sm.AgentState.ON_CALL):
        raise PresenceError("no_call")
    return presence, call


def call_server(console, presence: sm.Presence, call) -> str:
    """The Asterisk server a call is on: as its events said, else the agent's phone's server."""
    return call.server or console.hub.servers.of_call(call.linkedid, call.channel) or presence.server


@router.post("/call/hangup")
async def hang_up(request: Request, viewer: Viewer = AgentViewer) -> Response:
    """Hang up the agent's current call."""
    console = console_of(request)

    async def run() -> dict[str, Any]:
        presence, call = await _current_call(request, viewer)
        await console.commands.run("Hangup", {"Channel": call.agent_channel or call.channel},
                                   server=call_server(console, presence, call))
        return {"ok": True}

    return await _guard(request, run)


@router.post("/call/transfer")
async def transfer(request: Request, body: TransferBody, viewer: Viewer = AgentViewer) -> Response:
    """Blind-transfer the caller to a queue (by name) or to another agent's extension."""
    console = console_of(request)
    settings = console.settings

    async def run() -> dict[str, Any]:
        presence, call = await _current_call(request, viewer)
        context = (settings.transfer_queue_context if body.target in settings.queues
                   else settings.transfer_extension_context)
        # Redirecting the caller's channel takes it out of the agent's bridge into the target.
        await console.commands.run("Redirect", {"Channel": call.channel, "Exten": body.target,
                                                "Context": context},
                                   server=call_server(console, presence, call))
        return {"ok": True}

    return await _guard(request, run)


@router.post("/callback")
async def call_back(request: Request, body: CaseRef, viewer: Viewer = AgentViewer) -> Response:
    """Ring the agent's phone and then the resident of a case (click-to-call)."""
    console = console_of(request)

    async def run() -> dict[str, Any]:
        presence, _tab = await asyncio.to_thread(console.presence.get, viewer.user_id)
        if not presence.interface:
            raise PresenceError("not_in_queues")
        phone = await asyncio.to_thread(_case_phone, console, body.number)
        # Rung on the agent's phone first: the server that phone is registered with places the call.
        server = console.hub.servers.of_interface(presence.interface) or presence.server
        await console.commands.run("Originate", {
            "Channel": presence.interface, "Context": console.settings.originate_context,
            "Exten": cases.dial_digits(phone), "Priority": "1", "Async": "true",
            "CallerID": f"{body.number} <{cases.dial_digits(phone)}>"}, server=server)
        return {"ok": True, "phone": phone}

    return await _guard(request, run)


def _case_phone(console, number: str) -> str:
    with session_scope(console.session_factory) as session:
        case = case_service.get_by_number(session, number.strip())
        if case is None or not case.caller_phone:
            raise cases.FormInvalid({"number": cases.FieldError("no_caller_phone",
                                                                f"case {number!r} has no caller phone")})
        return case.caller_phone


@router.post("/route")
async def propose_route(request: Request, body: RouteBody, viewer: Viewer = AgentViewer) -> Response:
    """Propose category, bureau and deadlines for the description typed so far."""
    console = console_of(request)

    async def run() -> dict[str, Any]:
        proposal = cases.propose(console.dataset, body.description, body.street, body.category, utcnow(),
                                 language(request))
        return {"proposal": {**proposal.__dict__, "dispatch_by": _local(console, proposal.dispatch_by),
                             "resolve_limit": i18n.limit_text(proposal.resolve_limit, language(request))}}

    return await _guard(request, run)


def _local(console, moment) -> str | None:
    return moment.astimezone(console.timezone).strftime("%Y-%m-%d %H:%M") if moment else None


@router.post("/cases")
async def create_case(request: Request, viewer: Viewer = AgentViewer) -> Response:
    """Take in a case from the form, linked to the call on screen (its event goes out through the outbox)."""
    console = console_of(request)
    form = dict(await request.form())

    async def run() -> dict[str, Any]:
        return {"case": await asyncio.to_thread(_create, console, form, viewer, language(request))}

    return await _guard(request, run)


def _create(console, form: dict[str, Any], viewer: Viewer, lang: str) -> dict[str, Any]:
    with session_scope(console.session_factory) as session:
        case = cases.create(session, console.dataset, form, viewer)
        session.flush()
        return {"number": case.number, "status": case.status, "priority": case.priority,
                "bureau": cases.name_in(case.bureau, lang), "category": cases.name_in(case.category, lang),
                "dispatch_by": _local(console, case.dispatch_by),
                "acknowledge_by": _local(console, case.acknowledge_by),
                "resolve_by": _local(console, case.resolve_by)}


@router.post("/cases/attach")
async def attach_case(request: Request, body: CaseRef, viewer: Viewer = AgentViewer) -> Response:
    """Attach the call on screen to an existing case."""
    console = console_of(request)

    async def run() -> dict[str, Any]:
        number = await asyncio.to_thread(_attach, console, body, viewer)
        return {"case": {"number": number}}

    return await _guard(request, run)


def _attach(console, body: CaseRef, viewer: Viewer) -> str:
    with session_scope(console.session_factory) as session:
        return cases.attach(session, console.dataset, body.number, body.linkedid, body.note, viewer).number
