"""考核 scoring and grading as a pure function of a bureau's figures and the district's rules."""

from __future__ import annotations

import pytest

from ticketing.config import Settings
from ticketing.report.assessment import AssessmentError, load_assessment, parse_assessment, rank, score

RULES = load_assessment(Settings().dataset_dir)


@pytest.mark.parametrize("figures, expected", [
    ({"acknowledged_on_time_pct": 100, "resolved_on_time_pct": 100, "satisfaction_pct": 100,
      "returned_pct": 0, "reopened_pct": 0}, 100.0),
    ({"acknowledged_on_time_pct": 80, "resolved_on_time_pct": 90, "satisfaction_pct": 70,
      "returned_pct": 10, "reopened_pct": 20}, 80.5),  # 12 + 27 + 24.5 + 9 + 8
    # nobody rated nor reopened yet: those 45 points are left out, the other 55 scaled to 100
    ({"acknowledged_on_time_pct": 100, "resolved_on_time_pct": 50, "satisfaction_pct": None,
      "returned_pct": 0, "reopened_pct": None}, 72.7),  # (15 + 15 + 10) / (15 + 30 + 10) * 100
])
def test_score_is_the_weighted_mean_of_the_measurable_figures(figures, expected):
    assert score(RULES, figures) == expected


def test_score_without_any_figure_is_none():
    assert score(RULES, {"received": 3}) is None


def test_rank_grades_orders_and_leaves_small_bureaus_ungraded():
    rows = [
        {"name_zh": "甲", "received": 10, "acknowledged_on_time_pct": 100, "resolved_on_time_pct": 100,
         "satisfaction_pct": 95, "returned_pct": 0, "reopened_pct": 0},
        {"name_zh": "乙", "received": 10, "acknowledged_on_time_pct": 50, "resolved_on_time_pct": 60,
         "satisfaction_pct": 60, "returned_pct": 30, "reopened_pct": 20},
        {"name_zh": "丙", "received": 2, "acknowledged_on_time_pct": 100, "resolved_on_time_pct": 100,
         "satisfaction_pct": 100, "returned_pct": 0, "reopened_pct": 0},
    ]
    ranked = rank(RULES, rows)
    assert [(r["name_zh"], r["rank"], r["grade"]) for r in ranked] == [
        ("甲", 1, "A"), ("乙", 2, "D"), ("丙", None, None)]
    assert ranked[0]["grade_zh"] == "优秀"


@pytest.mark.parametrize("raw, problem", [
    ({"weights": {}, "grades": [{"grade": "A", "min_score": 0}]}, "at least one figure"),
    ({"weights": {"satisfaction_pct": {"points": 10}}, "grades": [{"grade": "A", "min_score": 60}]},
     "min_score 0"),
    ({"weights": {"satisfaction_pct": {}}, "grades": []}, "malformed"),
])
def test_a_wrong_assessment_file_is_refused_with_the_reason(raw, problem):
    with pytest.raises(AssessmentError, match=problem):
        parse_assessment(raw)
