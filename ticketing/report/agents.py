"""Agents in the reports: calls are recorded by the phone's queue interface (PJSIP/1001, PJSIP/webrtc-1001),
people read them by name; and the quality-review (质检) scores of their calls (issue 13's qa_scores).

An interface is the agent's extension behind the channel technology, with a `webrtc-` prefix for the browser
phone; both belong to the user whose extension it is, so an agent's desk and browser calls make one row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.call.models import Call
from ticketing.qa.models import QaScore
from ticketing.report.periods import Period
from ticketing.user.models import User

QA_COUNTS = ("qa_reviewed", "qa_points", "qa_possible")


def extension_of(interface: str | None) -> str | None:
    """Return the extension behind a queue interface: PJSIP/webrtc-1001 -> 1001 (None stays None)."""
    if not interface:
        return None
    return interface.rsplit("/", 1)[-1].removeprefix("webrtc-")


def users_by_interface(session: Session, interfaces: list[str | None]) -> dict[str | None, str | None]:
    """Return {interface: username} for the interfaces of known agents; unknown ones stay as they are."""
    extensions = {i: extension_of(i) for i in interfaces if i}
    known = dict(session.execute(select(User.extension, User.username)
                                 .where(User.extension.in_(set(extensions.values())))).all()) \
        if extensions else {}
    found: dict[str | None, str | None] = {None: None}
    for interface, extension in extensions.items():
        found[interface] = known.get(extension, interface)
    return found


def by_user(session: Session, counts: dict[Any, dict[str, float]]) -> dict[Any, dict[str, float]]:
    """Return per-interface counts added up per user (desk and browser phone together)."""
    users = users_by_interface(session, list(counts))
    merged: dict[Any, dict[str, float]] = {}
    for interface, row in counts.items():
        target = merged.setdefault(users.get(interface, interface), dict.fromkeys(row, 0.0))
        for name, value in row.items():
            target[name] += value
    return merged


def qa_counts(session: Session, span: Period) -> dict[str | None, dict[str, float]]:
    """Return {username: calls reviewed, points earned, points possible} for the calls started in SPAN."""
    query = (select(QaScore.agent, func.count(func.distinct(QaScore.call_id)), func.sum(QaScore.score),
                    func.sum(QaScore.max_score))
             .join(Call, Call.id == QaScore.call_id)
             .where(Call.started_at >= span.start, Call.started_at < span.end)
             .group_by(QaScore.agent))
    rows = session.execute(query).all()
    users = users_by_interface(session, [agent for agent, *_ in rows])
    found: dict[str | None, dict[str, float]] = defaultdict(lambda: dict.fromkeys(QA_COUNTS, 0.0))
    for agent, reviewed, points, possible in rows:
        row = found[users.get(agent, agent)]
        row["qa_reviewed"] += reviewed
        row["qa_points"] += float(points or 0)
        row["qa_possible"] += float(possible or 0)
    return dict(found)


def qa_rates(counts: dict[str, float]) -> dict[str, Any]:
    """Return the published QA figures of one row: calls reviewed and the share of points earned (%)."""
    possible = counts.get("qa_possible", 0.0)
    return {"qa_reviewed": int(counts.get("qa_reviewed", 0.0)),
            "qa_score_pct": round(100.0 * counts["qa_points"] / possible, 1) if possible else None}


def with_qa(counts: dict[Any, dict[str, float]], qa: dict[Any, dict[str, float]],
            names: tuple[str, ...]) -> dict[Any, dict[str, float]]:
    """Return the rows (counts NAMES) with their QA counts; an agent only reviewed gets a row of its own."""
    merged = {key: {**row, **dict.fromkeys(QA_COUNTS, 0.0)} for key, row in counts.items()}
    for key, row in qa.items():
        merged.setdefault(key, dict.fromkeys((*names, *QA_COUNTS), 0.0)).update(row)
    return merged


def qa_total(rows: list[dict[str, float]]) -> dict[str, float]:
    """Return the QA counts of several rows added up."""
    return {name: sum(row.get(name, 0.0) for row in rows) for name in QA_COUNTS}
