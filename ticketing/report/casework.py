"""Casework figures that live outside the case row: returns and extensions by the bureau that made them,
催办 notices and 督办 orders (the bureau workflow's tables, issue 9).

A case returned (退回) by bureau A and re-dispatched to bureau B now has B in `cases.bureau_id`; counted by
the case row, B would carry A's return. So returns and granted extensions are read from the audit trail and
charged to the bureau that held the case then, which the event names (data "bureau"; entries written
before events did are matched to the case's last `dispatch` before them). A bureau that returned a case
now elsewhere also counts it as dispatched to it, so its returned % is over the cases it was sent. 催办
notices and 督办单 carry the bureau they were raised against. Every count here is over the cases received
in the period, like the main figures. The rows read are few (a partial index holds the returns and
extensions; notices and orders are a few percent of the cases).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from ticketing.bureau.models import Bureau
from ticketing.case.models import Case, CaseEvent
from ticketing.report.periods import Period
from ticketing.supervision.models import CaseNotice, SupervisionOrder

CASEWORK_COUNTS = ("returned", "extended", "urged", "supervised")
EVENT_FIGURES = {"return": "returned", "approve-extension": "extended"}


def _in_span(span: Period):
    return and_(Case.created_at >= span.start, Case.created_at < span.end, Case.merged_into_id.is_(None))


def _group(dimension: str):
    """Return (the group column of a case, the create event to join for agents or None)."""
    if dimension == "agent":
        creator = aliased(CaseEvent, name="creator")
        return creator.actor, creator
    return {"bureau": Case.bureau_id, "street": Case.street_id, "category": Case.category_id}[dimension], None


def _joined(query, creator):
    if creator is None:
        return query
    return query.join(creator, and_(creator.case_id == Case.id, creator.action == "create"))


def casework_counts(session: Session, span: Period, dimension: str) -> dict[Any, dict[str, float]]:
    """Return {group: {returned, extended, urged, supervised, dispatched_elsewhere}} for SPAN's cases.

    dispatched_elsewhere (bureau grouping only): cases the bureau returned that are no longer with it.
    """
    return {key: row for (key, _month), row in _counts(session, span, dimension, None).items()}


def monthly_totals(session: Session, months: list[Period], dimension: str) -> list[dict[str, float]]:
    """Return each month's casework counts added up over its groups: the total line of its table.

    One pass over the months' cases, each case put in the month it was received (a CASE over the month
    boundaries), so the 12-month trend shows 退回, 延期, 催办 and 督办 the way each month's own report does.
    """
    window = Period(months[0].first, months[-1].last, months[0].tz)
    counts = _counts(session, window, dimension, months)
    result = [dict.fromkeys(NAMES, 0.0) for _ in months]
    for (_key, month), row in counts.items():
        for name in NAMES:
            result[month][name] += row[name]
    return result


NAMES = (*CASEWORK_COUNTS, "dispatched_elsewhere")


def _counts(session: Session, span: Period, dimension: str, months: list[Period] | None) -> dict:
    """Return {(group, month index or None): counts}: per group, and per month of receipt when MONTHS."""
    found: dict[Any, dict[str, float]] = defaultdict(lambda: dict.fromkeys(NAMES, 0.0))
    month = _month_of(months)
    _event_counts(session, span, dimension, month, found)
    _notice_counts(session, span, dimension, month, found)
    return dict(found)


def _month_of(months: list[Period] | None):
    """Return the SQL index of the month a case was received in (among MONTHS), or a constant NULL."""
    if not months:
        return literal(None).label("month")
    return case(*((Case.created_at < m.end, index) for index, m in enumerate(months[:-1])),
                else_=len(months) - 1).label("month")


def _event_counts(session: Session, span: Period, dimension: str, month, found) -> None:
    """Count returns and extensions once per case and group (in SQL: only the counts come back)."""
    group, creator = _group(dimension)
    event = aliased(CaseEvent, name="ev")
    holder = event.data["bureau"].as_string()
    cases = func.count(func.distinct(event.case_id)).label("n")
    dispatched = Case.dispatched_at.is_not(None)
    keys = [event.action, group, month]
    if dimension == "bureau":
        keys = [event.action, holder, Case.bureau_id, dispatched, month]
    query = (select(*keys, cases).select_from(event).join(Case, Case.id == event.case_id)
             .where(event.action.in_(tuple(EVENT_FIGURES)), _in_span(span)).group_by(*keys))
    if dimension != "bureau":
        for action, key, at, n in session.execute(_joined(query, creator)):
            found[(key, at)][EVENT_FIGURES[action]] += n
        return
    # By bureau: charged to the bureau the event names; a case now elsewhere counts as dispatched to it too.
    rows = session.execute(query.where(holder.is_not(None))).all()
    codes = _bureau_ids(session, {code for _action, code, *_rest in rows})
    for action, code, bureau_id, is_dispatched, at, n in rows:
        key = (codes.get(code, bureau_id), at)
        found[key][EVENT_FIGURES[action]] += n
        if action == "return" and (key[0] != bureau_id or not is_dispatched):
            found[key]["dispatched_elsewhere"] += n
    _unnamed_counts(session, span, month, found)


def _unnamed_counts(session: Session, span: Period, month, found) -> None:
    """Entries written before events named the bureau: the case's last dispatch before them held it."""
    event = aliased(CaseEvent, name="ev")
    query = (select(event.id, event.case_id, event.action, Case.bureau_id, Case.dispatched_at.is_not(None),
                    month)
             .select_from(event).join(Case, Case.id == event.case_id)
             .where(event.action.in_(tuple(EVENT_FIGURES)), _in_span(span),
                    event.data["bureau"].as_string().is_(None)))
    rows = session.execute(query).all()
    if not rows:
        return
    holders = _holders(session, {case_id for _id, case_id, *_rest in rows})
    codes = _bureau_ids(session, {code for dispatches in holders.values() for _, code in dispatches if code})
    seen: set[tuple] = set()
    for event_id, case_id, action, bureau_id, is_dispatched, at in rows:
        earlier = (code for dispatch_id, code in holders.get(case_id, ()) if dispatch_id < event_id)
        key = codes.get(next(earlier, None), bureau_id)  # no dispatch event at all: the case's bureau
        figure = EVENT_FIGURES[action]
        if (case_id, figure, key) in seen:
            continue
        seen.add((case_id, figure, key))
        found[(key, at)][figure] += 1
        if figure == "returned" and (key != bureau_id or not is_dispatched) and (case_id, key) not in seen:
            seen.add((case_id, key))
            found[(key, at)]["dispatched_elsewhere"] += 1


