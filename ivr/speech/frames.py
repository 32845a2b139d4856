"""AudioSocket framing: 1-byte kind, 2-byte big-endian length, payload (pure, no IO except read_frame)."""

from __future__ import annotations

import asyncio
import struct
import uuid
from dataclasses import dataclass
from enum import IntEnum

HEADER = struct.Struct(">BH")
MAX_PAYLOAD = 65535


class Kind(IntEnum):
    """Frame kinds Asterisk's AudioSocket sends or accepts."""

    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10  # signed linear 16-bit little-endian, 8 kHz mono
    AUDIO_12K = 0x11
    AUDIO_16K = 0x12
    AUDIO_24K = 0x13
    AUDIO_32K = 0x14
    AUDIO_44K = 0x15
    AUDIO_48K = 0x16
    AUDIO_96K = 0x17
    AUDIO_192K = 0x18
    ERROR = 0xFF


SAMPLE_RATES = {Kind.AUDIO: 8000, Kind.AUDIO_12K: 12000, Kind.AUDIO_16K: 16000, Kind.AUDIO_24K: 24000,
                Kind.AUDIO_32K: 32000, Kind.AUDIO_44K: 44100, Kind.AUDIO_48K: 48000, Kind.AUDIO_96K: 96000,
                Kind.AUDIO_192K: 192000}


class FrameError(ValueError):
    """A frame that does not follow the AudioSocket protocol."""


@dataclass(frozen=True)
class Frame:
    """One decoded AudioSocket frame."""

    kind: Kind
    payload: bytes = b""

    @property
    def sample_rate(self) -> int | None:
        """Sample rate of an audio frame, None for other kinds."""
        return SAMPLE_RATES.get(self.kind)

    @property
    def call_id(self) -> uuid.UUID:
        """The call's UUID carried by a UUID frame."""
        if self.kind is not Kind.UUID or len(self.payload) != 16:
            raise FrameError(f"not a 16-byte UUID frame: kind={self.kind.name} length={len(self.payload)}")
        return uuid.UUID(bytes=self.payload)


def parse_header(header: bytes) -> tuple[Kind, int]:
    """Decode a 3-byte header into (kind, payload length)."""
    if len(header) != HEADER.size:
        raise FrameError(f"short header: {len(header)} bytes")
    raw_kind, length = HEADER.unpack(header)
    try:
        kind = Kind(raw_kind)
    except ValueError as err:
        raise FrameError(f"unknown frame kind 0x{raw_kind:02x}") from err
    return kind, length


def decode(data: bytes) -> tuple[Frame, bytes]:
    """Split one complete frame off the front of a buffer; raise FrameError if incomplete or bad."""
    kind, length = parse_header(data[: HEADER.size])
    end = HEADER.size + length
    if len(data) < end:
        raise FrameError(f"truncated {kind.name} frame: {len(data) - HEADER.size} of {length} bytes")
    return validate(Frame(kind, bytes(data[HEADER.size:end]))), data[end:]


def validate(frame: Frame) -> Frame:
    """Reject frames whose payload cannot be right for their kind."""
    if frame.kind is Kind.UUID and len(frame.payload) != 16:
        raise FrameError(f"UUID frame of {len(frame.payload)} bytes")
    if frame.sample_rate and len(frame.payload) % 2:
        raise FrameError(f"odd-length audio frame ({len(frame.payload)} bytes)")
    return frame


def encode(kind: Kind, payload: bytes = b"") -> bytes:
    """Build the bytes of one frame."""
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return HEADER.pack(int(kind), len(payload)) + payload


def uuid_frame(call_id: uuid.UUID) -> bytes:
    """Build the UUID frame that opens a stream."""
    return encode(Kind.UUID, call_id.bytes)


async def read_frame(reader: asyncio.StreamReader) -> Frame | None:
    """Read the next frame; None at a clean end of stream, FrameError on a broken one."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as err:
        if not err.partial:
            return None
        raise FrameError(f"stream ended inside a header ({len(err.partial)} bytes)") from err
    kind, length = parse_header(header)
    try:
        payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as err:
        raise FrameError(f"stream ended inside a {kind.name} frame ({len(err.partial)} of {length})") from err
    return validate(Frame(kind, payload))
