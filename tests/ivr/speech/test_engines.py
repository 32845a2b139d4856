"""Engine per language (tables), the engine set's refusals, Whisper's text cleaning and the CER (pure)."""

from pathlib import Path

import pytest

from ivr.config import IvrSettings
from ivr.speech.check import MANDARIN_REFERENCE, cer
from ivr.speech.engines import EngineConfigError, build_engines, engine_plan, parse_engines
from ivr.speech.model import ModelUnavailable
from ivr.speech.whisper import clean_text, simplified

VOSK = Path("/models/vosk-small-cn")


@pytest.mark.parametrize(("engines", "vosk", "language", "plan"), [
    (None, None, "zh", {"zh": "whisper", "en": "whisper"}),  # out of the box: Whisper for both menus
    (None, VOSK, "zh", {"zh": "vosk", "en": "whisper"}),  # a configured vosk model keeps its language
    (None, VOSK, "ko", {"zh": "whisper", "en": "whisper", "ko": "vosk"}),
    (None, VOSK, "en-US", {"zh": "whisper", "en": "vosk"}),
    ("zh=vosk", VOSK, "zh", {"zh": "vosk"}),  # explicit wins: English gets keys only
    ("zh=whisper, en=whisper ,", VOSK, "zh", {"zh": "whisper", "en": "whisper"}),
    ("zh-CN=whisper", None, "zh", {"zh": "whisper"}),
])
def test_engine_per_language(engines, vosk, language, plan):
    assert engine_plan(engines, vosk, language) == plan


@pytest.mark.parametrize("text", ["zh", "zh=kaldi", "=whisper", "zh:whisper"])
def test_a_wrong_engine_list_says_what_is_expected(text):
    with pytest.raises(EngineConfigError, match="language=engine"):
        parse_engines(text)


def test_one_whisper_engine_serves_both_languages_and_refuses_others(tmp_path):
    settings = IvrSettings(whisper_model=tmp_path / "not-installed", speech_engines=None, vosk_model=None)
    engines = build_engines(settings)
    assert engines.engine("zh") is engines.engine("en-GB")
    assert engines.engine("ko") is None and len(engines.engines) == 1
    assert not engines.supports("zh")  # not loaded
    with pytest.raises(ModelUnavailable, match="language 'ko'"):
        engines.new_decoder(8000, language="ko")


async def test_a_missing_model_leaves_a_clear_error_and_no_engine_ready(tmp_path):
    engines = build_engines(IvrSettings(whisper_model=tmp_path / "gone", vosk_model=None))
    await engines.load()
    assert not engines.ready and not engines.supports("zh")
    assert "does not exist" in engines.error and "hotline models install" in engines.error


@pytest.mark.parametrize(("raw", "clean"), [
    ("甚至出现交易几乎停滞的情况。", "甚至出现交易几乎停滞的情况"),
    (" 晚上工地，施工噪音很大！", "晚上工地施工噪音很大"),
    (" There's loud construction noise at night.", "there's loud construction noise at night"),
    ("我住在 Futian 区。", "我住在 futian 区"),
    ("...", ""),
])
def test_whisper_text_is_cleaned_like_vosk_output(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(("reference", "hypothesis", "rate"), [
    ("甚至出现交易几乎停滞的情况", "甚至出现交易几乎停滞的情况", 0.0),
    ("甚至出现交易几乎停滞的情况", "甚至出现交易几乎停制的情况", 1 / 13),
    ("甚至出现交易几乎停滞的情况", "甚至出现交易停滞的情况", 2 / 13),
    ("abc", "", 1.0),
    ("ab", "a b c", 0.5),
])
def test_character_error_rate(reference, hypothesis, rate):
    assert cer(reference, hypothesis) == pytest.approx(rate)


def test_whisper_mandarin_is_written_in_simplified_characters():
    assert simplified("貨物堆在樓道裡，頭髮都是灰") == "货物堆在楼道里，头发都是灰"
    assert simplified(MANDARIN_REFERENCE) == MANDARIN_REFERENCE  # simplified text stays as it is
    assert simplified("road works at night") == "road works at night"
