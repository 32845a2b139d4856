"""Routing by words: segmentation boundaries, negation, urgency signs and their explanation."""

from __future__ import annotations

import pytest

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import load_dataset
from ticketing.routing import KeywordMatcher, RoutingRequest, route
from ticketing.routing.keywords import normalise
from ticketing.routing.words import Segmenter


@pytest.fixture(scope="module")
def futian():
    """The Futian sample, loaded once for the module."""
    return load_dataset(PACKAGE_DATA / "futian")


@pytest.fixture(scope="module")
def segmenter():
    """A segmenter knowing a few words of its own."""
    return Segmenter(["车公庙", "施工噪音", "营业执照"], ["不是", "not"])


@pytest.mark.parametrize("text, expected", [
    ("工厂偷偷排放", {"排放"}),  # 偷 is not inside 偷偷
    ("电动车被偷了", {"偷"}),
    ("车公庙的路口", {"路口"}),  # the place name is one word: no 车
    ("夜间施工噪音", {"施工噪音"}),  # the compound wins over its parts
    ("没有营业执照", {"营业执照"}),  # 没有 is not a negation
    ("不是工地的噪音", {"噪音"}),  # 工地 follows 不是
    ("不是工地，是噪音", {"噪音"}),
    ("noise, not a building site", {"noise"}),
    ("the bins have not been emptied", {"bin", "emptied"}),  # a negation reaches one word (and an article)
])
def test_keywords_count_on_word_boundaries_and_not_after_a_negation(segmenter, text, expected):
    matcher = KeywordMatcher((owner, kw, 1.0) for owner, kw in [
        ("a", "偷"), ("a", "排放"), ("b", "车"), ("b", "路口"), ("c", "施工"), ("c", "施工噪音"),
        ("d", "营业执照"), ("e", "工地"), ("e", "噪音"), ("f", "noise"), ("f", "building site"),
        ("g", "bin"), ("g", "emptied"),
    ])
    folded = normalise(text)
    hits, _ = matcher.spot(text, folded, segmenter.segment(folded))
    assert {hit.keyword for hit in hits} == expected


def test_segmentation_is_reproducible(segmenter):
    text = normalise("楼上邻居每天晚上开派对，音乐声音很大，严重扰民")
    assert segmenter.segment(text) == segmenter.segment(text)


@pytest.mark.parametrize("text, reason", [
    ("井盖丢了，很危险", "open manhole"),
    ("楼道里一股煤气味", "gas leak"),
    ("小区里有辆电动车着火了", "fire"),
    ("暴雨后积水淹到膝盖", "deep flooding"),
    ("独居老人好多天没出门", "elderly person alone"),
    ("There is a manhole cover missing on our street", "open manhole"),
])
def test_urgency_signs(futian, text, reason):
    decision = route(futian, RoutingRequest(text))
    assert decision.urgent and reason in [sign.reason for sign in decision.urgency]
    assert f"urgent: {reason}" in decision.explanation and decision.explanation.endswith(".")


@pytest.mark.parametrize("text", ["井盖有点松", "有人问燃气费怎么交", "家里的孩子想上学"])
def test_no_urgency_without_every_part_of_a_sign(futian, text):
    decision = route(futian, RoutingRequest(text))
    assert not decision.urgency


def test_negated_keywords_are_explained(futian):
    decision = route(futian, RoutingRequest("不是工地施工，是楼上邻居装修", street="lianhua"))
    assert decision.category == "noise-neighbourhood"
    assert "not counting “工地” after “不是”" in decision.explanation


@pytest.mark.parametrize("text, expected", [
    ("燃气大厦门口有人摆摊", {"摆摊"}),  # 燃气 inside a building's name is an address
    ("学校路的路灯坏了", {"路灯"}),
    ("住在公安局宿舍，楼上很吵", {"吵"}),
    ("燃气泄漏了", {"燃气"}),  # the word itself still counts
    ("学校门口的路灯坏了", {"学校", "路灯"}),  # 门口 is no place suffix
])
def test_words_inside_a_place_name_do_not_count(text, expected):
    segmenter = Segmenter(["路灯", "摆摊"], ["不是"])
    matcher = KeywordMatcher((owner, kw, 1.0) for owner, kw in [
        ("a", "燃气"), ("b", "摆摊"), ("c", "学校"), ("d", "路灯"), ("e", "公安局"), ("f", "吵")])
    hits, _ignored = matcher.spot(text, normalise(text), segmenter.segment(normalise(text)))
    assert {hit.keyword for hit in hits} == expected


def test_a_negation_of_several_characters_is_one_word():
    segmenter = Segmenter(["物业"], ["不属于", "并不是"])
    for text in ("不属于物业的事", "并不是物业的事"):
        segmentation = segmenter.segment(normalise(text))
        assert segmentation.words[0][0] in ("不属于", "并不是")
        assert segmentation.negation(segmentation.words[1][1]) == segmentation.words[0][0]
