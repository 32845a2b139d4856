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

    def as_json(self) -> dict[str, Any]:
        """Return the table as the API's JSON."""
        columns = [{"key": c.key, "zh": c.heading("zh"), "en": c.heading("en")} for c in self.columns]
        return {"report": self.name, "title": {"zh": self.title_zh, "en": self.title_en},
                "period": self.period, "columns": columns,
                "rows": self.rows, "total": self.total}


NAME = (Column("name_zh", "名称", "Name (Chinese)"), Column("name_en", "英文名称", "Name (English)"))
CASE_COLUMNS = (
    *NAME,
    Column("received", "受理量", "Received"),
    Column("dispatched", "派单量", "Dispatched"),
    Column("acknowledged_on_time_pct", "按时签收率", "Acknowledged on time", "%"),
    Column("resolved_on_time_pct", "按时办结率", "Resolved on time", "%"),
    Column("returned_pct", "退回率", "Returned", "%"),
    Column("extended_pct", "延期率", "Extended", "%"),
    Column("resolved", "办结量", "Resolved"),
    Column("reopened_pct", "重办率", "Reopened", "%"),
    Column("avg_handling_hours", "平均办理时长", "Average handling time", "工作小时", "working hours"),
    Column("overdue", "超期件数", "Missed a deadline"),
    Column("overdue_now", "当前超期", "Overdue now"),
    Column("urged", "催办次数", "Urged"),
    Column("supervised", "督办件数", "Under supervision"),
    Column("rated", "回访量", "Rated"),
    Column("satisfaction_pct", "满意率", "Satisfaction", "%"),
    Column("direct_answer_pct", "直接办结率", "Answered directly", "%"),
)
QA_COLUMNS = (
    Column("qa_reviewed", "质检通话", "Calls reviewed (QA)"),
    Column("qa_score_pct", "质检得分率", "QA score", "%"),
)
CALL_COLUMNS = (
    *NAME,
    Column("offered", "呼入量", "Offered"),
    Column("answered", "接通量", "Answered"),
    Column("abandoned", "放弃量", "Abandoned"),
    Column("answer_pct", "接通率", "Answer rate", "%"),
    Column("service_level_pct", "服务水平", "Service level", "%"),
    Column("avg_wait_seconds", "平均等待", "Average wait", "秒", "s"),
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
