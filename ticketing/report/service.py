"""Build the report tables: run the aggregates, name the groups, derive the rates, rank for 考核."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau, Category, Street
from ticketing.report import agents, figures, tables, working
from ticketing.report.assessment import Assessment, rank
from ticketing.report.calls import CALL_COUNTS, call_counts, call_rates, call_total
from ticketing.report.casework import CASEWORK_COUNTS, casework_counts, monthly_totals
from ticketing.report.periods import Period
from ticketing.sla import WorkCalendar
from ticketing.user.models import User

TITLES = {
    "bureau": ("承办单位效能报表", "Performance by bureau"),
    "street": ("街道效能报表", "Performance by street"),
    "category": ("诉求类别报表", "Cases by category"),
    "agent": ("话务员受理报表", "Cases by agent"),
    "queue": ("队列话务报表", "Calls by queue"),
    "call-agent": ("坐席话务报表", "Calls by agent"),
    "assessment": ("承办单位考核排名", "Bureau assessment ranking"),
    "trend": ("月度趋势", "Monthly trend"),
}
NONE_NAMES = {
    "bureau": ("未派单", "Not dispatched"), "street": ("未填街道", "No street"),
    "category": ("未分类", "Uncategorised"), "agent": ("系统", "System"),
    "queue": ("无队列", "No queue"), "call-agent": ("无坐席", "No agent"),
}
MODELS = {"bureau": Bureau, "street": Street, "category": Category}
# Queues are named <group>-<language> (asterisk-config/queues.conf); people read them as words, the same
# words as on the agent's queue choice and the wallboard (agent_console.i18n queue_*, checked by a test).
QUEUE_GROUPS = {"general": ("综合服务", "General"), "urban": ("城市管理", "City management"),
                "safety": ("治安交通", "Safety and traffic"), "livelihood": ("民生服务", "Livelihood"),
                "consumer": ("消费维权", "Consumer")}
QUEUE_LANGUAGES = {"zh": ("普通话", "Mandarin"), "en": ("英语", "English")}


def queue_name(queue: str) -> tuple[str, str]:
    """Return a queue's Chinese and English names: general-zh -> 综合服务（普通话）, General (Mandarin)."""
    group, _, lang = queue.rpartition("-")
    if group in QUEUE_GROUPS and lang in QUEUE_LANGUAGES:
        (gz, ge), (lz, le) = QUEUE_GROUPS[group], QUEUE_LANGUAGES[lang]
        return f"{gz}（{lz}）", f"{ge} ({le})"
    return f"队列 {queue}", f"Queue {queue}"


def names(session: Session, dimension: str, keys: list[Any]) -> dict[Any, tuple[str, str]]:
    """Return {key: (Chinese name, English name)} for the groups of a dimension."""
    found: dict[Any, tuple[str, str]] = {None: NONE_NAMES[dimension]}
    ids = [k for k in keys if k is not None]
    if dimension in MODELS and ids:
        model = MODELS[dimension]
        for row in session.execute(select(model.id, model.name_zh, model.name_en).where(model.id.in_(ids))):
            found[row.id] = (row.name_zh, row.name_en or row.name_zh)
    elif dimension in ("agent", "call-agent") and ids:
        query = select(User.username, User.display_name).where(User.username.in_(ids))
        users = {name: shown for name, shown in session.execute(query)}
        found.update({k: (users[k], users[k]) if users.get(k) else _unknown_agent(dimension, k) for k in ids})
    else:
        found.update({k: queue_name(str(k)) for k in ids})
    return found


def _unknown_agent(dimension: str, key: str) -> tuple[str, str]:
    """Name a phone that is no user's extension by its extension, never by its channel (PJSIP/1009)."""
    if dimension == "call-agent":
        extension = agents.extension_of(key)
        return f"分机 {extension}", f"Extension {extension}"
    return key, key


def _named_rows(session: Session, dimension: str, counts: dict[Any, dict], derive,
                volume: str) -> list[dict[str, Any]]:
    """Return the rows with names and figures, largest VOLUME first, the unnamed group last."""
    named = names(session, dimension, list(counts))
    rows = [{"key": key, "name_zh": named[key][0], "name_en": named[key][1], **derive(c)}
            for key, c in counts.items()]
    rows.sort(key=lambda r: (r["key"] is None, -r[volume], r["name_zh"]))
    return rows


def case_report(session: Session, calendar: WorkCalendar, span: Period, dimension: str,
                as_of: datetime, counts: dict[Any, dict[str, float]] | None = None) -> tables.Table:
    """Return the case figures of SPAN grouped by DIMENSION, with a total line (agents: with QA scores).

    COUNTS: the SQL counts of SPAN already folded from a daily pass (report_page); casework is added here.
    """
    if counts is None:
        counts = figures.case_counts(session, calendar, span, dimension, as_of)
    else:
        counts = figures.merge_casework(counts, casework_counts(session, span, dimension))
    derive, columns = figures.rates, tables.CASE_COLUMNS
    if dimension == "agent":
        counts = agents.with_qa(counts, agents.qa_counts(session, span), figures.COUNTS)
        derive, columns = _with_qa_rates(figures.rates), (*tables.CASE_COLUMNS, *tables.QA_COLUMNS)
    rows = _named_rows(session, dimension, counts, derive, "received")
    if dimension in MODELS:
        codes = _codes(session, MODELS[dimension], [r["key"] for r in rows])
        for row in rows:
            row["key"] = codes.get(row["key"], row["key"])
    total = _total_line(counts, figures.total, derive)
    zh, en = TITLES[dimension]
    return tables.Table(dimension, zh, en, span.label, columns, rows, total)


