"""Keep the caller list: mark, end, look up. Functions flush only; callers commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.caller.models import KINDS, CallerFlag
from ticketing.caller.schemas import FlagCreate
from ticketing.case.phone import InvalidPhone, normalize_phone

MAX_DAYS = 366  # a marking lapses within a year; mark again to keep it


class FlagRefused(ValueError):
    """A marking that cannot be kept: expiry in the past or too far ahead, unknown kind."""


class FlagNotFound(LookupError):
    """No marking with that id."""


class FlagEnded(ValueError):
    """The marking has already ended or lapsed."""


def active(session: Session, phone: str, now: datetime) -> CallerFlag | None:
    """Return the marking holding for a number (any common form) at NOW, None for unmarked or unreadable."""
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone:
        return None
    query = (select(CallerFlag).where(CallerFlag.phone == e164, CallerFlag.ended_at.is_(None),
                                      CallerFlag.expires_at > now)
             .order_by(CallerFlag.created_at.desc(), CallerFlag.id.desc()).limit(1))
    return session.scalars(query).first()


def get_all(session: Session, now: datetime, *, with_ended: bool = False,
            limit: int = 200) -> list[CallerFlag]:
    """Return the markings in force (and, when asked, the ended and lapsed ones), newest first."""
    query = select(CallerFlag)
    if not with_ended:
        query = query.where(CallerFlag.ended_at.is_(None), CallerFlag.expires_at > now)
    return list(session.scalars(query.order_by(CallerFlag.id.desc()).limit(limit)))


def history(session: Session, phone: str) -> list[CallerFlag]:
    """Return every marking of a number, newest first (InvalidPhone for an unreadable one)."""
    e164 = normalize_phone(phone)
    return list(session.scalars(select(CallerFlag).where(CallerFlag.phone == e164)
                                .order_by(CallerFlag.id.desc())))


def mark(session: Session, data: FlagCreate, by: str, now: datetime) -> CallerFlag:
    """Mark a number; a marking already in force for it ends ("replaced") so one row holds at a time."""
    if data.kind not in KINDS:
        raise FlagRefused(f"unknown kind {data.kind!r}: use one of {', '.join(KINDS)}")
    if data.expires_at <= now:
        raise FlagRefused("the expiry is in the past")
    if data.expires_at > now + timedelta(days=MAX_DAYS):
        raise FlagRefused(f"the expiry is more than {MAX_DAYS} days ahead")
    phone = normalize_phone(data.phone)
    previous = active(session, phone, now)
    if previous is not None:
        _end(previous, by, "replaced", now)
    flag = CallerFlag(phone=phone, kind=data.kind, reason=data.reason.strip(), expires_at=data.expires_at,
                      created_by=by, created_at=now)
    session.add(flag)
    session.flush()
    return flag


def end(session: Session, flag_id: int, by: str, note: str, now: datetime) -> CallerFlag:
    """End a marking in force, saying why."""
    flag = session.get(CallerFlag, flag_id, with_for_update=True)
    if flag is None:
        raise FlagNotFound(f"no caller marking {flag_id}")
    if not flag.holds(now):
        raise FlagEnded(f"caller marking {flag_id} has already ended")
    _end(flag, by, note.strip(), now)
    session.flush()
    return flag


def _end(flag: CallerFlag, by: str, note: str, now: datetime) -> None:
    flag.ended_at, flag.ended_by, flag.end_note = now, by, note[:200]
