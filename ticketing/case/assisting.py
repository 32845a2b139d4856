"""Assisting bureaus (协办) of a case: the lead bureau (主办) handles it, assisting ones add their part."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau
from ticketing.case.errors import InvalidAction, UnknownReference
from ticketing.case.models import Case, CaseAssist

MAX_ASSISTS = 10


def replace(session: Session, case: Case, codes: list[str], actor: str, now: datetime) -> list[str]:
    """Make CODES the case's assisting bureaus (the lead bureau is left out); return the codes kept."""
    wanted = list(dict.fromkeys(code for code in codes if code))
    if len(wanted) > MAX_ASSISTS:
        raise InvalidAction(f"at most {MAX_ASSISTS} assisting bureaus")
    found = {b.code: b for b in session.scalars(select(Bureau).where(Bureau.code.in_(wanted)))}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise UnknownReference("bureau", missing[0])
    if any(found[code].kind == "centre" for code in wanted):
        raise InvalidAction("the centre's triage desk cannot assist a case")
    session.execute(delete(CaseAssist).where(CaseAssist.case_id == case.id))
    kept = [code for code in wanted if found[code].id != case.bureau_id]
    for code in kept:
        session.add(CaseAssist(case_id=case.id, bureau_id=found[code].id, added_at=now, added_by=actor))
    return kept


def bureau_ids(session: Session, case_id: int) -> list[int]:
    """Return the ids of the case's assisting bureaus."""
    return list(session.scalars(select(CaseAssist.bureau_id).where(CaseAssist.case_id == case_id)))


def bureaus_of(session: Session, case_id: int) -> list[Bureau]:
    """Return the case's assisting bureaus, by code."""
    query = select(Bureau).join(CaseAssist, CaseAssist.bureau_id == Bureau.id)
    return list(session.scalars(query.where(CaseAssist.case_id == case_id).order_by(Bureau.code)))
