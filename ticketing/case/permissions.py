"""Who may do what to a case: a pure table of roles per action, plus the actor doing it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ticketing.case import states

SYSTEM = "system"  # the IVR, bus consumers and CLI: trusted callers inside the process
CENTRE = ("agent", "supervisor", "admin", "dispatcher")
SUPERVISION = ("supervisor", "admin")
BUREAU_WORK = ("bureau", "supervisor", "admin")

ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "create": CENTRE,
    "dispatch": CENTRE,
    "acknowledge": BUREAU_WORK,
    "return": BUREAU_WORK,
    "start": BUREAU_WORK,
    "request-extension": BUREAU_WORK,
    "pause": BUREAU_WORK,
    "resume": BUREAU_WORK,
    "approve-extension": SUPERVISION,
    "refuse-extension": SUPERVISION,
    "resolve": ("bureau", "agent", "supervisor", "admin"),
    "close": CENTRE,
    "callback": CENTRE,
    "reopen": SUPERVISION,
    "merge": CENTRE,
    "note": ("agent", "supervisor", "admin", "bureau", "dispatcher"),
    "assign-community": BUREAU_WORK,
    "recall-community": BUREAU_WORK,
    "supervise": SUPERVISION,
    "answer-supervision": BUREAU_WORK,
}
# What an assisting bureau (协办) may do on a case another bureau leads.
ASSIST_ACTIONS = frozenset({"note"})


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a user's name, role and (for bureau users) bureau."""

    name: str
    role: str = SYSTEM
    bureau_id: int | None = None

    @classmethod
    def of(cls, user) -> Actor:
        """Build the actor of a logged-in user."""
        return cls(name=user.username, role=user.role, bureau_id=user.bureau_id)


def as_actor(actor: Actor | str) -> Actor:
    """Accept a plain name (a trusted system caller) or an Actor."""
    return actor if isinstance(actor, Actor) else Actor(name=actor)


def may(role: str, action: str, status: str) -> bool:
    """Tell whether `role` may perform `action` on a case in `status`."""
    if role == SYSTEM:
        return True
    if role not in ACTION_ROLES.get(action, ()):
        return False
    if role == "agent" and action == "resolve":
        return status == states.NEW  # agents only answer directly at intake (直接办结)
    return True


def refusal(role: str, action: str) -> str:
    """Explain why `role` may not perform `action`."""
    allowed = ACTION_ROLES.get(action, ())
    return f"role {role!r} may not {action} this case (allowed: {', '.join(allowed) or 'nobody'})"


def sees(actor: Actor, bureau_id: int | None, dispatched: bool, assists: Collection[int] = ()) -> bool:
    """Tell whether the actor may see a case: bureau users only dispatched cases they lead or assist."""
    if actor.role != "bureau":
        return True
    if not dispatched or actor.bureau_id is None:
        return False
    return bureau_id == actor.bureau_id or actor.bureau_id in assists


def leads(actor: Actor, bureau_id: int | None) -> bool:
    """Tell whether the actor acts as the leading bureau (主办) of a case, or is not a bureau user at all."""
    return actor.role != "bureau" or (bureau_id is not None and bureau_id == actor.bureau_id)