def _holders(session: Session, case_ids: set[int], chunk: int = 5000) -> dict[int, list[tuple[int, str]]]:
    """Return {case id: [(dispatch event id, bureau code)], latest first} of the cases' dispatches.

    Read by case id (indexed), a chunk at a time; the latest dispatch before an event held the case.
    """
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    ordered = sorted(case_ids)
    for start in range(0, len(ordered), chunk):
        query = (select(CaseEvent.case_id, CaseEvent.id, CaseEvent.data["bureau"].as_string())
                 .where(CaseEvent.case_id.in_(ordered[start:start + chunk]), CaseEvent.action == "dispatch"))
        for case_id, event_id, code in session.execute(query):
            found[case_id].append((event_id, code))
    for dispatches in found.values():
        dispatches.sort(reverse=True)
    return found


def _bureau_ids(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    query = select(Bureau.code, Bureau.id).where(Bureau.code.in_(codes))
    return {code: id_ for code, id_ in session.execute(query)}


def _notice_counts(session: Session, span: Period, dimension: str, month, found) -> None:
    """催办 notices (each one counts) and cases put under 督办 (once per case)."""
    for table, figure, counted in ((CaseNotice, "urged", func.count()),
                                   (SupervisionOrder, "supervised", func.count(func.distinct(Case.id)))):
        group, creator = _group(dimension)
        key = table.bureau_id if dimension == "bureau" else group
        query = (select(key.label("group_key"), month, counted.label("n"))
                 .select_from(table).join(Case, Case.id == table.case_id).where(_in_span(span)))
        if table is CaseNotice:
            query = query.where(CaseNotice.kind == "urge")
        for row in session.execute(_joined(query, creator).group_by(key, month)):
            found[(row.group_key, row.month)][figure] += float(row.n)
