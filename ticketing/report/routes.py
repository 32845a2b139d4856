"""HTTP routes of the reports: /api/v1/reports/... as JSON, or as CSV / XLSX downloads (format=)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from ticketing.case.permissions import SUPERVISION
from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.report import export, hot, service, topics
from ticketing.report.assessment import rules_for
from ticketing.report.calls import CALL_DIMENSIONS
from ticketing.report.figures import DIMENSIONS
from ticketing.report.periods import InvalidPeriod, Period, month, months_back, period
from ticketing.report.tables import Table
from ticketing.user.deps import require_roles
from ticketing.user.models import User

router = APIRouter(prefix="/reports", tags=["reports"])
FORMAT = Query("json", alias="format", pattern="^(json|csv|xlsx)$", description="json, csv or xlsx.")


def _span(request: Request, first: date, last: date) -> Period:
    try:
        return period(first, last, request.app.state.dataset.calendar.timezone)
    except InvalidPeriod as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err


def respond(table: Table, fmt: str) -> Response:
    """Answer with the table as JSON, or stream it as a CSV or XLSX download."""
    if fmt == "json":
        return JSONResponse(table.as_json())
    disposition = f'attachment; filename="{export.filename(table, fmt)}"'
    return StreamingResponse(export.chunks(table, fmt), media_type=export.FORMATS[fmt],
                             headers={"Content-Disposition": disposition})


@router.get("/cases")
def case_figures(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*SUPERVISION)),
    by: str = Query("bureau", description=f"One of {', '.join(DIMENSIONS)}."),
    first: date = Query(..., alias="from", description="First day (local date, inclusive)."),
    last: date = Query(..., alias="to", description="Last day (local date, inclusive)."),
    fmt: str = FORMAT,
) -> Response:
    """Case figures of the cases received in the period, per bureau, street, category or agent."""
    if by not in DIMENSIONS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"by must be one of {', '.join(DIMENSIONS)}")
    calendar = request.app.state.dataset.calendar
    return respond(service.case_report(session, calendar, _span(request, first, last), by, utcnow()), fmt)


@router.get("/trend")
def monthly_trend(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*SUPERVISION)),
    month_: str = Query(..., alias="month", description="The last month of the trend, YYYY-MM."),
    months: int = Query(12, ge=1, le=36, description="How many months, ending with `month`."),
    by: str = Query("bureau", description=f"Grouping the casework is charged by: {', '.join(DIMENSIONS)}."),
    fmt: str = FORMAT,
) -> Response:
    """Each month's total line: received, on time, satisfaction, 退回, 延期, 催办, 督办 (the page's trend)."""
    if by not in DIMENSIONS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"by must be one of {', '.join(DIMENSIONS)}")
    try:
        last = month(month_, request.app.state.dataset.calendar.timezone)
    except InvalidPeriod as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    calendar = request.app.state.dataset.calendar
    figures = service.trend(session, calendar, months_back(last, months), utcnow(), by)
    return respond(service.trend_table(figures), fmt)


@router.get("/calls")
def call_figures(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*SUPERVISION)),
    by: str = Query("queue", description=f"One of {', '.join(CALL_DIMENSIONS)}."),
    first: date = Query(..., alias="from"),
    last: date = Query(..., alias="to"),
    sl_seconds: int = Query(15, ge=1, le=600, description="Service level: answered within so many seconds."),
    fmt: str = FORMAT,
) -> Response:
    """Calls offered, answered, abandoned and the service level per queue or per agent."""
    if by not in CALL_DIMENSIONS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"by must be one of {', '.join(CALL_DIMENSIONS)}")
    return respond(service.call_report(session, _span(request, first, last), by, sl_seconds), fmt)


@router.get("/topics")
def hot_topics(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*SUPERVISION)),
    week: date = Query(..., description="Any day of the week (Monday to Sunday) to analyse."),
    table: str = Query("", description="For csv/xlsx: topics-categories, topics-words, topics-heat or "
                                       "topics-spikes."),
    fmt: str = FORMAT,
) -> Response:
    """The week's top categories, rising words, streets × categories and spike alerts."""
    rules = topics.rules_for(request.app.state.settings.dataset_dir)
    view = hot.build(session, request.app.state.dataset.calendar, rules, week)
    if fmt == "json":
        return JSONResponse({"week": view.week, "tables": [t.as_json() for t in view.tables()]})
    chosen = next((t for t in view.tables() if t.name == table), None)
    if chosen is None:
        names = ", ".join(t.name for t in view.tables())
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"table must be one of {names} for {fmt}")
    return respond(chosen, fmt)


@router.get("/assessment")
def assessment(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*SUPERVISION)),
    month_: str = Query(..., alias="month", description="The month, YYYY-MM."),
    fmt: str = FORMAT,
) -> Response:
    """The bureaus ranked by their 考核 score for one month, with grades."""
    tz: ZoneInfo = request.app.state.dataset.calendar.timezone
    try:
        span = month(month_, tz)
    except InvalidPeriod as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    rules = rules_for(request.app.state.settings.dataset_dir)
    calendar = request.app.state.dataset.calendar
    return respond(service.assessment_report(session, calendar, span, rules, utcnow()), fmt)
