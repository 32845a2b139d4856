"""The weekly 热点分析 view as report tables: top categories, rising words, streets × categories, spikes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Category, Street
from ticketing.report import topics
from ticketing.report.tables import NAME, Column, Table
from ticketing.sla import WorkCalendar

CATEGORY_COLUMNS = (Column("rank", "排名", "Rank"), *NAME, Column("cases", "本周工单", "This week"),
                    Column("last_week", "上周工单", "Last week"), Column("change_pct", "环比", "Change", "%"))
WORD_COLUMNS = (Column("word", "词语", "Word"), Column("cases", "本周涉及工单", "Cases this week"),
                Column("usual", "往周平均", "Usual per week"), Column("ratio", "增长倍数", "Times usual"))
SPIKE_COLUMNS = (*NAME, Column("category", "类别", "Category"), Column("cases", "本周工单", "This week"),
                 Column("usual", "往周平均", "Usual per week"))


@dataclass(frozen=True)
class HotTopics:
    """The four tables of one week, and the heat map's grid for the chart."""

    week: str
    categories: Table
    words: Table
    heat: Table
    spikes: Table
    grid_rows: list[str]
    grid_columns: list[str]
    grid: list[list[int]]

    def tables(self) -> list[Table]:
        """Return the tables in page order."""
        return [self.spikes, self.categories, self.words, self.heat]


def _names(session: Session, model) -> dict[Any, tuple[str, str]]:
    return {r.id: (r.name_zh, r.name_en or r.name_zh) for r in session.execute(
        select(model.id, model.name_zh, model.name_en))} | {None: ("未填", "None")}


def build(session: Session, calendar: WorkCalendar, rules: topics.HotTopicRules, day: date,
          cut=topics.jieba_cut) -> HotTopics:
    """Return the hot topics of the week holding DAY, against the baseline weeks before it."""
    monday = topics.monday_of(day)
    first = monday - timedelta(weeks=rules.baseline_weeks)
    counts = topics.weekly_counts(session, calendar, first, monday)
    week = topics.week_number(monday)
    streets, categories = _names(session, Street), _names(session, Category)
    label = f"{monday.isoformat()} – {(monday + timedelta(days=6)).isoformat()}"
    by_category = _per_category(counts, week)
    category_table = _category_table(by_category, _per_category(counts, week - 1), categories, rules, label)
    heat_table, grid = _heat(counts, week, by_category, streets, categories, rules, label)
    return HotTopics(label, category_table, _word_table(session, calendar, rules, monday, cut, label),
                     heat_table, _spike_table(rules, counts, week, streets, categories, label),
                     grid_rows=[r["name_zh"] for r in heat_table.rows],
                     grid_columns=[c.zh for c in heat_table.columns[2:]], grid=grid)


def _per_category(counts: dict, week: int) -> Counter:
    per: Counter = Counter()
    for (w, _street, category), n in counts.items():
        if w == week:
            per[category] += n
    return per


def _category_table(now: Counter, before: Counter, names, rules, label: str) -> Table:
    rows = []
    for rank, (category, n) in enumerate(now.most_common(rules.top_categories), start=1):
        last = before.get(category, 0)
        change = round(100.0 * (n - last) / last, 1) if last else None
        zh, en = names.get(category, names[None])
        rows.append({"rank": rank, "key": category, "name_zh": zh, "name_en": en, "cases": n,
                     "last_week": last, "change_pct": change})
    return Table("topics-categories", "本周热点类别", "Top categories this week", label, CATEGORY_COLUMNS,
                 rows)


def _word_table(session, calendar, rules, monday: date, cut, label: str) -> Table:
    this_week = topics.words_per_case(topics.week_texts(session, calendar, monday), cut, rules.stopwords)
    before: Counter = Counter()
    weeks = min(rules.baseline_weeks, 4)  # segmenting is the costly part: four earlier weeks are enough
    for k in range(1, weeks + 1):
        texts = topics.week_texts(session, calendar, monday - timedelta(weeks=k))
        before.update(topics.words_per_case(texts, cut, rules.stopwords))
    rows = topics.rising(rules, this_week, before, weeks)
    return Table("topics-words", "上升热词", "Rising words", label, WORD_COLUMNS, rows)


def _heat(counts: dict, week: int, by_category: Counter, streets, categories, rules, label: str):
    top = [c for c, _ in by_category.most_common(rules.heat_categories)]
    columns = [*NAME, *(Column(f"c{i}", *categories.get(c, categories[None])) for i, c in enumerate(top))]
    rows, grid = [], []
    placed = {s for (w, s, _c) in counts if w == week}
    for street in sorted(placed, key=lambda s: streets.get(s, ("",))[0]):
        cells = [counts.get((week, street, c), 0) for c in top]
        zh, en = streets.get(street, streets[None])
        rows.append({"name_zh": zh, "name_en": en, **{f"c{i}": n for i, n in enumerate(cells)}})
        grid.append(cells)
    table = Table("topics-heat", "街道 × 类别热力图", "Streets × categories", label, tuple(columns), rows)
    return table, grid


def _spike_table(rules, counts, week: int, streets, categories, label: str) -> Table:
    rows = []
    for spike in topics.spikes(rules, counts, week):
        street = streets.get(spike.street, streets[None])
        category = categories.get(spike.category, categories[None])
        rows.append({"name_zh": street[0], "name_en": street[1], "category": f"{category[0]} / {category[1]}",
                     "cases": spike.count, "usual": spike.usual})
    return Table("topics-spikes", "异常升高预警", "Spike alerts", label, SPIKE_COLUMNS, rows)
