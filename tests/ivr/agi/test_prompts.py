"""`hotline prompts build`: what is planned; real espeak-ng + sox output (8 kHz mono, rebuilt on change)."""

from __future__ import annotations

import wave

import pytest

from ivr.agi import prompts
from ivr.agi.menu import parse_menu
from ticketing.config import Settings
from ticketing.dataset import load_dataset

MENU = """\
languages: [zh, en]
start: bye
dialplan_prompts: {recording-notice: notice}
defaults: {invalid_prompt: bye, no_input_prompt: bye}
nodes:
  bye: {type: hangup, prompt: bye}
prompts:
  bye: {zh: 再见, en: goodbye}
  notice: {zh: 通话将被录音, en: this call is recorded}
"""


@pytest.mark.parametrize(("language", "pid", "text"), [
    ("zh", "digit_0", "零"), ("zh", "number_10", "十"), ("zh", "number_42", "四十二"),
    ("zh", "number_20", "二十"),
    ("en", "digit_7", "seven"), ("en", "number_13", "thirteen"), ("en", "number_99", "ninety-nine"),
    ("en", "number_40", "forty"),
])
def test_builtin_numbers(language, pid, text):
    assert prompts.builtin_texts(language)[pid] == text


def test_plan_covers_menu_bureaus_dialplan_and_overrides(tmp_path):
    overrides = tmp_path / "overrides"
    (overrides / "en").mkdir(parents=True)
    (overrides / "en" / "bye.wav").write_bytes(b"RIFF")
    dataset = load_dataset(Settings().dataset_dir)
    jobs = {job.target.relative_to(tmp_path / "out").as_posix(): job
            for job in prompts.plan([parse_menu(MENU)], tmp_path / "out", overrides, dataset)}
    assert jobs["zh/bye.wav"].parts == (("zh", "再见"),) and jobs["zh/bye.wav"].override is None
    assert jobs["en/bye.wav"].override == overrides / "en" / "bye.wav"
    assert jobs["zh/bureau_police.wav"].parts == (("zh", "福田公安分局"),)
    assert jobs["en/bureau_none.wav"].parts == (("en", "not yet assigned"),)
    assert jobs["recording-notice.wav"].parts == (("zh", "通话将被录音"), ("en", "this call is recorded"))
    assert len([name for name in jobs if name.startswith("en/number_")]) == 100


def test_build_writes_8khz_mono_and_only_rebuilds_changes(tmp_path):
    out = tmp_path / "out"
    jobs = [job for job in prompts.plan([parse_menu(MENU)], out, tmp_path / "none", None)
            if job.target.name in ("bye.wav", "recording-notice.wav")]
    heard = []
    assert prompts.build(jobs, out, progress=lambda done, total, job: heard.append((done, total))) == (3, 0)
    assert heard == [(1, 3), (2, 3), (3, 3)]  # `hotline prompts build` shows each file as it is written
    with wave.open(str(out / "zh" / "bye.wav")) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 800
    assert prompts.build(jobs, out) == (0, 3)
    changed = prompts.plan([parse_menu(MENU.replace("goodbye", "bye now"))], out, tmp_path / "none", None)
    assert prompts.build([j for j in changed if j.target.name == "bye.wav"], out) == (1, 1)


def test_override_wins(tmp_path):
    out, overrides = tmp_path / "out", tmp_path / "overrides"
    (overrides / "zh").mkdir(parents=True)
    with wave.open(str(overrides / "zh" / "bye.wav"), "wb") as audio:  # a recorded 16 kHz file
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(16000)
        audio.writeframes(b"\x10\x00" * 16000)
    planned = prompts.plan([parse_menu(MENU)], out, overrides, None)
    jobs = [j for j in planned if j.target == out / "zh/bye.wav"]
    prompts.build(jobs, out)
    with wave.open(str(out / "zh" / "bye.wav")) as audio:
        assert (audio.getframerate(), audio.getnframes()) == (8000, 8000)


def test_missing_tool_is_a_clear_error(tmp_path, monkeypatch):
    # PATH without espeak-ng: the environment is the input under test, no mock involved.
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(prompts.PromptError, match="missing espeak-ng, sox"):
        prompts.build([], tmp_path)


def test_dialplan_prompt_uses_the_languages_it_has(tmp_path):
    text = MENU.replace("notice: {zh: 通话将被录音, en: this call is recorded}", "notice: {zh: 录音}")
    planned = prompts.plan([parse_menu(text)], tmp_path, tmp_path, None)
    job = next(j for j in planned if j.target.name == "recording-notice.wav")
    assert job.parts == (("zh", "录音"),)
