"""Property tests (hypothesis) for the three wire formats we parse: AMI, AudioSocket frames, FastAGI.

Each property holds for any input hypothesis can make: messages survive any split into TCP chunks,
frames round-trip and never crash the decoder, AGI replies and headers parse or fail with our error.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.agi.protocol import AgiError, AgiHangup, parse_headers, parse_reply
from ivr.ami.connection import HotlineAmiProtocol
from ivr.speech import frames
from ivr.speech.frames import FrameError, Kind

QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- AMI ------------------------------------------------------------------------------------------------
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY = st.builds(str.__add__, st.sampled_from(LETTERS), st.text(LETTERS + "0123456789", max_size=12))
# Values as Asterisk writes them: no line breaks, no leading or trailing blanks; any script (caller
# names are Chinese), so multi-byte characters get split across TCP chunks.
VALUE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20) \
    .map(str.strip).filter(bool)
RESERVED = {"event", "response", "content", "result"}  # panoramisk: message kind, command body, unquoted
HEADERS = st.dictionaries(KEY, VALUE, max_size=6).filter(
    lambda m: not RESERVED & {k.lower() for k in m} and len({k.lower() for k in m}) == len(m))
# Every AMI message names its kind (Event: or Response:); panoramisk drops blocks without one.
MESSAGE = st.builds(lambda name, rest: {"Event": name, **rest}, KEY, HEADERS)


class Collecting(HotlineAmiProtocol):
    """The bridge's protocol with its message handler replaced by a list (parsing is what is tested)."""

    def handle_message(self, message) -> None:
        self.seen.append(dict(message))


class NoTransport:
    def close(self) -> None:
        pass


def feed(wire: bytes, cuts: list[int]) -> list[dict]:
    protocol = Collecting()
    protocol.connection_made(NoTransport())
    protocol.seen = []
    edges = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    for start, end in zip(edges, edges[1:], strict=False):
        protocol.data_received(wire[start:end])
    return protocol.seen


BANNER = "Asterisk Call Manager/11.0.0\r\n"


def serialize(messages: list[dict[str, str]], banner: str = BANNER) -> bytes:
    blocks = ("".join(f"{k}: {v}\r\n" for k, v in m.items()) + "\r\n" for m in messages)
    return (banner + "".join(blocks)).encode()


@QUICK
@given(st.lists(MESSAGE, min_size=1, max_size=5), st.lists(st.integers(0, 2000), max_size=12))
def test_ami_messages_survive_any_split_into_chunks(messages, cuts):
    seen = feed(serialize(messages), cuts)
    # panoramisk's Message always carries `content` (the text of command output); '' for events.
    assert [m.pop("content") for m in seen] == [""] * len(messages)
    # a key sent twice keeps its last value, as a dict does
    assert seen == messages


@QUICK
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=8))
def test_ami_garbage_never_breaks_the_protocol(noise, cuts):
    seen = feed(noise, cuts)
    assert seen == feed(noise, [])  # the same whatever the chunking
    good = serialize([{"Event": "FullyBooted", "Status": "Fully Booted"}], banner="")
    after = feed(noise + b"\r\n\r\n" + good, cuts)  # a good message after the noise still arrives
    assert after[-1] == {"Event": "FullyBooted", "Status": "Fully Booted", "content": ""}


# --- AudioSocket ----------------------------------------------------------------------------------------
AUDIO_KINDS = [k for k in Kind if frames.SAMPLE_RATES.get(k)]
AUDIO = st.builds(lambda kind, samples: (kind, samples), st.sampled_from(AUDIO_KINDS),
                  st.binary(max_size=640).map(lambda b: b[: len(b) // 2 * 2]))


@QUICK
@given(st.lists(st.one_of(
    AUDIO,
    st.tuples(st.just(Kind.UUID), st.uuids().map(lambda u: u.bytes)),
    st.tuples(st.just(Kind.DTMF), st.sampled_from([b"1", b"5", b"#", b"*"])),
    st.tuples(st.just(Kind.HANGUP), st.just(b"")),
    st.tuples(st.just(Kind.ERROR), st.binary(max_size=4)),
), max_size=10))
def test_audiosocket_frames_round_trip(items):
    wire = b"".join(frames.encode(kind, payload) for kind, payload in items)
    decoded = []
    while wire:
        frame, wire = frames.decode(wire)
        decoded.append((frame.kind, frame.payload))
    assert decoded == items
    for kind, payload in items:
        if kind is Kind.UUID:
            assert frames.Frame(kind, payload).call_id == uuid.UUID(bytes=payload)


@QUICK
@given(st.binary(max_size=300))
def test_audiosocket_decoder_refuses_bad_bytes_with_frame_error_only(data):
    rest = data
    try:
        while rest:
            frame, shorter = frames.decode(rest)
            assert len(shorter) < len(rest)
            assert frames.encode(frame.kind, frame.payload) == rest[: len(rest) - len(shorter)]
            rest = shorter
    except FrameError:
        pass


@pytest.mark.parametrize("size", [frames.MAX_PAYLOAD + 1, 2 * frames.MAX_PAYLOAD])
def test_audiosocket_refuses_to_encode_oversized_payloads(size):
    frames.encode(Kind.AUDIO, bytes(frames.MAX_PAYLOAD))  # the largest that fits the 16-bit length
    with pytest.raises(FrameError):
        frames.encode(Kind.AUDIO, bytes(size))


# --- FastAGI --------------------------------------------------------------------------------------------
AGI_NAME = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=16).map("agi_".__add__)
AGI_VALUE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40).map(str.strip)


@QUICK
@given(st.dictionaries(AGI_NAME, AGI_VALUE, max_size=12))
def test_agi_headers_round_trip(headers):
    block = "".join(f"{name}: {value}\n" for name, value in headers.items()).encode()
    assert parse_headers(block) == headers


@QUICK
@given(st.binary(max_size=400))
def test_agi_headers_never_fail_on_any_bytes(block):
    parsed = parse_headers(block)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())


@QUICK
@given(st.integers(-1, 99999), st.text(alphabet="0123456789*#abcdefghijklmnopqrstuvwxyz", max_size=12),
       st.dictionaries(st.text("abcdefgh", min_size=1, max_size=8), st.text("0123456789abc", min_size=1,
                                                                              max_size=8), max_size=3))
def test_agi_success_replies_parse(result, data, extra):
    line = f"200 result={result}" + (f" ({data})" if data else "") + "".join(
        f" {k}={v}" for k, v in extra.items())
    reply = parse_reply(line)
    assert (reply.result, reply.data) == (str(result), data)
    assert reply.extra == extra


@QUICK
@given(st.text(max_size=80))
def test_agi_any_reply_line_parses_or_raises_agi_error(line):
    try:
        parse_reply(line)
    except AgiHangup:
        assert line.startswith("511")
    except AgiError:
        pass
