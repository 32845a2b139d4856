"""End of speech for Whisper: the decision over VAD scores (table), resampling, scores independent of cuts."""

import numpy as np
import pytest

from ivr.speech.vad import WINDOW_SECONDS, StreamingVad, VadLimits, settled_16k, speech_state, to_16k
from tests.ivr.speech.audio import pcm_of
from tests.ivr.speech.test_decoder import MANDARIN

LIMITS = VadLimits(threshold=0.5, min_speech_seconds=0.25, end_silence_seconds=0.5)
SPEECH_WINDOWS = int(0.3 / WINDOW_SECONDS) + 1  # 10 windows: enough to count as talking
QUIET_WINDOWS = int(0.5 / WINDOW_SECONDS) + 1  # 16 windows: enough to end


@pytest.mark.parametrize(("scores", "started", "ended"), [
    ([], False, False),
    ([0.1] * 200, False, False),  # silence: never started (the no-input limit ends the listen)
    ([0.9] * 3 + [0.1] * 50, False, False),  # a click is not speech
    ([0.1] * 5 + [0.9] * SPEECH_WINDOWS, True, False),  # talking
    ([0.9] * SPEECH_WINDOWS + [0.2] * (QUIET_WINDOWS - 2), True, False),  # a pause
    ([0.9] * SPEECH_WINDOWS + [0.2] * QUIET_WINDOWS, True, True),  # the end of speech
    ([0.9] * SPEECH_WINDOWS + [0.2] * 8 + [0.8] + [0.2] * 8, True, False),  # spoke again in the pause
    ([0.9] * 4 + [0.1] * 20 + [0.9] * 4 + [0.1] * QUIET_WINDOWS, True, True),  # short bursts add up
])
def test_speech_state(scores, started, ended):
    state = speech_state(scores, LIMITS)
    assert (state.started, state.ended) == (started, ended)


def test_8k_audio_is_interpolated_to_16k_and_the_tail_holds():
    pcm = np.array([0, 100, 200, -200], dtype=np.int16)
    assert (to_16k(pcm, 8000) * 32768).round().tolist() == [0, 50, 100, 150, 200, 0, -200, -200]
    assert (to_16k(pcm, 8000, 2, 5) * 32768).round().tolist() == [100, 150, 200]
    assert settled_16k(4, 8000) == 7 and settled_16k(0, 8000) == 0 and settled_16k(4, 16000) == 4


def test_scores_do_not_depend_on_how_the_audio_was_cut():
    if not MANDARIN.is_file():
        pytest.skip(f"{MANDARIN} is not there (shared test data)")
    pcm, rate = pcm_of(MANDARIN)
    whole, cut = StreamingVad(rate), StreamingVad(rate)
    whole.accept(pcm)
    for start in range(0, len(pcm), 1234):  # odd cuts: half samples, mid-window
        cut.accept(pcm[start:start + 1234])
    assert cut.scores == whole.scores and len(whole.scores) == len(pcm) // 2 // 512
    state = speech_state(whole.scores, VadLimits())
    assert state.started and 3.0 < state.speech_seconds < 4.2  # the 4.2 s recording is mostly speech
