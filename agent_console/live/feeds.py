"""Messages the console builds from the database for live pages: caller history, wallboard, deadlines."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agent_console import callers
from agent_console import wallboard as wb
from ticketing.call.models import Call, CaseCall
from ticketing.caller import service as caller_list
from ticketing.case import service as cases_service
from ticketing.case.models import Case, CaseAttachment
from ticketing.case.phone import InvalidPhone
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

if TYPE_CHECKING:
    from agent_console.app import Console

log = logging.getLogger(__name__)


def caller_history(console: Console, caller: str) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    """Return the caller's earlier cases (open ones first) and the repeat-caller flag (None: not one)."""
    if not caller:
        return [], None
    with session_scope(console.session_factory) as session:
        try:
            history = cases_service.caller_history(session, caller)
        except InvalidPhone:
            return [], None
        settings = console.settings
        repeat = callers.repeat_caller((call.started_at for call in history.calls), utcnow(),
                                       settings.repeat_caller_days, settings.repeat_caller_calls)
        cases = callers.open_first([case.model_dump(mode="json") for case in history.cases])
        media = case_media(session, [case["number"] for case in cases], settings.prefix, console.timezone)
        for case in cases:
            case["media"] = media.get(case["number"], [])
        return cases, repeat


def case_media(session, numbers: list[str], prefix: str, tz) -> dict[str, list[dict[str, Any]]]:
    """Return the playable media of cases by number: call recordings and voice messages (after hours).

    Only addresses: the case media endpoints check who may hear them (role, bureau), answer range
    requests and audit each play.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    if not numbers:
        return found
    local = lambda moment: moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""  # noqa: E731
    calls = session.execute(
        select(Case.number, Call.id, Call.started_at).join(CaseCall, CaseCall.case_id == Case.id)
        .join(Call, Call.id == CaseCall.call_id)
        .where(Case.number.in_(numbers), Call.recording.is_not(None), Call.recording != "")
        .order_by(Call.started_at))
    for number, call_id, started in calls:
        found.setdefault(number, []).append({"kind": "call", "at": local(started),
                                             "url": f"{prefix}/cases/{number}/calls/{call_id}/recording"})
    messages = session.execute(
        select(Case.number, CaseAttachment.id, CaseAttachment.created_at)
        .join(Case, Case.id == CaseAttachment.case_id)
        .where(Case.number.in_(numbers), CaseAttachment.kind == "recording", CaseAttachment.path != "")
        .order_by(CaseAttachment.id))
    for number, attachment_id, created in messages:
        found.setdefault(number, []).append({"kind": "message", "at": local(created),
                                             "url": f"{prefix}/cases/{number}/attachments/{attachment_id}"})
    return found


def caller_flag(console: Console, caller: str) -> dict[str, Any] | None:
    """Return the caller-list marking of the number in force now (kind, reason, until), None: unmarked."""
    if not caller:
        return None
    with session_scope(console.session_factory) as session:
        flag = caller_list.active(session, caller, utcnow())
        if flag is None:
            return None
        until = flag.expires_at.astimezone(console.timezone).strftime("%Y-%m-%d %H:%M")
        return {"kind": flag.kind, "reason": flag.reason, "until": until}


async def send_history(console: Console, user_id: int, pop: dict[str, Any]) -> None:
    """Follow a screen pop with the caller's earlier cases, whether they call again and again, and whether
    a supervisor marked the number (abusive, prank) and why."""
    caller = pop["call"].get("caller", "")
    history, repeat = await asyncio.to_thread(caller_history, console, caller)
    flag = await asyncio.to_thread(caller_flag, console, caller)
    console.hub.send_user(user_id, {"type": "history", "linkedid": pop["linkedid"], "caller": caller,
                                    "cases": history, "repeat": repeat, "flag": flag})


async def push_wallboard(console: Console) -> None:
    """Send the wallboard figures to every wallboard tab of this process."""
    if console.hub.has_page("wallboard"):
        snapshot = console.hub.wallboard_snapshot(console.settings.service_level_seconds)
        console.hub.broadcast("wallboard", {"type": "wallboard", **snapshot})


def today_call_records(console: Console, now: datetime) -> list[wb.CallRecord]:
    """Read the calls queued since local midnight from the call records (to rebuild the wallboard)."""
    midnight = now.astimezone(console.timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(Call).where(Call.queued_at >= midnight, Call.queue.is_not(None))
    with session_scope(console.session_factory) as session:
        return [wb.CallRecord(linkedid=call.linkedid, queue=call.queue or "", queued_at=call.queued_at,
                              answered=call.answered_at is not None, ended=call.status == "ended",
                              wait_seconds=call.wait_seconds, server=call.server or "")
                for call in session.scalars(query)]


async def restore_wallboard(console: Console) -> int:
    """Rebuild today's per-queue figures from the call records; return how many calls were read."""
    now = utcnow()
    records = await asyncio.to_thread(today_call_records, console, now)
    wb.restore(console.hub.board, records, now)
    return len(records)


def deadline_rows(console: Console) -> list[dict[str, Any]]:
    """Return the cases near or past their deadline as plain data."""
    from agent_console.cases import deadline_cases

    with session_scope(console.session_factory) as session:
        rows = deadline_cases(session, console.dataset, utcnow())
        return [{**row, "created_at": row["created_at"].isoformat()} for row in rows]


def notice_rows(console: Console) -> list[dict[str, Any]]:
    """Return the latest deadline notices (临期提醒, 超期, 催办, 督办) of every bureau as plain data."""
    from ticketing.supervision import notices

    with session_scope(console.session_factory) as session:
        return [{"number": n.number, "kind": n.kind, "stage": n.stage, "bureau": n.bureau_zh,
                 "bureau_en": n.bureau_en, "due": n.due.astimezone(console.timezone).isoformat(),
                 "at": n.at.astimezone(console.timezone).isoformat()} for n in notices.recent(session)]


async def push_deadlines(console: Console) -> None:
    """Send the near/overdue case list and the latest notices to every wallboard tab of this process."""
    if console.hub.has_page("wallboard"):
        rows = await asyncio.to_thread(deadline_rows, console)
        recent = await asyncio.to_thread(notice_rows, console)
        console.hub.broadcast("wallboard", {"type": "deadlines", "cases": rows, "notices": recent})
