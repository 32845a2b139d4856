"""AGI reply parsing, and a FastAGI connection over a real socket (an unknown script ends politely)."""

from __future__ import annotations

import asyncio

import pytest

from ivr.agi.app import IvrApplication
from ivr.agi.protocol import AgiError, AgiHangup, AgiReply, parse_headers, parse_reply


@pytest.mark.parametrize(("line", "reply"), [
    ("200 result=0", AgiReply("0")),
    ("200 result=123", AgiReply("123")),
    ("200 result= (timeout)", AgiReply("", "timeout")),
    ("200 result=12 (timeout)", AgiReply("12", "timeout")),
    ("200 result=", AgiReply("")),
    ("200 result=1 (FT20261126-0001)", AgiReply("1", "FT20261126-0001")),
    ("200 result=0 endpos=16000", AgiReply("0", "", {"endpos": "16000"})),
    ("200 result=-1", AgiReply("-1")),
])
def test_parse_reply(line, reply):
    assert parse_reply(line) == reply


@pytest.mark.parametrize(("line", "error"), [
    ("511 Command Not Permitted on a dead channel or intercept routine", AgiHangup),
    ("510 Invalid or unknown command", AgiError),
    ("garbage", AgiError),
    ("200 nonsense", AgiError),
])
def test_parse_reply_errors(line, error):
    with pytest.raises(error):
        parse_reply(line)


def test_parse_headers():
    block = b"agi_network: yes\nagi_network_script: hotline\nagi_callerid: 13800138000\nnoise\n\n"
    assert parse_headers(block) == {"agi_network": "yes", "agi_network_script": "hotline",
                                    "agi_callerid": "13800138000"}


async def _fake_asterisk(port: int, script: str, replies: list[bytes]) -> list[str]:
    """Play Asterisk's side of FastAGI: send headers, answer each command, return the commands seen."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"agi_network: yes\nagi_network_script: {script}\nagi_uniqueid: 1.1\n\n".encode())
    seen = []
    for reply in replies:
        line = await reader.readline()
        if not line:
            break
        seen.append(line.decode().strip())
        writer.write(reply)
    await reader.read()  # until the server closes
    writer.close()
    return seen


async def test_unknown_script_ends_call_politely_and_server_survives():
    app = IvrApplication()
    seen_route = []

    async def known(channel):
        seen_route.append((await channel.send("GET VARIABLE X")).data)
        await channel.send("HANGUP")

    app.add_route("hotline", known)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        seen = await _fake_asterisk(port, "nonsense", [b"200 result=0\n", b"200 result=1\n"])
        assert seen == ['EXEC Playback "im-sorry&goodbye"', "HANGUP"]
        seen = await _fake_asterisk(port, "hotline", [b"HANGUP\n200 result=1 (x)\n", b"200 result=1\n"])
        assert seen == ["GET VARIABLE X", "HANGUP"] and seen_route == ["x"]
        assert (app.completed, app.failed) == (1, 1)
    finally:
        server.close()
        await server.wait_closed()


async def test_connection_closed_mid_call_is_a_hangup():
    app = IvrApplication()
    outcome = []

    async def route(channel):
        try:
            await channel.send("GET DATA hotline/zh/welcome 5000 1")
        except AgiHangup as err:
            outcome.append(str(err))
            raise

    app.add_route("hotline", route)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"agi_network_script: hotline\n\n")
        await reader.readline()
        writer.close()
        await asyncio.sleep(0.1)
        assert outcome == ["AGI connection closed by Asterisk"]
        assert app.completed == 1
    finally:
        server.close()
        await server.wait_closed()
