"""SpeechService.listen over a real loopback AudioSocket with the real Korean vosk model."""

import asyncio
import uuid

import pytest

from ivr.agi.protocol import AgiReply
from ivr.speech.api import SpeechConfig, SpeechService
from ivr.speech.client import stream_pcm
from ivr.speech.endpoint import Limits
from ivr.speech.frames import Kind, encode, uuid_frame
from ivr.speech.model import ModelHolder
from ivr.speech.pool import RecognizerPool
from ivr.speech.results import ListenReason
from ivr.speech.session import utterance_path
from ivr.speech.transcribe import transcribe_file
from tests.ivr.speech.audio import NO, YES, pcm_of
from tests.ivr.speech.conftest import AsteriskLike
from ticketing.bus.contract import TranscriptFinal, TranscriptPartial

pytestmark = pytest.mark.speech


async def test_live_transcript_equals_offline_decode(speech, speech_dir, holder, published):
    offline = transcribe_file(holder, speech_dir / "request.wav", first_only=True)
    pcm, rate = pcm_of(speech_dir / "request.wav")
    result = await speech.listen(AsteriskLike(pcm, paced=False), "call-1")
    assert result.reason is ListenReason.FINAL
    assert result.text == offline.text and result.text
    finals = published.of(TranscriptFinal.TYPE)
    assert [(f["linkedid"], f["text"], f["reason"]) for f in finals] == [("call-1", offline.text, "final")]
    assert published.of(TranscriptPartial.TYPE), "partials are published while the caller speaks"


async def test_kept_utterance_audio_decodes_offline_to_the_live_transcript(holder, speech_dir, published,
                                                                            tmp_path):
    """With an audio directory the recogniser's input is kept as WAV: what was heard, exactly."""
    kept = tmp_path / "utterances"
    limits = Limits(max_seconds=8, no_input_seconds=2, trailing_silence_seconds=0.6)
    service = SpeechService(SpeechConfig(port=0, audio_dir=kept, limits=limits), holder, RecognizerPool(2),
                            published)
    await service.start()
    try:
        pcm, rate = pcm_of(speech_dir / "request.wav")
        leading = bytes(2 * 123)  # 123 samples of silence: not a whole chunk nor a whole frame
        result = await service.listen(AsteriskLike(leading + pcm, paced=False), "call/12")
    finally:
        await service.stop()
    stream_id = published.of(TranscriptFinal.TYPE)[0]["stream_id"]
    path = utterance_path(kept, "call/12", stream_id)
    assert path.name == f"call_12_{stream_id}.wav" and [p.name for p in kept.iterdir()] == [path.name]
    heard, heard_rate = pcm_of(path)
    assert heard_rate == rate and (leading + pcm).startswith(heard) and len(heard) > len(pcm) // 2
    assert transcribe_file(holder, path, first_only=True).text == result.text and result.text


@pytest.mark.parametrize(("name", "word"), [("yes", YES), ("no", NO)])
async def test_grammar_restricts_to_short_answers(speech, speech_dir, name, word):
    pcm, _ = pcm_of(speech_dir / f"{name}.wav")
    result = await speech.listen(AsteriskLike(pcm, paced=False), "call-2", grammar=[YES, NO])
    assert (result.text, result.reason) == (word, ListenReason.FINAL)


async def test_16k_audio_is_decoded(speech, speech_dir, holder):
    pcm, rate = pcm_of(speech_dir / "request16k.wav")
    offline = transcribe_file(holder, speech_dir / "request16k.wav", first_only=True)
    result = await speech.listen(AsteriskLike(pcm, sample_rate=rate, paced=False), "call-3")
    assert result.text == offline.text and result.text


async def test_silence_ends_without_text(speech):
    result = await speech.listen(AsteriskLike(bytes(8000 * 2 * 3), paced=False), "call-4")
    assert (result.text, result.reason) == ("", ListenReason.SILENCE)


async def test_no_audio_at_all_ends_by_wall_clock(speech):
    result = await speech.listen(AsteriskLike(b"", paced=False), "call-5")
    assert result.reason is ListenReason.SILENCE


async def test_noise_is_not_acted_on(speech):
    import random

    rng = random.Random(7)
    noise = b"".join(rng.randint(-3000, 3000).to_bytes(2, "little", signed=True) for _ in range(8000 * 3))
    result = await speech.listen(AsteriskLike(noise, paced=False), "call-6", grammar=[YES, NO])
    assert not result.usable, result


