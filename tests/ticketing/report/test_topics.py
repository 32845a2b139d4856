"""热点分析: spikes and rising words as pure decisions; the weekly tables on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from ticketing.config import Settings
from ticketing.report import hot, topics

from .fixtures import add_case, at

RULES = topics.HotTopicRules(baseline_weeks=4, spike_factor=3.0, spike_min_cases=5, rising_min_cases=3,
                             rising_factor=2.0, stopwords=frozenset({"问题"}))
WEEK = 100


@pytest.mark.parametrize("this_week, before, alert", [
    (6, [0, 0, 0, 0], True),      # from nothing to six: a spike
    (4, [0, 0, 0, 0], False),     # under spike_min_cases
    (6, [2, 2, 2, 2], True),      # three times the usual two
    (6, [3, 2, 2, 2], False),     # usual 2.25: 6 is under 3x
])
def test_spike_is_a_street_category_far_above_its_usual_weeks(this_week, before, alert):
    counts = {(WEEK, "s", "c"): this_week, **{(WEEK - k, "s", "c"): n for k, n in enumerate(before, start=1)}}
    found = topics.spikes(RULES, counts, WEEK)
    assert bool(found) is alert
    if found:
        assert (found[0].count, found[0].usual) == (this_week, sum(before) / 4)


def test_rising_words_need_enough_cases_and_growth():
    this_week = Counter({"工地": 8, "路灯": 3, "噪音": 4, "停车": 2})
    before = Counter({"路灯": 8, "噪音": 2})  # over 4 weeks: 2 and 0.5 a week
    rows = topics.rising(RULES, this_week, before, 4)
    assert [r["word"] for r in rows] == ["工地", "噪音"]
    assert rows[0] == {"word": "工地", "cases": 8, "usual": 0.0, "ratio": 8.0}


def test_words_are_counted_once_per_case_without_stop_words_or_single_characters():
    texts = ["工地晚上施工噪音，工地很吵的问题", "工地噪音"]
    counts = topics.words_per_case(texts, topics.jieba_cut, frozenset({"问题"}))
    assert counts["工地"] == 2 and counts["噪音"] == 2
    assert "问题" not in counts and "，" not in counts and "很" not in counts


def test_the_shipped_rules_load():
    rules = topics.load_rules(Settings().dataset_dir)
    assert rules.baseline_weeks == 8 and "反映" in rules.stopwords


def test_weekly_tables_from_the_database(session, dataset):
    # week of Mon 2026-10-19: six noise cases in 南园 (none before) and construction words rising
    for day in (19, 20, 21, 22, 23, 24):
        add_case(session, bureau="environment", street="nanyuan", category="noise",
                 created_at=at(10, day, 22), description="工地夜间施工噪音扰民")
    for week_start in (21, 28):  # earlier weeks: one street-light case each in 福田
        add_case(session, bureau="urban-mgmt", street="futian", category="street-lights",
                 created_at=at(9, week_start, 10), description="路灯不亮")
    add_case(session, bureau="urban-mgmt", street="futian", category="street-lights",
             created_at=at(10, 20, 10), description="路灯不亮")
    view = hot.build(session, dataset.calendar, RULES, date(2026, 10, 22))
    assert view.week == "2026-10-19 – 2026-10-25"
    assert [(r["name_zh"], r["cases"], r["last_week"]) for r in view.categories.rows][:2] == [
        ("噪声扰民", 6, 0), ("路灯照明", 1, 0)]
    (spike,) = view.spikes.rows
    assert (spike["cases"], spike["usual"], spike["category"]) == (6, 0.0, "噪声扰民 / Noise")
    assert spike["name_zh"].startswith("南园")
    assert {r["word"] for r in view.words.rows} >= {"工地", "施工", "噪音"}
    assert "路灯" not in {r["word"] for r in view.words.rows}  # one case: under rising_min_cases
    assert view.grid_columns[:2] == ["噪声扰民", "路灯照明"] and sorted(map(sum, view.grid)) == [1, 6]


def test_topics_over_http(client, headers, session_factory):
    from ticketing.database.core import session_scope

    with session_scope(session_factory) as session:
        for day in (19, 20, 21, 22, 23, 24):
            add_case(session, bureau="environment", street="nanyuan", category="noise",
                     created_at=at(10, day, 22), description="工地夜间施工噪音扰民")
    url, boss = "/api/v1/reports/topics", headers["supervisor"]
    answer = client.get(url, params={"week": "2026-10-21"}, headers=boss)
    assert answer.status_code == 200, answer.text
    tables = {t["report"]: t for t in answer.json()["tables"]}
    assert tables["topics-spikes"]["rows"][0]["cases"] == 6
    spikes = client.get(url, params={"week": "2026-10-21", "format": "csv", "table": "topics-spikes"},
                        headers=boss)
    assert spikes.status_code == 200 and "噪声扰民 / Noise" in spikes.content.decode("utf-8-sig")
    wrong = client.get(url, params={"week": "2026-10-21", "format": "xlsx"}, headers=boss)
    assert wrong.status_code == 422 and "table must be one of" in wrong.text
