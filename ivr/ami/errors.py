"""Our own AMI errors: what callers of the bridge catch instead of panoramisk's or asyncio's."""

from __future__ import annotations


class AmiError(RuntimeError):
    """An AMI action failed; `action` names it, the message says why (in Asterisk's words if any)."""

    def __init__(self, message: str, *, action: str = "") -> None:
        super().__init__(message)
        self.action = action


class AmiTimeout(AmiError):
    """No response to an action in time (the connection may be half-dead)."""


class AmiNotConnected(AmiError):
    """The bridge is not connected and logged in to Asterisk right now."""


class AmiAuthError(AmiError):
    """Asterisk refused the bridge's user name or secret."""
