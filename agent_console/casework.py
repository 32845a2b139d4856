"""The case page: what one case shows a viewer (timeline, media, orders) and the actions it offers them.

Each action is a form of a few fields; the form is checked by the case service (ticketing.case.flows),
whose refusals come back as ActionRefused with a code the page translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console import caselists, i18n, phones
from agent_console.auth import Viewer
from agent_console.caselists import name
from agent_console.cases import REFUSAL_CODES, ActionRefused, actor_of, unknown_reference
from ticketing.audit import service as audit
from ticketing.bureau import service as bureaus
from ticketing.bureau.models import Bureau
from ticketing.call.models import Call, CaseCall
from ticketing.callback.models import CallbackTask
from ticketing.case import access, assisting, flows, merging, permissions, privacy, service, states
from ticketing.case.errors import CaseError, UnknownReference
from ticketing.case.models import Case, CaseAttachment
from ticketing.case.reads import clock
from ticketing.case.schemas import ActionPayload
from ticketing.case.states import IllegalTransition
from ticketing.dataset import Dataset
from ticketing.routing import RoutingRequest, describe, route
from ticketing.supervision import orders
from ticketing.supervision.models import CaseNotice
from ticketing.user.models import User

# action -> the form fields it takes (the template draws one input per field)
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "dispatch": ("bureau", "assist", "note"),
    "acknowledge": (),
    "start": (),
    "note": ("note", "public"),
    "request-extension": ("days", "reason"),
    "approve-extension": ("days",),
    "refuse-extension": ("reason",),
    "resolve": ("reply",),
    "return": ("reason",),
    "assign-community": ("community", "note"),
    "recall-community": ("note",),
    "supervise": ("reason",),
    "answer-supervision": ("answer",),
    "pause": ("reason",),
    "resume": (),
    "merge": ("target",),
    "reopen": ("note",),
    "close": ("note",),
}
HIDDEN = {"callback"}  # the callback (回访) has its own desk


@dataclass(frozen=True)
class Form:
    """The fields an action form sent (all text, as browsers send them)."""

    note: str = ""
    reason: str = ""
    reply: str = ""
    answer: str = ""
    days: str = ""
    bureau: str = ""
    assist: tuple[str, ...] = ()
    community: str = ""
    target: str = ""
    public: bool = False


def payload(action: str, form: Form) -> ActionPayload:
    """Turn an action form into the case service's payload."""
    text = form.reason or form.answer or form.note
    days = int(form.days) if form.days.strip().isdigit() else None
    return ActionPayload(
        note=text.strip(), reply=form.reply.strip() or None, days=days, bureau=form.bureau or None,
        assist=list(form.assist) if action == "dispatch" else None, community=form.community or None,
        target=form.target.strip() or None, visibility="public" if form.public else "internal",
    )


def act(session: Session, dataset: Dataset, number: str, action: str, form: Form, viewer: Viewer) -> Case:
    """Apply one action from the case page; ActionRefused (with a code) says why it was not done."""
    if action not in ACTION_FIELDS:
        raise ActionRefused(f"unknown action {action!r}", "unknown_action")
    try:
        return flows.apply_action(session, dataset, number, action, payload(action, form), actor_of(viewer))
    except IllegalTransition as err:
        raise ActionRefused(str(err), "illegal_transition", status=err.status, action=action) from err
    except ValidationError as err:
        raise ActionRefused(str(err), "needs_input", action=action) from err
    except UnknownReference as err:
        raise unknown_reference(err, action) from err
    except CaseError as err:
        raise ActionRefused(str(err), REFUSAL_CODES.get(type(err), "refused"), action=action) from err


def offered(case: Case, viewer: Viewer, leads: bool) -> list[str]:
    """Return the actions this viewer may take on the case now, in the order the page shows them."""
    found = []
    for action in states.allowed_actions(case.status, case.paused_at is not None):
        if action in HIDDEN or action not in ACTION_FIELDS:
            continue
        if not permissions.may(viewer.role, action, case.status):
            continue
        if not leads and action not in permissions.ASSIST_ACTIONS:
            continue
        if action == "recall-community" and case.assigned_community_id is None:
            continue
        if action == "assign-community" and (case.assigned_community_id is not None
                                             or case.bureau is None or case.bureau.kind != "street"):
            continue  # only a street office has communities to pass the case to
        if action == "answer-supervision" and case.supervised_at is None:
            continue  # nothing to answer
        if action == "supervise" and case.supervised_at is not None:
            continue  # one open order at a time
        found.append(action)
    return found


