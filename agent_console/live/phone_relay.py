"""The browser phone's WebSocket through the console: same origin, session-checked, relayed to Asterisk's WSS.

A page served by the console reaches its phone server without a second origin, so the browser never has to
accept the instance's self-signed certificate, and only logged-in agents and supervisors reach Asterisk's SIP
WebSocket at all. The console verifies Asterisk's certificate (the generated one is pinned). SIP messages
pass through unchanged in both directions; either side closing closes the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import websockets
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agent_console.auth import NotLoggedIn
from agent_console.live.ws import CLOSE_FORBIDDEN, CLOSE_NOT_LOGGED_IN, _load_viewer, _same_origin

log = logging.getLogger(__name__)
router = APIRouter()
PHONE_ROLES = ("agent", "supervisor", "admin")
CLOSE_UPSTREAM_DOWN = 1011
SIP_SUBPROTOCOL = "sip"


@router.websocket("/phone/ws")
async def relay(websocket: WebSocket) -> None:
    """Relay one browser phone's SIP-over-WebSocket to Asterisk until either side closes."""
    console = websocket.app.state.console
    await websocket.accept(subprotocol=SIP_SUBPROTOCOL)
    if not _same_origin(websocket) or console.phones is None:
        await websocket.close(CLOSE_FORBIDDEN)
        return
    try:
        token = websocket.cookies.get(console.settings.cookie_name)
        viewer = await asyncio.to_thread(_load_viewer, console, token)
    except NotLoggedIn:
        await websocket.close(CLOSE_NOT_LOGGED_IN)
        return
    if viewer.role not in PHONE_ROLES:
        await websocket.close(CLOSE_FORBIDDEN)
        return
    url, ssl_context = console.phones.upstream()
    try:
        upstream = await websockets.connect(url, subprotocols=[SIP_SUBPROTOCOL], ssl=ssl_context,
                                            open_timeout=5, ping_interval=20)
    except (OSError, TimeoutError, websockets.InvalidHandshake) as err:
        log.warning("browser phone of %s: Asterisk's WebSocket %s unreachable: %s", viewer.username, url, err)
        await websocket.close(CLOSE_UPSTREAM_DOWN, "phone server unreachable")
        return
    async with upstream:
        await _pump_both(websocket, upstream)


async def _pump_both(websocket: WebSocket, upstream) -> None:
    up = asyncio.create_task(_browser_to_asterisk(websocket, upstream), name="phone-relay:up")
    down = asyncio.create_task(_asterisk_to_browser(websocket, upstream), name="phone-relay:down")
    try:
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (up, down):
            task.cancel()
        for task in (up, down):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await websocket.close()


async def _browser_to_asterisk(websocket: WebSocket, upstream) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            await upstream.send(message.get("text") if message.get("text") is not None else message["bytes"])


async def _asterisk_to_browser(websocket: WebSocket, upstream) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for message in upstream:
            if isinstance(message, str):
                await websocket.send_text(message)
            else:
                await websocket.send_bytes(message)
