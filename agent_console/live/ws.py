"""The live WebSocket: one per console tab, authenticated by the session cookie, fed by the hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlparse

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agent_console import auth
from agent_console.auth import NotLoggedIn, Viewer
from agent_console.live.hub import Connection
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

log = logging.getLogger(__name__)
router = APIRouter()

PAGE_ROLES = {"agent": ("agent", "admin"), "wallboard": ("supervisor", "admin"), "bureau": ("bureau",),
              "desk": ("dispatcher", "supervisor", "admin")}  # desk: the dispatch desk and supervisor list
CLOSE_NOT_LOGGED_IN = 4401
CLOSE_FORBIDDEN = 4403
RECHECK_SECONDS = 60.0


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlparse(origin).netloc == websocket.headers.get("host")


def _load_viewer(console, token: str | None) -> Viewer:
    with session_scope(console.session_factory) as session:
        return auth.load(session, token, console.settings, utcnow())


@router.websocket("/ws")
async def live(websocket: WebSocket, page: str = "agent", tab: str = "") -> None:
    """Deliver the hub's messages for this user and page until the tab closes or the session ends."""
    console = websocket.app.state.console
    await websocket.accept()
    if not _same_origin(websocket) or page not in PAGE_ROLES:
        await websocket.close(CLOSE_FORBIDDEN)
        return
    token = websocket.cookies.get(console.settings.cookie_name)
    try:
        viewer = await asyncio.to_thread(_load_viewer, console, token)
    except NotLoggedIn as err:
        await websocket.send_json({"type": "session_expired" if err.expired else "not_logged_in"})
        await websocket.close(CLOSE_NOT_LOGGED_IN)
        return
    if viewer.role not in PAGE_ROLES[page]:
        await websocket.close(CLOSE_FORBIDDEN)
        return
    connection = Connection(send_text=websocket.send_text, user_id=viewer.user_id, role=viewer.role,
                            page=page, tab=tab[:64], bureau_id=viewer.bureau_id)
    console.hub.add(connection)
    try:
        await _greet(console, connection)
        await _serve(console, websocket, connection, token)
    finally:
        console.hub.remove(connection)


async def _greet(console, connection: Connection) -> None:
    """Send the tab what it needs first; an agent tab takes over from the agent's other tabs."""
    if connection.page == "agent":
        if connection.tab:
            await asyncio.to_thread(console.presence.claim_tab, connection.user_id, connection.tab)
        presence, _tab = await asyncio.to_thread(console.presence.get, connection.user_id)
        console.hub.track(connection.user_id, presence.interface, presence.linkedid)
        call = console.hub.calls.get(presence.linkedid) if presence.linkedid else None
        connection.push({"type": "hello", "presence": presence.to_json(),
                         "call": call.to_json() if call else None})
        if call is not None and console.hub.on_pop is not None:  # a reload shows the caller's history too
            await console.hub.on_pop(connection.user_id, {"type": "pop", "linkedid": call.linkedid,
                                                          "call": call.to_json()})
    elif connection.page == "wallboard":
        snapshot = console.hub.wallboard_snapshot(console.settings.service_level_seconds)
        connection.push({"type": "wallboard", **snapshot})


async def _serve(console, websocket: WebSocket, connection: Connection, token: str | None) -> None:
    pump = asyncio.create_task(connection.pump(), name=f"ws:{connection.user_id}")
    listen = asyncio.create_task(_listen(websocket), name=f"ws-in:{connection.user_id}")
    watch = asyncio.create_task(_watch_session(console, token), name=f"ws-session:{connection.user_id}")
    try:
        done, _pending = await asyncio.wait({pump, listen, watch}, return_when=asyncio.FIRST_COMPLETED)
        if watch in done and watch.exception() is None:
            await websocket.send_json({"type": "session_expired"})
            await websocket.close(CLOSE_NOT_LOGGED_IN)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in (pump, listen, watch):
            task.cancel()
        for task in (pump, listen, watch):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _listen(websocket: WebSocket) -> None:
    """Read (and ignore) what the browser sends, so a closed tab is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _watch_session(console, token: str | None) -> None:
    """Return when the session expires (checked every minute)."""
    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        try:
            await asyncio.to_thread(_load_viewer, console, token)
        except NotLoggedIn:
            return
