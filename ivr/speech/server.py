"""The asyncio AudioSocket server Asterisk connects to; each connection serves one registered listen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from ivr.speech.frames import FrameError, Kind, encode, read_frame
from ivr.speech.results import ListenReason, SpeechResult
from ivr.speech.session import ListenRequest
from ivr.speech.speaker import Speaker

log = logging.getLogger(__name__)

FIRST_FRAME_SECONDS = 3.0

StreamHandler = Callable[[ListenRequest, asyncio.StreamReader, Speaker], Awaitable[SpeechResult]]


class AudioSocketServer:
    """Accept AudioSocket connections, match them to pending listens by UUID, close when done."""

    def __init__(self, host: str, port: int, handle: StreamHandler) -> None:
        self.host = host
        self.port = port
        self.handle = handle
        self.pending: dict[str, ListenRequest] = {}
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Listen for Asterisk (port 0 picks a free port, then `self.port` tells which)."""
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("AudioSocket server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting, end running streams, fail pending listens."""
        if self._server:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for request in list(self.pending.values()):
            request.resolve(SpeechResult.empty(ListenReason.ERROR))
        self.pending.clear()
        if self._server:
            await self._server.wait_closed()

    def expect(self, request: ListenRequest) -> None:
        """Register a listen before Asterisk connects with its UUID."""
        self.pending[request.stream_id] = request

    def forget(self, stream_id: str) -> ListenRequest | None:
        """Drop a registration that will not be used."""
        return self.pending.pop(stream_id, None)

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        try:
            request = await self._identify(reader, writer)
            if request is not None:
                speaker = Speaker(writer, request.prompt)  # the prompt, then keep-alive silence
                sending = asyncio.create_task(speaker.run())
                try:
                    await self._serve(request, reader, speaker)
                finally:
                    sending.cancel()
        except Exception:
            log.exception("AudioSocket connection from %s failed", writer.get_extra_info("peername"))
        finally:
            self._connections.discard(task)
            await _close(writer)

    async def _identify(self, reader: asyncio.StreamReader, writer) -> ListenRequest | None:
        """Read the opening UUID frame and find its listen; log and refuse anything else."""
        peer = writer.get_extra_info("peername")
        try:
            frame = await asyncio.wait_for(read_frame(reader), FIRST_FRAME_SECONDS)
        except (FrameError, TimeoutError) as err:
            log.warning("AudioSocket connection from %s refused: no valid UUID frame (%s)", peer,
                        err or "timeout")
            return None
        if frame is None or frame.kind is not Kind.UUID:
            log.warning("AudioSocket connection from %s refused: first frame is %s, not a UUID", peer,
                        frame.kind.name if frame else "end of stream")
            return None
        stream_id = str(frame.call_id)
        request = self.forget(stream_id)
        if request is None:
            log.warning("AudioSocket stream %s from %s refused: no listen registered", stream_id, peer)
        return request

    async def _serve(self, request: ListenRequest, reader: asyncio.StreamReader, speaker: Speaker) -> None:
        try:
            result = await self.handle(request, reader, speaker)
        except BaseException:
            request.resolve(SpeechResult.empty(ListenReason.ERROR))
            raise
        request.resolve(result)


async def _close(writer: asyncio.StreamWriter) -> None:
    """Tell Asterisk the stream is over and close, so the AudioSocket application returns."""
    with contextlib.suppress(OSError, RuntimeError):
        if not writer.is_closing():
            writer.write(encode(Kind.HANGUP))
        writer.close()
        await writer.wait_closed()


def new_stream_id() -> str:
    """A fresh UUID for one AudioSocket stream."""
    return str(uuid.uuid4())
