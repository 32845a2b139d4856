"""The case state machine: every status × action, against a table written out by hand."""

from __future__ import annotations

import pytest

from ticketing.case.states import ACTIONS, STATUSES, IllegalTransition, allowed_actions, transition

# Legal moves; every (status, action) pair not listed must be refused.
LEGAL = {
    ("new", "dispatch"): "dispatched",
    ("returned", "dispatch"): "dispatched",
    ("reopened", "dispatch"): "dispatched",
    # re-dispatch (改派) of a case a bureau holds, by the centre
    ("dispatched", "dispatch"): "dispatched",
    ("acknowledged", "dispatch"): "dispatched",
    ("in_progress", "dispatch"): "dispatched",
    ("extension_requested", "dispatch"): "dispatched",
    # street office → community hand-off and back; the status stays
    ("acknowledged", "assign-community"): "acknowledged",
    ("in_progress", "assign-community"): "in_progress",
    ("acknowledged", "recall-community"): "acknowledged",
    ("in_progress", "recall-community"): "in_progress",
    # supervision (督办) while a bureau holds the case, and its written answer
    **{(s, a): s for s in ("dispatched", "acknowledged", "in_progress", "extension_requested")
       for a in ("supervise", "answer-supervision")},
    ("dispatched", "acknowledge"): "acknowledged",
    ("dispatched", "return"): "returned",
    ("acknowledged", "return"): "returned",
    ("acknowledged", "start"): "in_progress",
    ("acknowledged", "request-extension"): "extension_requested",
    ("in_progress", "request-extension"): "extension_requested",
    ("extension_requested", "approve-extension"): "in_progress",
    ("extension_requested", "refuse-extension"): "in_progress",
    ("new", "resolve"): "resolved",
    ("acknowledged", "resolve"): "resolved",
    ("in_progress", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "reopened",
    ("new", "merge"): "merged",
    ("dispatched", "merge"): "merged",
    ("acknowledged", "merge"): "merged",
    ("in_progress", "merge"): "merged",
    ("extension_requested", "merge"): "merged",
    ("returned", "merge"): "merged",
    ("reopened", "merge"): "merged",
    ("in_progress", "pause"): "in_progress",  # for a case whose clock runs; resume is the reverse
    **{(status, "note"): status for status in STATUSES},
}
# While paused: resume is legal instead of pause, everything else as above.
PAUSED_LEGAL = {
    **{k: v for k, v in LEGAL.items() if k[1] != "pause"},
    ("in_progress", "resume"): "in_progress",
}
CALLBACK = {"satisfied": "closed", "unsatisfied": "reopened"}
PAIRS = [(status, action) for status in STATUSES for action in ACTIONS if action != "callback"]


def test_the_table_covers_every_status_and_action():
    assert len(STATUSES) == 10
    assert set(ACTIONS) == {
        "dispatch",
        "acknowledge",
        "return",
        "start",
        "request-extension",
        "approve-extension",
        "refuse-extension",
        "resolve",
        "close",
        "reopen",
        "merge",
        "callback",
        "note",
        "pause",
        "resume",
        "assign-community",
        "recall-community",
        "supervise",
        "answer-supervision",
    }


@pytest.mark.parametrize("paused", [False, True])
@pytest.mark.parametrize(("status", "action"), PAIRS)
def test_transition(status, action, paused):
    expected = (PAUSED_LEGAL if paused else LEGAL).get((status, action))
    if expected is not None:
        assert transition(status, action, paused=paused) == expected
        return
    with pytest.raises(IllegalTransition) as caught:
        transition(status, action, paused=paused)
    assert f"cannot {action} a case that is {status}" in str(caught.value)
    assert (caught.value.status, caught.value.action) == (status, action)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("rating", ["satisfied", "unsatisfied"])
def test_callback(status, rating):
    if status == "resolved":
        assert transition(status, "callback", rating=rating) == CALLBACK[rating]
    else:
        with pytest.raises(IllegalTransition, match=f"cannot callback a case that is {status}"):
            transition(status, "callback", rating=rating)


@pytest.mark.parametrize("rating", [None, "meh"])
def test_callback_needs_a_known_rating(rating):
    with pytest.raises(IllegalTransition, match="rating must be one of"):
        transition("resolved", "callback", rating=rating)


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("new", "explode", "unknown action"),
        ("limbo", "dispatch", "unknown status"),
    ],
)
def test_unknown_names_are_refused(status, action, message):
    with pytest.raises(IllegalTransition, match=message):
        transition(status, action)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("paused", [False, True])
def test_allowed_actions_match_the_table(status, paused):
    table = PAUSED_LEGAL if paused else LEGAL
    expected = {action for (s, action) in table if s == status} | (
        {"callback"} if status == "resolved" else set()
    )
    assert set(allowed_actions(status, paused)) == expected
