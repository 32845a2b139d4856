"""Results built from vosk's JSON and joined for Chinese and spaced languages."""

import json

import pytest

from ivr.speech.results import ListenReason, SpeechResult, join_words


@pytest.mark.parametrize(("words", "text"), [
    (["施工", "噪音", "很大"], "施工噪音很大"),
    (["noise", "at", "night"], "noise at night"),
    (["小区", "wifi", "没有"], "小区 wifi 没有"),
    (["소음", "문제"], "소음 문제"),
    ([], ""),
])
def test_join_words(words, text):
    assert join_words(words) == text


def test_from_vosk_averages_word_confidence():
    raw = json.dumps({"result": [{"word": "施工", "start": 0.1, "end": 0.5, "conf": 0.9},
                                 {"word": "噪音", "start": 0.5, "end": 0.9, "conf": 0.5}],
                      "text": "施工 噪音"})
    result = SpeechResult.from_vosk(raw, ListenReason.FINAL)
    assert (result.text, result.confidence, len(result.words)) == ("施工噪音", 0.7, 2)


@pytest.mark.parametrize(("reason", "text", "usable"), [
    (ListenReason.FINAL, "네", True), (ListenReason.TIMEOUT, "네", True), (ListenReason.FINAL, "", False),
    (ListenReason.HANGUP, "네", False), (ListenReason.LOW_CONFIDENCE, "네", False),
])
def test_usable(reason, text, usable):
    assert SpeechResult(text, 1.0, reason).usable is usable
