"""AudioSocket framing: encoding, decoding and rejection of malformed frames."""

import asyncio
import uuid

import pytest

from ivr.speech.frames import Frame, FrameError, Kind, decode, encode, read_frame, uuid_frame

CALL = uuid.UUID("40325ec2-5efd-4bd3-805f-53576e581d13")


@pytest.mark.parametrize(("data", "kind", "payload"), [
    (bytes([0x10, 0, 4, 1, 2, 3, 4]), Kind.AUDIO, bytes([1, 2, 3, 4])),
    (bytes([0x00, 0, 0]), Kind.HANGUP, b""),
    (bytes([0x12, 0, 2, 9, 9]), Kind.AUDIO_16K, bytes([9, 9])),
    (bytes([0xFF, 0, 1, 0x02]), Kind.ERROR, bytes([2])),
    (bytes([0x03, 0, 1]) + b"5", Kind.DTMF, b"5"),
])
def test_decode_reads_one_frame(data, kind, payload):
    frame, rest = decode(data + b"tail")
    assert (frame.kind, frame.payload, rest) == (kind, payload, b"tail")


@pytest.mark.parametrize(("data", "message"), [
    (bytes([0x10, 0]), "short header"),
    (bytes([0x42, 0, 0]), "unknown frame kind 0x42"),
    (bytes([0x10, 0, 4, 1]), "truncated AUDIO frame"),
    (bytes([0x10, 0, 3, 1, 2, 3]), "odd-length audio"),
    (bytes([0x01, 0, 3, 1, 2, 3]), "UUID frame of 3 bytes"),
])
def test_decode_rejects_malformed_frames(data, message):
    with pytest.raises(FrameError, match=message):
        decode(data)


def test_uuid_frame_round_trips():
    frame, _ = decode(uuid_frame(CALL))
    assert frame.call_id == CALL


@pytest.mark.parametrize(("kind", "rate"), [(Kind.AUDIO, 8000), (Kind.AUDIO_16K, 16000),
                                            (Kind.AUDIO_48K, 48000), (Kind.UUID, None), (Kind.DTMF, None)])
def test_sample_rate_follows_kind(kind, rate):
    assert Frame(kind).sample_rate == rate


def test_encode_refuses_oversized_payload():
    with pytest.raises(FrameError, match="exceeds"):
        encode(Kind.AUDIO, bytes(70000))


async def _read(data: bytes):
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return await read_frame(reader)


async def test_read_frame_returns_none_at_clean_end():
    assert await _read(b"") is None


@pytest.mark.parametrize(("data", "message"), [(bytes([0x10]), "inside a header"),
                                               (bytes([0x10, 0, 8, 1, 2]), "inside a AUDIO frame")])
async def test_read_frame_rejects_a_cut_stream(data, message):
    with pytest.raises(FrameError, match=message):
        await _read(data)
