"""End-of-utterance decisions."""

import pytest

from ivr.speech.endpoint import Limits, Progress, decide
from ivr.speech.results import ListenReason as R

LIMITS = Limits(max_seconds=10, no_input_seconds=4, trailing_silence_seconds=1.0)


@pytest.mark.parametrize(("audio", "started", "endpoint", "quiet", "expected"), [
    (1.0, False, False, 0.0, None),  # listening, nothing yet
    (2.0, True, True, 0.0, R.FINAL),  # vosk endpointed
    (4.0, False, False, 0.0, R.SILENCE),  # no speech within the no-input limit (audio clock)
    (1.0, False, False, 4.0, R.SILENCE),  # no audio frames at all (wall clock)
    (10.0, True, False, 0.0, R.TIMEOUT),  # still talking at the maximum
    (10.0, False, False, 0.0, R.SILENCE),  # max reached without a word
    (3.0, True, False, 1.0, R.FINAL),  # audio stopped after speech: end by silence
    (3.0, True, False, 0.5, None),  # short pause: keep listening
])
def test_decide(audio, started, endpoint, quiet, expected):
    progress = Progress(audio_seconds=audio, speech_started=started, endpoint=endpoint, quiet_seconds=quiet)
    assert decide(progress, LIMITS) == expected
