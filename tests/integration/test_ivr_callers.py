"""A number on the caller list calls the real Asterisk (Local channel): the IVR plays the warning in Chinese
and English, then the call goes on as any other; an unmarked number hears no warning."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ivr.testcall import parse_moves
from tests.integration.test_ivr_calls import (  # noqa: F401 - fixtures are found by name
    WORKING,
    database,
    dataset,
    ended_record,
    hotline,
    menus,
    nodes,
    sounds,
    wav_seconds,
)
from ticketing.caller import service as caller_list
from ticketing.caller.schemas import FlagCreate
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(120)]
MARKED = "13911112222"


def at(step: dict) -> datetime:
    return datetime.fromisoformat(step["at"])


async def test_a_marked_caller_hears_the_warning_then_the_menu(hotline, database, asterisk):  # noqa: F811
    _services, caller = hotline
    with session_scope(database) as session:
        data = FlagCreate(phone=MARKED, kind="abusive", reason="多次辱骂话务员",
                          expires_at=WORKING + timedelta(days=30))
        caller_list.mark(session, data, "supervisor1", WORKING)
    report = await caller.call(parse_moves(["2", "x"]), caller_id=MARKED)
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call)[:4] == ["welcome", "welcome", "hours", "request"]
    assert call.ivr_path[0]["input"] == "caller-warning:abusive"
    assert call.language == "en"  # the caller went on and chose English
    # Both warnings played before the welcome menu asked for a key (the steps go out after the plays).
    warned = sum(wav_seconds(asterisk.prompts_dir / lang / "warning_abusive.wav") for lang in ("zh", "en"))
    assert warned > 3
    assert (at(call.ivr_path[1]) - call.started_at).total_seconds() >= warned - 0.5

    plain = await caller.call(parse_moves(["2", "x"]), caller_id="13922223333")
    call, _ = await ended_record(database, plain.linkedid)
    assert nodes(call)[:3] == ["welcome", "hours", "request"]
    assert (at(call.ivr_path[0]) - call.started_at).total_seconds() < warned - 0.5
