"""The browser phone's account: what the console page needs to register as an extension over WSS."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from agent_console import i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, language

log = logging.getLogger(__name__)
router = APIRouter(prefix="/phone")
PHONE_ROLES = ("agent", "supervisor", "admin")


class AccountBody(BaseModel):
    extension: str = Field("", max_length=32)


def _refuse(request: Request, code: str, status_code: int, detail: str = "") -> JSONResponse:
    return JSONResponse({"error": code, "message": i18n.translate(code, language(request)), "detail": detail},
                        status_code=status_code)


def choose_extension(asked: str, own: str | None, allowed: list[str]) -> str | None:
    """Return the extension a browser phone registers as: the one asked for, else the user's own."""
    extension = asked or own or ""
    return extension if extension in allowed else None


def relay_url(request: Request, prefix: str) -> str:
    """Return the console's own phone WebSocket URL as the page reached it (ws:// or wss://)."""
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{request.url.netloc}{prefix}/phone/ws"


@router.post("/account")
async def phone_account(request: Request, body: AccountBody,
                        viewer: Viewer = Depends(guarded(*PHONE_ROLES))) -> Response:
    """Return the SIP account (WSS URL, user, password) of an extension's browser phone."""
    console = console_of(request)
    if console.phones is None:
        return _refuse(request, "phone_not_configured", 404)
    extension = choose_extension(body.extension, viewer.extension, console.settings.extensions)
    if extension is None:
        return _refuse(request, "unknown_extension", 422, body.extension or "")
    account: dict[str, Any] | None = await asyncio.to_thread(console.phones.account, extension)
    if account is None:
        return _refuse(request, "unknown_extension", 422, extension)
    log.info("browser phone account of %s given to %s", extension, viewer.username)
    if console.settings.phone_relay:
        account = {**account, "websocket": relay_url(request, console.settings.prefix), "relayed": True}
    return JSONResponse({**account, "extension": extension,
                         "expires": console.settings.phone_register_expires,
                         "display_name": viewer.display_name})
