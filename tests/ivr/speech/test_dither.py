"""Reproducible dither: Kaldi's random dither off, the same noise added by sample position instead."""

from __future__ import annotations

from array import array
from collections import Counter

import pytest

from ivr.speech.dither import TABLE_SAMPLES, DitheredRecognizer, dither, without_dither
from ivr.speech.transcribe import transcribe_pcm
from tests.ivr.speech.audio import pcm_of


def samples(pcm: bytes) -> list[int]:
    return list(array("h", pcm))


def test_noise_depends_on_the_position_only():
    pcm = array("h", range(-400, 400)).tobytes()
    whole = dither(pcm, 0)
    assert dither(pcm, 0) == whole and whole != pcm
    assert dither(pcm[:322], 0) + dither(pcm[322:], 161) == whole  # chunking does not matter
    assert dither(pcm, TABLE_SAMPLES) == whole and dither(pcm, 1) != whole
    assert max(abs(a - b) for a, b in zip(samples(whole), samples(pcm), strict=True)) <= 5


def test_noise_wraps_around_the_table_and_clips_at_full_scale():
    pcm = array("h", [32767, -32768] * 50).tobytes()
    noisy = samples(dither(pcm, TABLE_SAMPLES - 30))
    assert len(noisy) == 100 and all(-32768 <= s <= 32767 for s in noisy)
    end = TABLE_SAMPLES - 30
    assert dither(bytes(200), end) == dither(bytes(60), end) + dither(bytes(140), 0)
    assert len(dither(bytes(7), 0)) == 6  # half a sample is not audio


def test_silence_is_no_longer_digital_zero():
    assert set(samples(dither(bytes(1600), 0))) - {0}


def model_dir(tmp_path, conf: str | None, name: str = "mfcc.conf"):
    model = tmp_path / "model"
    (model / "am").mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(b"model")
    (model / "conf").mkdir()
    (model / "conf" / "model.conf").write_text("--beam=10\n")
    if conf is not None:
        (model / "conf" / name).write_text(conf)
    return model


@pytest.mark.parametrize("name", ["mfcc.conf", "fbank.conf"])
def test_view_turns_kaldis_dither_off_and_links_the_rest(tmp_path, name):
    model = model_dir(tmp_path, "--use-energy=false\n--num-ceps=40\n", name)
    view = without_dither(model, tmp_path / "view")
    assert view == tmp_path / "view"
    assert (view / "conf" / name).read_text() == "--use-energy=false\n--num-ceps=40\n--dither=0\n"
    assert (view / "am" / "final.mdl").is_symlink() and (view / "am" / "final.mdl").read_bytes() == b"model"
    assert (view / "conf" / "model.conf").resolve() == (model / "conf" / "model.conf").resolve()
    assert (model / "conf" / name).read_text() == "--use-energy=false\n--num-ceps=40\n"  # model untouched


@pytest.mark.parametrize("conf", ["--dither=0.5\n", None])
def test_a_model_that_sets_its_own_dither_or_has_no_feature_config_loads_as_it_is(tmp_path, conf):
    model = model_dir(tmp_path, conf)
    assert without_dither(model, tmp_path / "view") == model
    assert not (tmp_path / "view").exists()


def test_the_packaged_model_gets_the_reproducible_dither(holder):
    assert holder.dither
    assert isinstance(holder.recognizer(8000), DitheredRecognizer)


@pytest.mark.speech
def test_the_same_audio_decodes_to_the_same_words_every_time(holder, speech_dir):
    # With Kaldi's own dither this utterance (123 samples of silence first) came out five ways in 25 decodes.
    pcm, rate = pcm_of(speech_dir / "request.wav")
    pcm = bytes(2 * 123) + pcm
    texts = Counter(transcribe_pcm(holder, pcm, rate, first_only=True).text for _ in range(12))
    assert len(texts) == 1 and next(iter(texts))
