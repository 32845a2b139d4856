"""`hotline phone` decisions: options, re-registration timing, sipp's log lines, the printed lines, argv."""

from __future__ import annotations

import pytest

from ivr.phone import (
    PhoneError,
    PhoneEvent,
    PhoneOptions,
    check_options,
    describe,
    parse_event,
    phone_channels,
    reregister_ms,
    sipp_command,
)


@pytest.mark.parametrize("options, error", [
    (PhoneOptions("1001"), None),
    (PhoneOptions("1020", answer_after=2.5, hangup_after=10), None),
    (PhoneOptions("resident"), None),  # the demo resident: outside numbers ring it when there is no trunk
    (PhoneOptions("1000"), "unknown extension '1000': agent phones are 1001-1020 or resident"),
    (PhoneOptions("Resident"), "unknown extension 'Resident'"),
    (PhoneOptions("1001", answer_after=-1), "seconds >= 0"),
    (PhoneOptions("1001", hangup_after=-0.5), "seconds >= 0"),
    (PhoneOptions("1001", expires=30), "at least 60 s"),
])
def test_check_options(options, error):
    if error is None:
        check_options(options)
    else:
        with pytest.raises(PhoneError, match=error):
            check_options(options)


@pytest.mark.parametrize("expires, wait_ms", [
    (60, 48_000),      # 80 %
    (300, 240_000),
    (3600, 2_880_000),
    (40, 30_000),      # at least 10 s before expiry
    (5, 1_000),        # never a busy loop
])
def test_reregister_before_expiry(expires, wait_ms):
    assert reregister_ms(expires) == wait_ms


@pytest.mark.parametrize("line, event", [
    ("EVENT registered 299", PhoneEvent("registered", ("299",))),
    ("EVENT ringing 13900000042", PhoneEvent("ringing", ("13900000042",))),
    ("EVENT hungup caller 1010", PhoneEvent("hungup", ("caller", "1010"))),
    ("EVENT refused 401 Unauthorized", PhoneEvent("refused", ("401", "Unauthorized"))),
    ("EVENT unregistered", PhoneEvent("unregistered")),
    ("EVENT", None),
    ("EVENT exploded", None),
    ("registered 299", None),
    ("", None),
])
def test_parse_event(line, event):
    assert parse_event(line) == event


@pytest.mark.parametrize("event, text", [
    (PhoneEvent("registered", ("299",)), "registered at 127.0.0.1:5060 (expires 299 s)"),
    (PhoneEvent("reregistered", ("59",)), "registered again (expires 59 s)"),
    (PhoneEvent("ringing", ("13900000042",)), "ringing from 13900000042"),
    (PhoneEvent("answered", ("13900000042",)), "answered 13900000042"),
    (PhoneEvent("hungup", ("caller", "1010")), "hung up by 1010"),
    (PhoneEvent("hungup", ("phone", "1010")), "hung up 1010 (--hangup-after)"),
    (PhoneEvent("hungup", ("cancelled", "1010")), "missed: 1010 gave up while ringing"),
    (PhoneEvent("refused", ("403", "Forbidden")), "registration refused: 403 Forbidden"),
    (PhoneEvent("no_answer", ("127.0.0.1:5060",)), "no answer to REGISTER from 127.0.0.1:5060"),
    (PhoneEvent("unregistered"), "unregistered"),
])
def test_describe(event, text):
    stamp, said = describe(event, "1001", "127.0.0.1:5060").split(": ", 1)
    assert said.startswith(text)
    assert stamp.endswith(" phone 1001")


def test_phone_channels_keeps_only_this_phone():
    concise = ("PJSIP/1001-00000007!hotline-agents!s!1!Up!AppDial!(Outgoing Line)!!!!3!12!!x\n"
               "PJSIP/10010-00000008!hotline-agents!s!1!Up!AppDial!!!!!3!12!!y\n"
               "Local/caller@hotline-test-00000001;1!hotline-test!caller!4!Up!Wait!4!!!!3!12!!z\n")
    assert phone_channels(concise, "1001") == ["PJSIP/1001-00000007"]


def argv_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_sipp_command_runs_in_the_namespace_and_keeps_the_password_off_the_command_line():
    options = PhoneOptions("1001", answer_after=1.5, hangup_after=0)
    argv = sipp_command(4242, server="127.0.0.9:5060", local_ip="127.0.0.9", sip_port=40000,
                        media_port=30010, options=options, work="/var/run/asterisk/phone/1001",
                        call_id="cid@127.0.0.9")
    assert argv[:6] == ["nsenter", "-t", "4242", "-m", "-r", "/usr/bin/sipp"]
    assert argv[6] == "127.0.0.9:5060"
    assert argv_value(argv, "-oocsf") == "/var/run/asterisk/phone/1001/phone-answer.xml"
    assert argv_value(argv, "-inf") == "/var/run/asterisk/phone/1001/credentials.csv"
    assert "-ap" not in argv
    sets = {argv[i + 1]: argv[i + 2] for i, word in enumerate(argv) if word == "-set"}
    assert sets == {"expires": "300", "reregister_ms": "240000", "answer_ms": "1500", "hangup_ms": "0"}


def test_unregister_command_reuses_port_and_call_id_with_a_higher_cseq():
    options = PhoneOptions("1001")
    kwargs = dict(server="127.0.0.9:5060", local_ip="127.0.0.9", sip_port=40000, media_port=0,
                  options=options, work="/w", call_id="cid@127.0.0.9")
    running = sipp_command(1, **kwargs)
    leaving = sipp_command(1, unregister=True, **kwargs)
    for flag in ("-p", "-cid_str", "-sf"):
        assert argv_value(leaving, flag) == argv_value(running, flag)
    assert "-oocsf" not in leaving and int(argv_value(leaving, "-base_cseq")) > 1000
    sets = {leaving[i + 1]: leaving[i + 2] for i, word in enumerate(leaving) if word == "-set"}
    assert sets["expires"] == "0"
