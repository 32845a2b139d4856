"""Routing engine: a table of real-sounding complaints, fallbacks, determinism and keyword matching."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import load_dataset
from ticketing.routing import (
    KeywordMatcher,
    RoutingError,
    RoutingRequest,
    describe,
    route,
    suggest_category,
)
from ticketing.routing.keywords import stem

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASES = yaml.safe_load((Path(__file__).parent / "routing_cases.yaml").read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def futian():
    """The Futian sample, loaded once for the module."""
    return load_dataset(PACKAGE_DATA / "futian")


def request_of(case: dict) -> RoutingRequest:
    """Build the routing request a table row describes."""
    at = datetime.strptime(case["at"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI) if "at" in case else None
    return RoutingRequest(text=case["text"], category=case.get("given"), street=case.get("street"), at=at)


def test_table_is_large_and_bilingual():
    english = [c for c in CASES if c["text"].isascii()]
    assert len(CASES) >= 60
    assert len(english) >= 20 and len(CASES) - len(english) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:24] for c in CASES])
def test_route_table(futian, case):
    decision = route(futian, request_of(case))
    got = (decision.category, decision.bureau, decision.rule, decision.urgent)
    expected = (case["category"], case["bureau"], case["rule"], case.get("urgent", False))
    assert got == expected, decision.explanation


@pytest.mark.parametrize("case", CASES[::7], ids=[c["text"][:24] for c in CASES[::7]])
def test_explanation_is_one_sentence_naming_the_bureau(futian, case):
    decision = route(futian, request_of(case))
    explanation = decision.explanation
    assert explanation.endswith(".") and explanation.count(". ") == 0 and "\n" not in explanation
    assert futian.bureaus[decision.bureau].name_en in explanation


def test_explanation_quotes_the_chinese_keywords(futian):
    at = datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI)
    decision = route(futian, RoutingRequest("隔壁工地晚上施工打桩", at=at))
    assert "“工地”" in decision.explanation and "at 23:30" in decision.explanation


@pytest.mark.parametrize("case", CASES[::5], ids=[c["text"][:24] for c in CASES[::5]])
def test_explanation_in_each_language_names_things_not_codes(futian, case):
    decision = route(futian, request_of(case))
    codes = {*futian.categories, *futian.streets, *futian.bureaus}
    zh = describe(futian, decision.reason, "zh")
    en = describe(futian, decision.reason, "en")
    assert en == decision.explanation
    assert zh.endswith("。") and "分派至" + futian.bureaus[decision.bureau].name_zh in zh
    assert all(rule.reason_zh for rule in futian.rules)
    # English may say "police" or "noise" as words; a dashed code, or any code in Chinese, may not.
    # The caller's own words are quoted as said (“flooding”): those are not codes.
    for sentence, suspects in ((zh, codes), (en, {c for c in codes if "-" in c})):
        unquoted = re.sub(r"“[^”]*”", "", sentence)
        found = [c for c in suspects if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", unquoted)]
        assert not found, sentence
    assert not re.search(r"(category|street) [a-z-]+[,):]", en), en
    if decision.category:
        assert f"“{futian.categories[decision.category].name_zh}”" in zh
    if case.get("street"):
        assert futian.streets[case["street"]].name_zh in zh
    for sign in decision.urgency:
        assert "紧急：" + sign.reason_zh in zh


def test_chinese_explanation_quotes_the_words_and_the_time(futian):
    at = datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI)
    decision = route(futian, RoutingRequest("隔壁工地晚上施工打桩", at=at))
    zh = describe(futian, decision.reason, "zh")
    assert zh.startswith("夜间（22:00–06:00）施工噪声由生态环境局执法")
    assert "“工地”" in zh and "时间 23:30" in zh and "分派至生态环境局福田管理局" in zh


def test_night_window_edges(futian):
    def bureau_at(hour: int, minute: int) -> str:
        at = datetime(2026, 3, 10, hour, minute, tzinfo=SHANGHAI)
        return route(futian, RoutingRequest("楼上邻居噪音扰民", street="huafu", at=at)).bureau

    assert [bureau_at(21, 59), bureau_at(22, 0), bureau_at(5, 59), bureau_at(6, 0)] == [
        "street-huafu", "police", "police", "street-huafu"]


def test_time_rules_need_a_time(futian):
    decision = route(futian, RoutingRequest("楼上邻居噪音扰民", street="huafu"))
    assert decision.rule == "category-default" and decision.bureau == "street-huafu"


def test_time_is_converted_to_the_district_timezone(futian):
    utc_evening = datetime(2026, 3, 10, 15, 30, tzinfo=ZoneInfo("UTC"))  # 23:30 in Shenzhen
    assert route(futian, RoutingRequest("楼上邻居噪音扰民", at=utc_evening)).bureau == "police"


def test_given_category_has_full_confidence(futian):
    decision = route(futian, RoutingRequest("路灯不亮", category="litter"))
    assert (decision.category, decision.confidence, decision.matched) == ("litter", 1.0, ())


def test_confidence_grows_with_evidence(futian):
    weak = route(futian, RoutingRequest("有点吵"))
    strong = route(futian, RoutingRequest("楼上邻居噪音扰民，半夜吵闹"))
    assert 0 < weak.confidence < strong.confidence <= 1
    assert route(futian, RoutingRequest("你好")).confidence == 0.0


@pytest.mark.parametrize("field, request_", [
    ("category", RoutingRequest("x", category="no-such-category")),
    ("street", RoutingRequest("x", street="atlantis")),
])
def test_unknown_codes_are_refused(futian, field, request_):
    with pytest.raises(RoutingError, match=field):
        route(futian, request_)


def test_decisions_are_pure_and_independent_of_dict_order(futian):
    reversed_categories = dict(reversed(list(futian.categories.items())))
    shuffled = dataclasses.replace(futian, categories=reversed_categories)
    for case in CASES:
        request = request_of(case)
        assert route(futian, request) == route(shuffled, request) == route(futian, request)


def test_empty_text_falls_back(futian):
    assert route(futian, RoutingRequest("", street="shatou")).bureau == "street-shatou"
    assert route(futian, RoutingRequest("   ")).bureau == "centre-triage"


# ---- suggest_category --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, code, matched", [
    ("路灯不亮", "street-lights", ("路灯不亮",)),
    ("THE STREETLIGHTS ARE OUT", "street-lights", ("streetlight",)),
    ("Potholes everywhere", "road-damage", ("pothole",)),
    ("our street keeps flooding", "flooding", ("flooding",)),
    ("施工噪音", "noise-construction", ("施工噪音",)),
])
def test_suggest_category(futian, text, code, matched):
    suggestion = suggest_category(futian.categories, text)
    assert suggestion is not None and (suggestion.code, suggestion.matched) == (code, matched)


def test_suggest_nothing(futian):
    assert suggest_category(futian.categories, "今天天气不错 nice weather") is None


def test_ties_break_on_code(futian):
    categories = {code: futian.categories[code] for code in ("litter", "greenery")}
    tied = {
        "litter": dataclasses.replace(categories["litter"], keywords=("共同",), keyword_weights=()),
        "greenery": dataclasses.replace(categories["greenery"], keywords=("共同",), keyword_weights=()),
    }
    assert suggest_category(tied, "共同").code == "greenery"
    assert suggest_category(dict(reversed(tied.items())), "共同").code == "greenery"


# ---- keyword matching --------------------------------------------------------------------------------
@pytest.mark.parametrize("word, expected", [
    ("lights", "light"), ("buses", "bus"), ("flooding", "flood"), ("flooded", "flood"), ("floods", "flood"),
    ("parking", "parking"), ("noises", "nois"), ("noise", "nois"), ("cities", "city"), ("status", "status"),
    ("bus", "bus"), ("wages", "wage"), ("glass", "glass"),
])
def test_stem(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize("text, expected", [
    ("夜间施工噪音", {"施工噪音", "夜间"}),  # 施工 lies inside 施工噪音 and is dropped
    ("噪音", {"噪音"}),
    ("street lights broken", {"street light"}),
    ("Street   Light", {"street light"}),
    ("the bar next door", {"bar"}),
    ("dog barking", {"barking"}),  # not "bar"
    ("crowbar", set()),  # English keywords match whole words only
    ("有noise问题", {"noise"}),
    ("ＮＯＩＳＥ", {"noise"}),  # full-width letters are folded
])
def test_matcher_spans(text, expected):
    matcher = KeywordMatcher((owner, kw, 1.0) for owner, kw in [
        ("a", "施工"), ("a", "施工噪音"), ("b", "噪音"), ("c", "夜间"), ("d", "street light"), ("e", "bar"),
        ("f", "barking"), ("g", "noise"),
    ])
    assert {hit.keyword for hit in matcher.find(text)} == expected


def test_keywords_none_and_street_conditions(futian):
    from ticketing.dataset import Condition, Rule

    quiet_site = Rule("no-site", "Noise without a site goes to police", Condition(
        categories=("noise",), keywords_none=("工地", "building site")), "police")
    meilin_only = Rule("meilin-litter", "Litter in Meilin goes to its office", Condition(
        categories=("litter",), streets=("meilin",)), "$street")
    dataset = dataclasses.replace(futian, rules=(quiet_site, meilin_only, *futian.rules))
    assert route(dataset, RoutingRequest("邻居噪音")).rule == "no-site"
    assert route(dataset, RoutingRequest("工地噪音")).rule == "category-default"
    assert route(dataset, RoutingRequest("noise from the building sites")).rule == "category-default"
    assert route(dataset, RoutingRequest("垃圾没人清理", street="meilin")).bureau == "street-meilin"
    assert route(dataset, RoutingRequest("垃圾没人清理", street="huafu")).bureau == "urban-mgmt"


def test_a_bureau_to_avoid_passes_the_case_to_the_next_rule(futian):
    """Re-dispatching a returned case: the bureau that returned it is not proposed again."""
    text = "路边垃圾桶满了没人清"
    assert route(futian, RoutingRequest(text=text, street="futian")).bureau == "urban-mgmt"
    other = route(futian, RoutingRequest(text=text, street="futian", avoid=("urban-mgmt",)))
    assert other.bureau == "street-futian" and other.rule == "street-office"
    assert route(futian, RoutingRequest(text=text, avoid=("urban-mgmt",))).bureau == futian.triage_bureau
    with pytest.raises(RoutingError):  # every rule names an avoided bureau: no proposal, no crash
        route(futian, RoutingRequest(text=text, avoid=("urban-mgmt", futian.triage_bureau)))
