"""`hotline call`'s caller on the real Asterisk: it reports each IVR step as it happens, and when it gives up
(--timeout) it hangs the call up instead of leaving it running."""

from __future__ import annotations

import asyncio
import re

import pytest

from ivr.testcall import TestCallError as CallFailed
from ivr.testcall import parse_moves
from tests.integration.test_ivr_calls import (  # noqa: F401 - fixtures are found by name
    database,
    dataset,
    hotline,
    menus,
    sounds,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(120)]


async def channels_of(actions, linkedid: str) -> list[str]:
    return [e.get("Channel", "") for e in await actions.core_show_channels() if e.get("Linkedid") == linkedid]


async def test_giving_up_hangs_the_call_up_and_steps_are_shown_as_they_come(hotline, ami_bridge):  # noqa: F811
    _services, caller = hotline
    heard: list[str] = []
    caller.progress = heard.append
    # Mandarin, then nothing: the IVR would wait at the menus for a minute and more.
    gave_up = r"did not end within 20 s \(hung up [1-9]\d* channels?\)"
    with pytest.raises(CallFailed, match=gave_up) as failed:
        await caller.call(parse_moves(["1"]), caller_id="13700003333", limit=20)
    linkedid = re.search(r"call (hc-[0-9a-f]+)", str(failed.value)).group(1)
    assert heard and heard[0] == "  IVR: welcome"  # shown while the call was still going
    for _ in range(50):
        if not await channels_of(ami_bridge.actions, linkedid):
            break
        await asyncio.sleep(0.1)
    assert await channels_of(ami_bridge.actions, linkedid) == []