def page(session: Session, dataset: Dataset, number: str, viewer: Viewer, now: datetime, lang: str,
         reveal: bool, merge_days: int) -> dict[str, Any]:
    """Return everything the case page shows; CaseNotFound when the viewer may not see the case."""
    actor = actor_of(viewer)
    case = access.require_visible(session, number, actor)
    leads = permissions.leads(actor, case.bureau_id)
    unmasked = reveal and privacy.may_unmask(viewer.role)
    if unmasked:
        audit.record(session, viewer.username, viewer.role, "unmask", case.number, target="caller",
                     detail="phone and name shown on the case page")
    actions = offered(case, viewer, leads)
    calls, names = _calls(session, case), phones.agent_names(session)
    events, attachments, case_orders = timeline(session, case, lang), _attachments(session, case), \
        orders.orders_of(session, case.id)
    people = {e["actor"] for e in events} | {a.uploaded_by for a in attachments} | \
        {o.ordered_by for o in case_orders} | {o.answered_by for o in case_orders}
    return {
        "case": case, "facts": facts(case, lang, unmasked), "sla": clock(case, dataset, now),
        "actions": actions, "fields": ACTION_FIELDS, "leads": leads,
        "may_unmask": privacy.may_unmask(viewer.role), "unmasked": unmasked,
        "events": events, "who": who(session, people, lang),
        "attachments": attachments, "calls": calls,
        "agent_names": {c.id: phones.agent_words(c.agent or "", names, lang) for c in calls},
        "notices": _notices(session, case), "orders": case_orders,
        "assists": [name(b, lang) for b in assisting.bureaus_of(session, case.id)],
        "bureau_choices": _bureau_choices(session, lang) if "dispatch" in actions else [],
        "proposal": _proposal(session, dataset, case, now, lang) if "dispatch" in actions else None,
        "communities": _communities(session, case, lang) if "assign-community" in actions else [],
        "duplicates": merging.suggestions(session, case, merge_days) if "merge" in actions else [],
        "may_upload": leads and case.status not in states.FINAL_STATUSES,
        "callback": _callback(session, case) if case.status == states.RESOLVED else None,
    }


def _callback(session: Session, case: Case) -> dict[str, Any]:
    """Where the 回访 of a resolved case stands: who acts next and by when (the page's 时限 card says it)."""
    task = session.scalars(select(CallbackTask).where(CallbackTask.case_id == case.id)
                           .order_by(CallbackTask.id.desc()).limit(1)).first()
    if task is None:
        return {"state": "scheduling", "due_at": None, "result": ""}
    return {"state": task.status, "due_at": task.due_at, "result": task.last_result}


def facts(case: Case, lang: str, unmasked: bool) -> dict[str, Any]:
    """Return the case's header facts; the resident's phone and name masked unless UNMASKED."""
    phone, caller = case.caller_phone or "", case.caller_name or ""
    return {
        "caller_phone": phone if unmasked else privacy.mask_phone(phone),
        "caller_name": caller if unmasked else privacy.mask_name(caller),
        "category": name(case.category, lang), "bureau": name(case.bureau, lang),
        "street": name(case.street, lang), "community": name(case.community, lang),
        "assigned_community": name(case.assigned_community, lang) if case.assigned_community_id else "",
        "address": case.address, "channel": case.channel, "priority": case.priority,
    }


# Actors that are not people: the words the trail shows for them.
PROCESS_ACTORS = {"system": "actor_system", "seed": "actor_seed", "ivr": "actor_ivr",
                  "speech": "actor_speech", "survey": "actor_survey"}


def who(session: Session, actors: set[str | None], lang: str) -> dict[str, str]:
    """Return how the page names each actor: a user's display name, a process in words (系统), not a login."""
    logins = {a for a in actors if a and a not in PROCESS_ACTORS}
    query = select(User.username, User.display_name).where(User.username.in_(logins))
    found = dict(session.execute(query).all()) if logins else {}
    named = {a: i18n.translate(key, lang) for a, key in PROCESS_ACTORS.items()}
    for login in logins:
        if login.startswith("open311:"):
            named[login] = f"Open311 · {login.removeprefix('open311:')}"
        else:
            named[login] = found.get(login) or login
    return named


