"""Supervisor pages: figures with charts (报表) and the monthly bulletin (通报), with their exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from agent_console import charts, i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, language, render, require_roles
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.report import export, hot, service, topics
from ticketing.report.assessment import rules_for
from ticketing.report.calls import CALL_DIMENSIONS
from ticketing.report.figures import DIMENSIONS
from ticketing.report.periods import InvalidPeriod, Period, month, months_back, period
from ticketing.report.tables import Table

router = APIRouter(prefix="/reports")
SUPERVISORS = ("supervisor", "admin")
TREND_MONTHS = 12


def _local_today(request: Request) -> date:
    return utcnow().astimezone(console_of(request).timezone).date()


def _span(request: Request, first: str | None, last: str | None) -> Period:
    """Return the asked period; this month so far when none is given; InvalidPeriod when malformed."""
    today = _local_today(request)
    try:
        start = date.fromisoformat(first) if first else today.replace(day=1)
        end = date.fromisoformat(last) if last else today
    except ValueError as err:
        raise InvalidPeriod(f"dates are written YYYY-MM-DD ({err})") from err
    return period(start, end, console_of(request).timezone)


def _month(request: Request, text: str | None) -> Period:
    tz = console_of(request).timezone
    return month(text or _local_today(request).strftime("%Y-%m"), tz)


def _name(row: dict[str, Any], lang: str) -> str:
    return row["name_zh"] if lang == "zh" else row["name_en"]


def case_charts(table: Table, months: list[dict[str, Any]], lang: str) -> list[str]:
    """Return the report page's charts: received and satisfaction per group, the 12-month trends.

    The trends: rates (on time, satisfaction, 退回, 延期), volume, and the chasing of late cases (催办, 督办).
    """
    t = lambda key: i18n.translate(key, lang)  # noqa: E731 - a short local alias
    rows = table.rows[:15]
    received = [charts.Bar(_name(r, lang), r["received"]) for r in rows]
    satisfaction = [charts.Bar(_name(r, lang), r["satisfaction_pct"], charts.PALETTE[2]) for r in rows]
    labels = [m["month"][2:] for m in months]
    series = lambda *pairs: [charts.Series(t(label), tuple(m[key] for m in months))  # noqa: E731
                             for label, key in pairs]
    rates = series(("report_on_time", "resolved_on_time_pct"), ("report_satisfaction", "satisfaction_pct"),
                   ("report_returned_pct", "returned_pct"), ("report_extended_pct", "extended_pct"))
    volume = series(("report_received", "received"))
    chasing = series(("report_urged", "urged"), ("report_supervised", "supervised"))
    return [charts.bar_chart(received, f"{table.title(lang)} · {t('report_received')}"),
            charts.bar_chart(satisfaction, t("report_satisfaction"), "%", maximum=100),
            charts.line_chart(labels, rates, t("report_trend_rates"), "%", maximum=100),
            charts.line_chart(labels, volume, t("report_trend_volume")),
            charts.line_chart(labels, chasing, t("report_trend_chasing"))]


@router.get("")
def reports_page(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS)),
                 by: str = "bureau", first: str | None = None, last: str | None = None) -> Response:
    """Show the case and call figures of a period with charts and download links."""
    console, lang = console_of(request), language(request)
    by = by if by in DIMENSIONS else "bureau"
    try:
        span = _span(request, first, last)
    except InvalidPeriod as err:
        return render(request, "message.html", viewer, status_code=400,
                      message=f"{i18n.translate('report_bad_period', lang)}: {err}")
    calendar, now = console.dataset.calendar, utcnow()
    with session_scope(console.session_factory) as session:
        cases, months = service.report_page(session, calendar, span, by, months_back(span, TREND_MONTHS), now)
        calls = service.call_report(session, span, "queue", console.settings.service_level_seconds)
        agents = service.call_report(session, span, "agent", console.settings.service_level_seconds)
    dates = f"first={span.first.isoformat()}&last={span.last.isoformat()}"
    trend = service.trend_table(months)
    tables = [(cases, f"table=cases&by={by}&{dates}"), (trend, f"table=trend&by={by}&{dates}"),
              (calls, f"table=calls&by=queue&{dates}"), (agents, f"table=calls&by=agent&{dates}")]
    return render(request, "reports.html", viewer, by=by, dimensions=DIMENSIONS, span=span, tables=tables,
                  charts=case_charts(cases, months, lang))


def bulletin_charts(table: Table, lang: str) -> list[str]:
    """Return the bulletin's ranking chart: each graded bureau's score, coloured by grade."""
    bars = [charts.Bar(_name(r, lang), r["score"], charts.GRADE_COLOURS.get(r["grade"], charts.PALETTE[0]),
                       note=r["grade"] or "") for r in table.rows if r["score"] is not None]
    if not bars:  # no bureau scored: the page says so in words rather than drawing an empty box
        return []
    return [charts.bar_chart(bars, i18n.translate("bulletin_ranking", lang), maximum=100)]


@router.get("/bulletin")
def bulletin_page(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS)),
                  month_: str | None = None) -> Response:
    """Show the monthly bulletin (通报): bureaus ranked by 考核 score, with grades and the ranking chart."""
    console, lang = console_of(request), language(request)
    month_ = request.query_params.get("month", month_)
    try:
        span = _month(request, month_)
    except InvalidPeriod as err:
        return render(request, "message.html", viewer, status_code=400,
                      message=f"{i18n.translate('report_bad_period', lang)}: {err}")
    rules = rules_for(request.app.state.settings.dataset_dir)
    with session_scope(console.session_factory) as session:
        ranking = service.assessment_report(session, console.dataset.calendar, span, rules, utcnow())
    return render(request, "bulletin.html", viewer, span=span, month=span.first.strftime("%Y-%m"),
                  table=ranking, rules=rules, charts=bulletin_charts(ranking, lang))


@router.get("/export")
def export_table(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS)),
                 table: str = "cases", by: str = "bureau", first: str | None = None, last: str | None = None,
                 format: str = "csv") -> Response:
    """Download one table of the reports page or the bulletin (table=assessment) as CSV or XLSX."""
    lang = language(request)
    try:
        built = _build(request, table, by, first, last)
        chunks = export.chunks(built, format)
    except (InvalidPeriod, export.UnknownFormat, ValueError) as err:
        return render(request, "message.html", viewer, status_code=400,
                      message=f"{i18n.translate('report_bad_export', lang)}: {err}")
    disposition = f'attachment; filename="{export.filename(built, format)}"'
    return StreamingResponse(chunks, media_type=export.FORMATS[format],
                             headers={"Content-Disposition": disposition})


def _week(request: Request, text: str | None) -> date:
    try:
        return date.fromisoformat(text) if text else _local_today(request)
    except ValueError as err:
        raise InvalidPeriod(f"the week is named by one of its days, YYYY-MM-DD ({err})") from err


def topic_charts(view: hot.HotTopics, lang: str) -> list[str]:
    """Return the hot-topics page's charts: the week's top categories, the streets × categories heat map."""
    bars = [charts.Bar(_name(r, lang), r["cases"], charts.PALETTE[3]) for r in view.categories.rows]
    columns = [c.heading(lang) for c in view.heat.columns[2:]]
    rows = [_name(r, lang) for r in view.heat.rows]
    return [charts.bar_chart(bars, view.categories.title(lang)),
            charts.heat_map(rows, columns, view.grid, view.heat.title(lang))]


@router.get("/topics")
def topics_page(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS)),
                week: str | None = None) -> Response:
    """Show the week's hot topics: spike alerts, top categories, rising words, the heat map."""
    console, lang = console_of(request), language(request)
    try:
        day = _week(request, week)
    except InvalidPeriod as err:
        return render(request, "message.html", viewer, status_code=400,
                      message=f"{i18n.translate('report_bad_period', lang)}: {err}")
    rules = topics.rules_for(request.app.state.settings.dataset_dir)
    with session_scope(console.session_factory) as session:
        view = hot.build(session, console.dataset.calendar, rules, day)
    monday = topics.monday_of(day).isoformat()
    tables = [(table, f"table={table.name}&first={monday}") for table in view.tables()]
    return render(request, "topics.html", viewer, day=day.isoformat(), view=view, tables=tables,
                  charts=topic_charts(view, lang))


