"""考核: a bureau's score from its monthly figures with the district's weights, and its A–D grade.

Weights and grades are data (assessment.yaml beside sla.yaml); scoring is a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

FILE = "assessment.yaml"


class AssessmentError(ValueError):
    """The assessment file is missing or wrong."""


@dataclass(frozen=True)
class Weight:
    """Points of one figure; lower_is_better for rates such as returned % (100 - rate counts)."""

    figure: str
    points: float
    lower_is_better: bool = False


@dataclass(frozen=True)
class Grade:
    """A grade reached from min_score upwards."""

    grade: str
    min_score: float
    zh: str
    en: str


@dataclass(frozen=True)
class Assessment:
    """The district's assessment rules."""

    weights: tuple[Weight, ...]
    grades: tuple[Grade, ...]
    min_cases: int = 5


def load_assessment(directory: Path) -> Assessment:
    """Read DIRECTORY/assessment.yaml; AssessmentError naming the problem otherwise."""
    path = Path(directory) / FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise AssessmentError(f"{path}: {err}") from err
    return parse_assessment(raw, str(path))


@lru_cache(maxsize=8)
def rules_for(directory: Path) -> Assessment:
    """Return the district's rules, read once per data directory."""
    return load_assessment(directory)


def parse_assessment(raw: dict[str, Any], where: str = FILE) -> Assessment:
    """Build the rules from the file's mapping, checking every entry."""
    try:
        weights = tuple(Weight(name, float(spec["points"]), bool(spec.get("lower_is_better", False)))
                        for name, spec in (raw.get("weights") or {}).items())
        grades = tuple(Grade(str(g["grade"]), float(g["min_score"]), str(g.get("zh", g["grade"])),
                             str(g.get("en", g["grade"]))) for g in raw.get("grades") or [])
        min_cases = int(raw.get("min_cases", 5))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise AssessmentError(f"{where}: malformed weights or grades ({err})") from err
    if not weights or any(w.points <= 0 for w in weights):
        raise AssessmentError(f"{where}: weights need at least one figure, each with points > 0")
    if not grades or min(g.min_score for g in grades) > 0:
        raise AssessmentError(f"{where}: grades must include one reached from min_score 0")
    ordered = tuple(sorted(grades, key=lambda g: -g.min_score))
    return Assessment(weights=weights, grades=ordered, min_cases=min_cases)


def score(rules: Assessment, figures: dict[str, Any]) -> float | None:
    """Return the score out of 100 from a row's figures (None when no weighted figure is measurable)."""
    earned = possible = 0.0
    for weight in rules.weights:
        value = figures.get(weight.figure)
        if value is None:
            continue
        value = 100.0 - value if weight.lower_is_better else value
        earned += weight.points * value / 100.0
        possible += weight.points
    return round(100.0 * earned / possible, 1) if possible else None


def grade(rules: Assessment, points: float | None) -> Grade | None:
    """Return the grade the score reaches, None without a score."""
    if points is None:
        return None
    return next(g for g in rules.grades if points >= g.min_score)


def rank(rules: Assessment, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows with score, grade and rank, best first; rows under min_cases are last, ungraded."""
    scored = []
    for row in rows:
        graded = row["received"] >= rules.min_cases
        points = score(rules, row) if graded else None
        found = grade(rules, points)
        scored.append({**row, "score": points, "grade": found.grade if found else None,
                       "grade_zh": found.zh if found else None, "grade_en": found.en if found else None})
    scored.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name_zh"]))
    for position, row in enumerate(scored, start=1):
        row["rank"] = position if row["score"] is not None else None
    return scored