def timeline(session: Session, case: Case, lang: str) -> list[dict[str, Any]]:
    """Return the case's trail for the page: bureau and file names instead of codes and paths."""
    names = {b.code: name(b, lang) for b in session.scalars(select(Bureau))}
    files = {a.id: file_words(a, lang) for a in _attachments(session, case)}
    rows = []
    for event in service.events(session, case, include_internal=True):
        note = event.note
        if event.action == "attach":
            note = files.get(event.data.get("id"), "") if isinstance(event.data.get("id"), int) else ""
        target = names.get(str(event.data.get("bureau") or ""), "") if event.action == "dispatch" else ""
        assist = [names.get(code, code) for code in event.data.get("assist") or []]
        rows.append({"at": event.at, "actor": event.actor, "action": event.action, "note": note,
                     "from_status": event.from_status, "to_status": event.to_status, "target": target,
                     "assist": assist, "days": event.data.get("days"), "visibility": event.visibility,
                     "rating": event.data.get("rating") if event.action == "callback" else None})
    return rows


def file_words(attachment: CaseAttachment, lang: str) -> str:
    """Name an attachment in the trail: its uploader's name for it, else what it is (never a stored path)."""
    if attachment.name:
        return attachment.name
    if attachment.kind == "transcript":
        words = i18n.translate("voice_message_transcript", lang)
        if not attachment.transcript:
            return words
        return f"{words}：{attachment.transcript}" if lang == "zh" else f"{words}: {attachment.transcript}"
    if attachment.kind == "recording" or (attachment.content_type or "").startswith("audio/"):
        return i18n.translate("voice_message", lang)
    return attachment.path.rsplit("/", 1)[-1]


def _attachments(session: Session, case: Case) -> list[CaseAttachment]:
    query = select(CaseAttachment).where(CaseAttachment.case_id == case.id, CaseAttachment.path != "")
    return list(session.scalars(query.order_by(CaseAttachment.id)))


def _calls(session: Session, case: Case) -> list[Call]:
    query = select(Call).join(CaseCall, CaseCall.call_id == Call.id).where(CaseCall.case_id == case.id)
    return list(session.scalars(query.order_by(Call.started_at)))


def _notices(session: Session, case: Case) -> list[CaseNotice]:
    query = select(CaseNotice).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id.desc())
    return list(session.scalars(query.limit(20)))


def _bureau_choices(session: Session, lang: str) -> list[tuple[str, str, str]]:
    found = session.scalars(select(Bureau).where(Bureau.active.is_(True), Bureau.kind != "centre")
                            .order_by(Bureau.kind, Bureau.code))
    return [(b.code, name(b, lang), b.kind) for b in found]


def _communities(session: Session, case: Case, lang: str) -> list[tuple[str, str]]:
    return [(c.code, name(c, lang)) for c in bureaus.street_communities(session, case.bureau_id)]


def _proposal(session: Session, dataset: Dataset, case: Case, now: datetime,
              lang: str) -> dict[str, str] | None:
    """Ask the routing engine again, from the words alone, where the case would go and why.

    A returned case (退回) is never proposed to the bureau that returned it: the next rule that holds
    decides, and the proposal says which bureau returned it and why; when no rule names another bureau,
    none is preselected and the desk chooses.
    """
    street = case.street.code if case.street else None
    avoid = caselists.returned_by(case)
    reasons = caselists.return_reasons(session, [case.id]) if avoid else {}
    returned = {"returned_by": name(case.bureau, lang), "return_reason": reasons.get(case.id, "")} \
        if avoid else {}
    try:
        decision = route(dataset, RoutingRequest(text=case.description, category=None, street=street, at=now,
                                                 avoid=avoid))
    except Exception:  # routing data may have changed since intake; the desk still dispatches by hand
        return {"bureau": "", **returned} if avoid else None
    bureau = dataset.bureaus.get(decision.bureau)
    explanation = describe(dataset, decision.reason, lang) if decision.reason else decision.explanation
    return {"bureau": decision.bureau, "bureau_name": name(bureau, lang) or decision.bureau,
            "explanation": explanation,
            "confidence": f"{decision.confidence:.0%}", **returned}
