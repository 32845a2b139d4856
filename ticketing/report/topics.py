"""热点分析: the week's top categories, rising words, streets × categories, and spike alerts.

Counts come from SQL grouped by local week; the decisions (what is a spike, which words rise) are pure
functions over plain counts, with their thresholds as data (hot_topics.yaml beside sla.yaml).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.case.models import Case
from ticketing.report import working
from ticketing.report.figures import prepare
from ticketing.sla import WorkCalendar

FILE = "hot_topics.yaml"
MAX_TEXTS = 50_000  # descriptions segmented per week at most
WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+$")


class HotTopicsError(ValueError):
    """The hot-topics file is wrong."""


@dataclass(frozen=True)
class HotTopicRules:
    """Thresholds of the weekly view."""

    baseline_weeks: int = 8
    spike_factor: float = 3.0
    spike_min_cases: int = 5
    top_categories: int = 10
    heat_categories: int = 8
    rising_min_cases: int = 3
    rising_factor: float = 2.0
    rising_words: int = 15
    stopwords: frozenset[str] = field(default_factory=frozenset)


@lru_cache(maxsize=8)
def rules_for(directory: Path) -> HotTopicRules:
    """Return the district's hot-topic rules, read once per data directory."""
    return load_rules(directory)


def load_rules(directory: Path) -> HotTopicRules:
    """Read DIRECTORY/hot_topics.yaml (the defaults when missing)."""
    path = Path(directory) / FILE
    if not path.exists():
        return HotTopicRules()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        numbers = {k: type(getattr(HotTopicRules, k))(v) for k, v in raw.items() if k != "stopwords"
                   and k in HotTopicRules.__dataclass_fields__}
        rules = HotTopicRules(**numbers, stopwords=frozenset(str(w) for w in raw.get("stopwords") or []))
    except (yaml.YAMLError, TypeError, ValueError) as err:
        raise HotTopicsError(f"{path}: {err}") from err
    if rules.baseline_weeks < 1 or rules.spike_factor <= 1 or rules.rising_factor <= 1:
        raise HotTopicsError(f"{path}: baseline_weeks >= 1, spike_factor and rising_factor > 1")
    return rules


# ---- weeks ------------------------------------------------------------------------------------------
def monday_of(day: date) -> date:
    """Return the Monday of DAY's week."""
    return day - timedelta(days=day.weekday())


def week_number(day: date) -> int:
    """Return the week's number as SQL computes it: (days since 1970-01-01 + 3) // 7, Monday-based."""
    return ((day - working.EPOCH).days + 3) // 7


def _midnight(day: date, calendar: WorkCalendar) -> datetime:
    return datetime.combine(day, time(), calendar.timezone)


# ---- counts (SQL) -----------------------------------------------------------------------------------
def weekly_counts(session: Session, calendar: WorkCalendar, first_week: date, last_week: date
                  ) -> dict[tuple[int, Any, Any], int]:
    """Return {(week number, street id, category id): cases} from FIRST_WEEK's Monday to LAST_WEEK's end."""
    start, end = _midnight(first_week, calendar), _midnight(last_week + timedelta(days=7), calendar)
    table = working.DayTable(first_week, (), working.fixed_offset(calendar, first_week, last_week))
    week = (working.day_of(calendar, table, Case.created_at) + 3) // 7
    query = (select(week.label("week"), Case.street_id, Case.category_id, func.count().label("n"))
             .where(Case.created_at >= start, Case.created_at < end, Case.merged_into_id.is_(None))
             .group_by(week, Case.street_id, Case.category_id))
    prepare(session)
    return {(int(r.week), r.street_id, r.category_id): int(r.n) for r in session.execute(query)}


def week_texts(session: Session, calendar: WorkCalendar, monday: date) -> list[str]:
    """Return the descriptions of the cases received in the week starting MONDAY (at most MAX_TEXTS)."""
    start = _midnight(monday, calendar)
    end = start + timedelta(days=7)
    query = (select(Case.description).limit(MAX_TEXTS)
             .where(Case.created_at >= start, Case.created_at < end, Case.merged_into_id.is_(None)))
    return list(session.scalars(query))


# ---- decisions (pure) -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spike:
    """One street's category far above its usual weekly count."""

    street: Any
    category: Any
    count: int
    usual: float


def spikes(rules: HotTopicRules, counts: dict[tuple[int, Any, Any], int], week: int) -> list[Spike]:
    """Return the (street, category) pairs of WEEK at least spike_factor × their mean of the weeks before."""
    found = []
    for (w, street, category), count in counts.items():
        if w != week or count < rules.spike_min_cases:
            continue
        before = [counts.get((week - k, street, category), 0) for k in range(1, rules.baseline_weeks + 1)]
        usual = sum(before) / len(before)
        if count >= rules.spike_factor * max(usual, 1.0):
            found.append(Spike(street, category, count, round(usual, 1)))
    return sorted(found, key=lambda s: (-s.count / max(s.usual, 1.0), -s.count))


def words_per_case(texts: Iterable[str], cut: Callable[[str], list[str]],
                   stopwords: frozenset[str]) -> Counter:
    """Return in how many texts each word appears (words of two or more characters, no stop words)."""
    counts: Counter = Counter()
    for text in texts:
        counts.update({w for w in cut(text) if WORD.match(w) and w not in stopwords})
    return counts


def rising(rules: HotTopicRules, this_week: Counter, before: Counter,
           weeks_before: int) -> list[dict[str, Any]]:
    """Return the words in many more of this week's cases than in an average week before, top first."""
    rows = []
    for word, count in this_week.items():
        usual = before.get(word, 0) / max(weeks_before, 1)
        if count >= rules.rising_min_cases and count >= rules.rising_factor * max(usual, 1.0):
            rows.append({"word": word, "cases": count, "usual": round(usual, 1),
                         "ratio": round(count / max(usual, 1.0), 1)})
    rows.sort(key=lambda r: (-r["ratio"], -r["cases"], r["word"]))
    return rows[: rules.rising_words]


def jieba_cut(text: str) -> list[str]:
    """Segment Chinese text into words with jieba (the same segmenter the case desk routes with)."""
    import jieba

    return jieba.lcut(text)
