"""Report tables as plain data: columns with Chinese and English headings, rows of figures, a total line.

The page, the JSON API and the CSV/XLSX exports all read these, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """One column: the figure's key, its headings, and its unit ("%", or Chinese/English words)."""

    key: str
    zh: str
    en: str
    unit: str = ""
    unit_en: str = ""  # the unit in English when it is a word ("" = same as unit)
    group: str = ""  # the heading over several columns on the page (GROUPS), e.g. 时效

    def heading(self, lang: str) -> str:
        """Return the heading in LANG (zh or en), with its unit."""
        text = self.zh if lang == "zh" else self.en
        unit = self.unit if lang == "zh" else (self.unit_en or self.unit)
        return f"{text} ({unit})" if unit else text


@dataclass(frozen=True)
class Table:
    """A finished report table."""

    name: str
    title_zh: str
    title_en: str
    period: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def title(self, lang: str) -> str:
        """Return the title in LANG."""
        return self.title_zh if lang == "zh" else self.title_en

    def heading_rows(self, lang: str) -> tuple[list[tuple[str, int, int]], list[Column]]:
        """Return the page's two heading rows over the columns after the names.

        The upper row is (text, columns spanned, rows spanned): a group's heading over its columns, or an
        ungrouped column's own heading over both rows; the lower row the grouped columns. No column in a
        group: the upper row is every heading and the lower row is empty.
        """
        shown = [c for c in self.columns if c.key not in NAME_KEYS]
        grouped = any(c.group for c in shown)
        upper: list[tuple[str, int, int]] = []
        last = None
        for column in shown:
            if not column.group:
                upper.append((column.heading(lang), 1, 2 if grouped else 1))
            elif column.group == last:
                text, span, rows = upper[-1]
                upper[-1] = (text, span + 1, rows)
            else:
                upper.append((_group_heading(column.group, lang), 1, 1))
            last = column.group
        return upper, [c for c in shown if c.group]

    def as_json(self) -> dict[str, Any]:
        """Return the table as the API's JSON."""
        columns = [{"key": c.key, "zh": c.heading("zh"), "en": c.heading("en")} for c in self.columns]
        return {"report": self.name, "title": {"zh": self.title_zh, "en": self.title_en},
                "period": self.period, "columns": columns,
                "rows": self.rows, "total": self.total}


# The page's upper heading row: a wide table reads by these groups (the exports keep one heading row).
GROUPS = {
    "intake": ("受理", "Intake"), "timeliness": ("时效", "Timeliness"), "handling": ("办理", "Handling"),
    "chasing": ("超期与督办", "Overdue and supervision"), "callback": ("回访", "Callbacks"),
    "centre": ("中心", "Centre"), "qa": ("质检", "Quality review"), "calls": ("话务量", "Calls"),
    "service": ("接通与等待", "Answering"), "outcome": ("办结与满意", "Outcome"),
    "casework": ("退回、延期、催办、督办", "Returns, extensions, chasing"),
}
NAME_KEYS = ("name_zh", "name_en")


def _group_heading(group: str, lang: str) -> str:
    zh, en = GROUPS.get(group, (group, group))
    return zh if lang == "zh" else en


NAME = (Column("name_zh", "名称", "Name (Chinese)"), Column("name_en", "英文名称", "Name (English)"))
CASE_COLUMNS = (
    *NAME,
    Column("received", "受理量", "Received", group="intake"),
    Column("dispatched", "派单量", "Dispatched", group="intake"),
    Column("acknowledged_on_time_pct", "按时签收率", "Acknowledged on time", "%", group="timeliness"),
    Column("resolved_on_time_pct", "按时办结率", "Resolved on time", "%", group="timeliness"),
    Column("returned_pct", "退回率", "Returned", "%", group="handling"),
    Column("extended_pct", "延期率", "Extended", "%", group="handling"),
    Column("resolved", "办结量", "Resolved", group="handling"),
    Column("reopened_pct", "重办率", "Reopened", "%", group="handling"),
    Column("avg_handling_hours", "平均办理时长", "Average handling time", "工作小时", "working hours",
           group="handling"),
    Column("overdue", "超期件数", "Missed a deadline", group="chasing"),
    Column("overdue_now", "当前超期", "Overdue now", group="chasing"),
    Column("urged", "催办次数", "Urged", group="chasing"),
    Column("supervised", "督办件数", "Under supervision", group="chasing"),
    Column("rated", "回访量", "Rated", group="callback"),
    Column("satisfaction_pct", "满意率", "Satisfaction", "%", group="callback"),
    Column("direct_answer_pct", "直接办结率", "Answered directly", "%", group="centre"),
)
QA_COLUMNS = (
    Column("qa_reviewed", "质检通话", "Calls reviewed (QA)", group="qa"),
    Column("qa_score_pct", "质检得分率", "QA score", "%", group="qa"),
)
CALL_COLUMNS = (
    *NAME,
    Column("offered", "呼入量", "Offered", group="calls"),
    Column("answered", "接通量", "Answered", group="calls"),
    Column("abandoned", "放弃量", "Abandoned", group="calls"),
    Column("answer_pct", "接通率", "Answer rate", "%", group="service"),
    Column("service_level_pct", "服务水平", "Service level", "%", group="service"),
    Column("avg_wait_seconds", "平均等待", "Average wait", "秒", "s", group="service"),
)
# The district's months (YYYY-MM) with each month's total line, 退回 to 督办 from the audit trail.
TREND_COLUMNS = (
    Column("month", "月份", "Month"),
    Column("received", "受理量", "Received", group="intake"),
    Column("dispatched", "派单量", "Dispatched", group="intake"),
    Column("resolved_on_time_pct", "按时办结率", "Resolved on time", "%", group="outcome"),
    Column("satisfaction_pct", "满意率", "Satisfaction", "%", group="outcome"),
    Column("returned_pct", "退回率", "Returned", "%", group="casework"),
    Column("extended_pct", "延期率", "Extended", "%", group="casework"),
    Column("urged", "催办次数", "Urged", group="casework"),
    Column("supervised", "督办件数", "Under supervision", group="casework"),
)
ASSESSMENT_COLUMNS = (
    Column("rank", "排名", "Rank"),
    *NAME,
    Column("received", "受理量", "Received"),
    Column("acknowledged_on_time_pct", "按时签收率", "Acknowledged on time", "%"),
    Column("resolved_on_time_pct", "按时办结率", "Resolved on time", "%"),
    Column("returned_pct", "退回率", "Returned", "%"),
    Column("reopened_pct", "重办率", "Reopened", "%"),
    Column("satisfaction_pct", "满意率", "Satisfaction", "%"),
    Column("score", "考核得分", "Score"),
    Column("grade", "等级", "Grade"),
)
