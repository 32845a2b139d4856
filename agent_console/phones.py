"""Agents' phones in words: PJSIP/1001 and PJSIP/webrtc-1001 are "分机 1001", or the agent's name.

Interfaces and channel names are Asterisk's business; screens, the audit trail and case pages show who.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console import i18n
from ticketing.user.models import User

_EXTENSION = re.compile(r"^[A-Za-z]+/(?:webrtc-)?([0-9]+)(?:-[0-9a-f]+)?$")


def extension_of(interface: str) -> str:
    """Return the extension of an agent's interface or channel ("PJSIP/webrtc-1001-0000a1" -> "1001")."""
    found = _EXTENSION.match((interface or "").strip())
    return found.group(1) if found else ""


def extension_words(interface: str, language: str = "zh") -> str:
    """Say an interface as "分机 1001" ("Extension 1001"); "" for one that is no agent's phone."""
    extension = extension_of(interface)
    return f"{i18n.translate('extension', language)} {extension}" if extension else ""


def agent_names(session: Session) -> dict[str, str]:
    """Return the agents' names by extension (1001 -> 话务员 李娜)."""
    rows = session.execute(select(User.extension, User.display_name, User.username)
                           .where(User.extension.is_not(None))).all()
    return {ext: name or username for ext, name, username in rows}


def agent_words(interface: str, names: dict[str, str], language: str = "zh") -> str:
    """Say who answered on an interface: "话务员 李娜（分机 1001）", "分机 1001", or "" when unknown."""
    extension, words = extension_of(interface), extension_words(interface, language)
    name = names.get(extension, "")
    if name and words:
        return f"{name}（{words}）" if language != "en" else f"{name} ({words})"
    return words
