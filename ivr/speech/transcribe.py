"""Offline decoding of audio files (recorded messages, test utterances) with the shared model."""

from __future__ import annotations

import wave
from pathlib import Path

from ivr.speech.decoder import decode_pcm
from ivr.speech.results import SpeechResult
from ivr.speech.session import chunk_bytes


class AudioFileError(ValueError):
    """A file that is not 16-bit mono PCM WAV."""


def read_wav(path: Path) -> tuple[bytes, int]:
    """Return the samples and sample rate of a 16-bit mono WAV file."""
    try:
        with wave.open(str(path)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise AudioFileError(f"{path}: need 16-bit mono PCM, got {wav.getsampwidth() * 8}-bit "
                                     f"{wav.getnchannels()} channels")
            return wav.readframes(wav.getnframes()), wav.getframerate()
    except (wave.Error, EOFError, OSError) as err:
        raise AudioFileError(f"{path}: not a readable WAV file ({err})") from err


def transcribe_pcm(holder, pcm: bytes, sample_rate: int, *, first_only: bool = False,
                   grammar: list[str] | None = None, language: str | None = None,
                   background: bool = False) -> SpeechResult:
    """Decode PCM (blocking) with an engine or engine set: the first utterance as a live listen would
    hear it, or everything. `background`: recordings after the fact (messages, call transcripts), decoded
    in the engine's own background lane so a live listen never waits behind them."""
    decoder = holder.new_decoder(sample_rate, grammar, language)
    if background and hasattr(decoder, "background"):
        decoder.background = True
    return decode_pcm(decoder, pcm, chunk_bytes=chunk_bytes(sample_rate), first_only=first_only)


def transcribe_file(holder, path: Path, *, first_only: bool = False, grammar: list[str] | None = None,
                    language: str | None = None, background: bool = False) -> SpeechResult:
    """Decode a WAV file (blocking: run it in a thread or the decoding pool)."""
    pcm, rate = read_wav(path)
    return transcribe_pcm(holder, pcm, rate, first_only=first_only, grammar=grammar, language=language,
                          background=background)