def _with_qa_rates(derive):
    return lambda counts: {**derive(counts), **agents.qa_rates(counts)}


def _total_line(counts: dict[Any, dict[str, float]], add, derive) -> dict[str, Any] | None:
    """Return the table's total line: the counts of every row added up, then derived like a row."""
    if not counts:
        return None
    rows = list(counts.values())
    return {"name_zh": "合计", "name_en": "Total", **derive({**add(rows), **agents.qa_total(rows)})}


def _codes(session: Session, model, ids: list[Any]) -> dict[Any, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    query = select(model.id, model.code).where(model.id.in_(wanted))
    return {id_: code for id_, code in session.execute(query)}


def call_report(session: Session, span: Period, dimension: str, sl_seconds: int) -> tables.Table:
    """Return the call figures of SPAN per queue or per agent (by name, with QA scores), with a total line."""
    counts = call_counts(session, span, dimension, sl_seconds)
    derive, columns, key = call_rates, tables.CALL_COLUMNS, "queue"
    if dimension != "queue":
        counts = agents.with_qa(agents.by_user(session, counts), agents.qa_counts(session, span), CALL_COUNTS)
        derive, key = _with_qa_rates(call_rates), "call-agent"
        columns = (*tables.CALL_COLUMNS, *tables.QA_COLUMNS)
    rows = _named_rows(session, key, counts, derive, "offered")
    total = _total_line(counts, call_total, derive)
    zh, en = TITLES[key]
    return tables.Table(key, zh, en, span.label, columns, rows, total)


def assessment_report(session: Session, calendar: WorkCalendar, span: Period, rules: Assessment,
                      as_of: datetime) -> tables.Table:
    """Return the bureaus ranked by their 考核 score over SPAN (cases without a bureau left out)."""
    by_bureau = case_report(session, calendar, span, "bureau", as_of)
    ranked = rank(rules, [row for row in by_bureau.rows if row["key"] is not None])
    zh, en = TITLES["assessment"]
    return tables.Table("assessment", zh, en, span.label, tables.ASSESSMENT_COLUMNS, ranked)


def report_page(session: Session, calendar: WorkCalendar, span: Period, dimension: str, months: list[Period],
                as_of: datetime) -> tuple[tables.Table, list[dict[str, Any]]]:
    """Return the case table of SPAN and the district's monthly trend over MONTHS from one pass.

    The cases of the window covering both are counted per group and day of receipt once; the table folds
    SPAN's days, the trend each month's (a year's page scanned the year twice before: table, then trend).
    """
    window = Period(min(span.first, months[0].first), max(span.last, months[-1].last), span.tz)
    daily = figures.daily_counts(session, calendar, window, dimension, as_of)
    table = case_report(session, calendar, span, dimension, as_of,
                        counts=figures.fold(daily, _day(span.first), _day(span.last)))
    return table, _months(daily, months, monthly_totals(session, months, dimension))


def trend(session: Session, calendar: WorkCalendar, months: list[Period], as_of: datetime,
          dimension: str = "bureau") -> list[dict[str, Any]]:
    """Return the district's total figures of each month (oldest first), labelled YYYY-MM.

    Each month's figures are its table's total line: the case-row figures folded from one daily pass, the
    casework of the audit trail (退回, 延期, 催办, 督办) counted per month.
    """
    window = Period(months[0].first, months[-1].last, months[0].tz)
    daily = figures.daily_counts(session, calendar, window, dimension, as_of)
    return _months(daily, months, monthly_totals(session, months, dimension))


def _months(daily: dict, months: list[Period], casework: list[dict[str, float]]) -> list[dict[str, Any]]:
    result = []
    for month, extra in zip(months, casework, strict=True):
        folded = figures.fold(daily, _day(month.first), _day(month.last))
        totals = {**dict.fromkeys(figures.COUNTS, 0.0),
                  **figures.total(list(folded.values()), figures.SQL_COUNTS)}
        totals.update({name: extra[name] for name in CASEWORK_COUNTS})
        totals["dispatched"] += extra["dispatched_elsewhere"]  # as the table's total line counts them
        result.append({"month": month.first.strftime("%Y-%m"), **figures.rates(totals)})
    return result


def trend_table(months: list[dict[str, Any]]) -> tables.Table:
    """Return the monthly trend as a table (the page's figures under its trend charts, and their export)."""
    label = f"{months[0]['month']} – {months[-1]['month']}" if months else ""
    zh, en = TITLES["trend"]
    return tables.Table("trend", zh, en, label, tables.TREND_COLUMNS, months)


def _day(day: date) -> int:
    return (day - working.EPOCH).days
