"""Agents' phones in words (no PJSIP/webrtc-1001 on a screen): a pure table."""

from __future__ import annotations

import pytest

from agent_console.phones import agent_words, extension_of, extension_words

NAMES = {"1001": "话务员 李娜"}


@pytest.mark.parametrize(("interface", "extension", "zh", "en", "who"), [
    ("PJSIP/1001", "1001", "分机 1001", "Extension 1001", "话务员 李娜（分机 1001）"),
    ("PJSIP/webrtc-1001", "1001", "分机 1001", "Extension 1001", "话务员 李娜（分机 1001）"),
    ("PJSIP/webrtc-1002-0000001a", "1002", "分机 1002", "Extension 1002", "分机 1002"),
    ("PJSIP/1020-00000003", "1020", "分机 1020", "Extension 1020", "分机 1020"),
    ("Local/agent@hotline-test/n", "", "", "", ""),
    ("PJSIP/resident", "", "", "", ""),
    ("", "", "", "", ""),
])
def test_phones_in_words(interface, extension, zh, en, who):
    assert extension_of(interface) == extension
    assert extension_words(interface) == zh
    assert extension_words(interface, "en") == en
    assert agent_words(interface, NAMES) == who


def test_english_names_use_plain_brackets():
    assert agent_words("PJSIP/webrtc-1001", NAMES, "en") == "话务员 李娜 (Extension 1001)"