def _build(request: Request, table: str, by: str, first: str | None, last: str | None) -> Table:
    console, now = console_of(request), utcnow()
    calendar = console.dataset.calendar
    if table.startswith("topics-"):
        rules = topics.rules_for(request.app.state.settings.dataset_dir)
        with session_scope(console.session_factory) as session:
            view = hot.build(session, calendar, rules, _week(request, first))
        return next((t for t in view.tables() if t.name == table), None) or _unknown(table, by)
    with session_scope(console.session_factory) as session:
        if table == "trend" and by in DIMENSIONS:
            months = months_back(_span(request, first, last), TREND_MONTHS)
            return service.trend_table(service.trend(session, calendar, months, now, by))
        if table == "cases" and by in DIMENSIONS:
            return service.case_report(session, calendar, _span(request, first, last), by, now)
        if table == "calls" and by in CALL_DIMENSIONS:
            return service.call_report(session, _span(request, first, last), by,
                                       console.settings.service_level_seconds)
        if table == "assessment":
            span = _month(request, (first or "")[:7] or None)
            return service.assessment_report(session, calendar, span,
                                             rules_for(request.app.state.settings.dataset_dir), now)
    return _unknown(table, by)


def _unknown(table: str, by: str) -> Table:
    raise ValueError(f"unknown table {table!r} grouped by {by!r}")
