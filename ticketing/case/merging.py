"""Duplicates (合并): suggestions of cases that look like the same matter, and the guard against cycles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ticketing.case import states
from ticketing.case.models import Case

MAX_CHAIN = 100
MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class Suggestion:
    """A case that may be a duplicate, and why: same caller, same address, same category nearby."""

    number: str
    status: str
    description: str
    created_at: object
    reasons: tuple[str, ...]


def chain(session: Session, case: Case) -> list[int]:
    """Return the ids from CASE along its merged-into links (the case itself first)."""
    ids, current = [case.id], case.merged_into_id
    while current is not None and current not in ids and len(ids) < MAX_CHAIN:
        ids.append(current)
        current = session.scalar(select(Case.merged_into_id).where(Case.id == current))
    if current is not None:
        ids.append(current)  # the loop stopped on a repeat: keep it so the cycle shows
    return ids


def would_cycle(target_chain: Sequence[int], source_id: int) -> bool:
    """Tell whether merging SOURCE into the first case of TARGET_CHAIN would close a loop."""
    return source_id in target_chain or len(set(target_chain)) != len(target_chain)


def reasons(case: Case, other: Case) -> tuple[str, ...]:
    """Return why OTHER looks like a duplicate of CASE (empty: it does not)."""
    found = []
    if case.caller_phone and case.caller_phone == other.caller_phone:
        found.append("same_caller")
    if case.address and case.address.strip() == (other.address or "").strip():
        found.append("same_address")
    nearby = case.street_id is not None and case.street_id == other.street_id
    if case.category_id is not None and case.category_id == other.category_id and nearby:
        found.append("same_category_nearby")
    return tuple(found)


def suggestions(session: Session, case: Case, days: int) -> list[Suggestion]:
    """Return cases within DAYS of CASE that share its caller, its address, or its category and street."""
    window = timedelta(days=days)
    alike = [Case.caller_phone == case.caller_phone] if case.caller_phone else []
    if case.address:
        alike.append(Case.address == case.address)
    if case.category_id is not None and case.street_id is not None:
        alike.append(and_(Case.category_id == case.category_id, Case.street_id == case.street_id))
    if not alike:
        return []
    query = select(Case).where(
        Case.id != case.id,
        Case.status != states.MERGED,
        Case.created_at >= case.created_at - window,
        Case.created_at <= case.created_at + window,
        or_(*alike),
    )
    found = session.scalars(query.order_by(Case.created_at.desc()).limit(MAX_SUGGESTIONS)).unique()
    return [Suggestion(c.number, c.status, c.description, c.created_at, reasons(case, c)) for c in found]
