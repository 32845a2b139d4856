"""Which cases an actor may open: bureau users only the dispatched cases they lead or assist."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticketing.case import assisting, service
from ticketing.case.errors import CaseNotFound
from ticketing.case.models import Case
from ticketing.case.permissions import Actor, sees


def visible(session: Session, case: Case, actor: Actor) -> bool:
    """Tell whether ACTOR may see CASE."""
    assists = assisting.bureau_ids(session, case.id) if actor.role == "bureau" else ()
    return sees(actor, case.bureau_id, case.dispatched_at is not None, assists)


def require_visible(session: Session, number: str, actor: Actor) -> Case:
    """Return the case NUMBER if ACTOR may see it; CaseNotFound otherwise (no hint that it exists)."""
    case = service.require(session, number)
    if not visible(session, case, actor):
        raise CaseNotFound(number)
    return case
