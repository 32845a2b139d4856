"""Pure decisions next to the state machine: who may act, and caller-number normalisation."""

from __future__ import annotations

import pytest

from ticketing.case.permissions import Actor, may, sees
from ticketing.case.phone import InvalidPhone, normalize_phone


@pytest.mark.parametrize(
    ("role", "action", "status", "allowed"),
    [
        ("agent", "create", "new", True),
        ("bureau", "create", "new", False),
        ("agent", "dispatch", "new", True),
        ("bureau", "dispatch", "returned", False),
        ("bureau", "acknowledge", "dispatched", True),
        ("agent", "acknowledge", "dispatched", False),
        ("bureau", "return", "acknowledged", True),
        ("bureau", "approve-extension", "extension_requested", False),
        ("supervisor", "approve-extension", "extension_requested", True),
        ("agent", "resolve", "new", True),  # direct answer at intake
        ("agent", "resolve", "in_progress", False),
        ("bureau", "resolve", "in_progress", True),
        ("agent", "reopen", "resolved", False),
        ("supervisor", "reopen", "resolved", True),
        ("agent", "callback", "resolved", True),
        ("bureau", "merge", "new", False),
        ("bureau", "note", "acknowledged", True),
        ("admin", "approve-extension", "extension_requested", True),
        ("system", "acknowledge", "dispatched", True),
        ("stranger", "note", "new", False),
    ],
)
def test_may(role, action, status, allowed):
    assert may(role, action, status) is allowed


@pytest.mark.parametrize(
    ("actor", "bureau_id", "dispatched", "visible"),
    [
        (Actor("a", "agent"), None, False, True),
        (Actor("b", "bureau", bureau_id=3), 3, True, True),
        (Actor("b", "bureau", bureau_id=3), 3, False, False),  # routed there but not yet dispatched
        (Actor("b", "bureau", bureau_id=3), 4, True, False),
        (Actor("b", "bureau", bureau_id=None), None, True, False),
    ],
)
def test_sees(actor, bureau_id, dispatched, visible):
    assert sees(actor, bureau_id, dispatched) is visible


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("0755-83212345", "+8675583212345"),
        ("075583212345", "+8675583212345"),
        ("(0755) 8321 2345", "+8675583212345"),
        ("+14155552671", "+14155552671"),
    ],
)
def test_normalize_phone(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "   ", "12345", "abc", "0755-1", "1380013800"])
def test_invalid_phone(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)
