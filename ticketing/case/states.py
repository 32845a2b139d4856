"""The case lifecycle as a pure function: (status, action) -> next status, or IllegalTransition."""

from __future__ import annotations

NEW = "new"
DISPATCHED = "dispatched"
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "in_progress"
EXTENSION_REQUESTED = "extension_requested"
RETURNED = "returned"
RESOLVED = "resolved"
REOPENED = "reopened"
CLOSED = "closed"
MERGED = "merged"

STATUSES = (
    NEW,
    DISPATCHED,
    ACKNOWLEDGED,
    IN_PROGRESS,
    EXTENSION_REQUESTED,
    RETURNED,
    RESOLVED,
    REOPENED,
    CLOSED,
    MERGED,
)
OPEN_STATUSES = frozenset(
    {NEW, DISPATCHED, ACKNOWLEDGED, IN_PROGRESS, EXTENSION_REQUESTED, RETURNED, REOPENED}
)
FINAL_STATUSES = frozenset({CLOSED, MERGED})
RATINGS = ("satisfied", "mostly_satisfied", "unsatisfied")  # 满意 / 基本满意 / 不满意

# A bureau holds the case (dispatched to it, not yet resolved or returned): a re-dispatch moves it elsewhere.
HELD_STATUSES = frozenset({DISPATCHED, ACKNOWLEDGED, IN_PROGRESS, EXTENSION_REQUESTED})

# action -> {from status: to status}; "note" and "callback" are handled apart.
TRANSITIONS: dict[str, dict[str, str]] = {
    # Re-dispatch (改派) of a case a bureau holds is the centre's: to another bureau, with a fresh clock.
    "dispatch": {
        NEW: DISPATCHED,
        RETURNED: DISPATCHED,
        REOPENED: DISPATCHED,
        DISPATCHED: DISPATCHED,
        ACKNOWLEDGED: DISPATCHED,
        IN_PROGRESS: DISPATCHED,
        EXTENSION_REQUESTED: DISPATCHED,
    },
    "acknowledge": {DISPATCHED: ACKNOWLEDGED},
    "return": {DISPATCHED: RETURNED, ACKNOWLEDGED: RETURNED},
    "start": {ACKNOWLEDGED: IN_PROGRESS},
    "request-extension": {ACKNOWLEDGED: EXTENSION_REQUESTED, IN_PROGRESS: EXTENSION_REQUESTED},
    "approve-extension": {EXTENSION_REQUESTED: IN_PROGRESS},
    "refuse-extension": {EXTENSION_REQUESTED: IN_PROGRESS},
    # new -> resolved is the centre answering directly from the knowledge base (直接办结).
    "resolve": {NEW: RESOLVED, ACKNOWLEDGED: RESOLVED, IN_PROGRESS: RESOLVED},
    "close": {RESOLVED: CLOSED},
    "reopen": {RESOLVED: REOPENED},
    "merge": {status: MERGED for status in OPEN_STATUSES},
    # Waiting for the resident (补充材料): the resolve clock stops; the status stays in_progress.
    "pause": {IN_PROGRESS: IN_PROGRESS},
    "resume": {IN_PROGRESS: IN_PROGRESS},
    # A street office passes the case to a community (社区) under it, and takes it back; status stays.
    "assign-community": {ACKNOWLEDGED: ACKNOWLEDGED, IN_PROGRESS: IN_PROGRESS},
    "recall-community": {ACKNOWLEDGED: ACKNOWLEDGED, IN_PROGRESS: IN_PROGRESS},
    # Supervision (督办): the centre orders it with a 督办单; the bureau answers it in writing.
    "supervise": {s: s for s in (DISPATCHED, ACKNOWLEDGED, IN_PROGRESS, EXTENSION_REQUESTED)},
    "answer-supervision": {s: s for s in (DISPATCHED, ACKNOWLEDGED, IN_PROGRESS, EXTENSION_REQUESTED)},
}
CALLBACK_OUTCOME = {"satisfied": CLOSED, "mostly_satisfied": CLOSED, "unsatisfied": REOPENED}
ACTIONS = (*TRANSITIONS, "callback", "note")


class IllegalTransition(Exception):
    """The action is not allowed in the case's current status."""

    def __init__(self, status: str, action: str, detail: str = "") -> None:
        self.status = status
        self.action = action
        message = f"cannot {action} a case that is {status}"
        super().__init__(f"{message}: {detail}" if detail else message)


def transition(status: str, action: str, *, rating: str | None = None, paused: bool = False) -> str:
    """Return the status a case moves to when `action` is applied in `status` (`paused`: clock stopped)."""
    if status not in STATUSES:
        raise IllegalTransition(status, action, "unknown status")
    if action == "note":
        return status
    if action == "callback":
        return _callback(status, rating)
    if action == "pause" and paused:
        raise IllegalTransition(status, action, "it is already paused")
    if action == "resume" and not paused:
        raise IllegalTransition(status, action, "it is not paused")
    targets = TRANSITIONS.get(action)
    if targets is None:
        raise IllegalTransition(status, action, f"unknown action (known: {', '.join(ACTIONS)})")
    if status not in targets:
        allowed = ", ".join(sorted(targets))
        raise IllegalTransition(status, action, f"allowed only when {allowed}")
    return targets[status]


def _callback(status: str, rating: str | None) -> str:
    if status != RESOLVED:
        raise IllegalTransition(status, "callback", "allowed only when resolved")
    if rating not in CALLBACK_OUTCOME:
        raise IllegalTransition(status, "callback", f"rating must be one of {', '.join(RATINGS)}")
    return CALLBACK_OUTCOME[rating]


def allowed_actions(status: str, paused: bool = False) -> list[str]:
    """Actions that are legal in `status` (for clients that show buttons)."""
    actions = [action for action, targets in TRANSITIONS.items() if status in targets]
    actions = [a for a in actions if a != ("resume" if not paused else "pause")]
    if status == RESOLVED:
        actions.append("callback")
    return [*actions, "note"]