async def test_hangup_mid_utterance(speech, speech_dir):
    pcm, _ = pcm_of(speech_dir / "request.wav")
    result = await speech.listen(AsteriskLike(pcm[: len(pcm) // 3], paced=False, hangup_after=True), "call-7")
    assert result.reason is ListenReason.HANGUP and not result.usable


async def test_low_confidence_falls_back(holder, speech_dir, published):
    service = SpeechService(SpeechConfig(port=0, min_confidence=0.999,
                                         limits=Limits(max_seconds=8, no_input_seconds=2,
                                                       trailing_silence_seconds=0.6)),
                            holder, RecognizerPool(2), published)
    await service.start()
    try:
        pcm, _ = pcm_of(speech_dir / "request.wav")
        result = await service.listen(AsteriskLike(pcm, paced=False), "call-8")
    finally:
        await service.stop()
    assert result.reason is ListenReason.LOW_CONFIDENCE and result.text


async def test_busy_when_every_recogniser_is_taken(speech):
    leases = [speech.pool.try_acquire() for _ in range(speech.pool.max_streams)]
    agi = AsteriskLike(b"")
    result = await speech.listen(agi, "call-9")
    for lease in leases:
        lease.release()
    assert result.reason is ListenReason.BUSY and agi.commands == []


async def test_no_model_falls_back_without_touching_the_call(published, tmp_path):
    holder = ModelHolder(tmp_path / "missing")
    await holder.load()
    service = SpeechService(SpeechConfig(port=0), holder, RecognizerPool(1), published)
    agi = AsteriskLike(b"")
    result = await service.listen(agi, "call-10")
    assert result.reason is ListenReason.NO_MODEL and agi.commands == []
    assert "does not exist" in holder.error


async def test_language_without_model_falls_back(speech):
    result = await speech.listen(AsteriskLike(b""), "call-11", language="en")
    assert result.reason is ListenReason.NO_MODEL


class BrokenAsterisk:
    """Connects and sends the UUID, then bytes that are not an AudioSocket frame."""

    def __init__(self, garbage: bytes) -> None:
        self.garbage = garbage

    async def send(self, command: str, *, quick: bool = True) -> AgiReply:
        stream_id, address = command.split(" ", 2)[2].split(",")
        host, port = address.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(uuid_frame(uuid.UUID(stream_id)) + encode(Kind.AUDIO, bytes(320)) + self.garbage)
        await writer.drain()
        await reader.read()  # until the server closes
        writer.close()
        return AgiReply("-1")


@pytest.mark.parametrize("garbage", [bytes([0x42, 0, 0]), bytes([0x10, 0, 3, 1, 2, 3]), bytes([0xFF, 0, 0])])
async def test_malformed_frames_end_the_listen_with_an_error(speech, garbage, caplog):
    result = await speech.listen(BrokenAsterisk(garbage), "call-12")
    assert result.reason is ListenReason.ERROR
    assert speech.pool.in_use == 0


class NeverConnects:
    """An Asterisk whose AudioSocket application fails before connecting (e.g. module not loaded)."""

    async def send(self, command: str, *, quick: bool = True) -> AgiReply:
        return AgiReply("-2")


async def test_stream_that_never_connects_is_an_error(speech):
    result = await speech.listen(NeverConnects(), "call-13")
    assert result.reason is ListenReason.ERROR and speech.pool.in_use == 0 and not speech.server.pending


async def test_unknown_stream_is_refused(speech):
    streamed = stream_pcm(speech.address, str(uuid.uuid4()), bytes(3200), paced=False)
    elapsed = await asyncio.wait_for(streamed, 5)
    assert elapsed < 5 and not speech.server.pending


async def test_event_loop_stays_responsive_while_decoding(speech, speech_dir):
    pcm, _ = pcm_of(speech_dir / "request.wav")
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    loop = asyncio.get_running_loop()
    started = loop.time()
    await speech.listen(AsteriskLike(pcm, paced=False), "call-14")
    elapsed = loop.time() - started
    task.cancel()
    assert ticks >= elapsed / 0.01 * 0.5, "the loop kept ticking while vosk decoded"
